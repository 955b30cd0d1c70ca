"""Opening the local SQLite store: pragmas, migrations, and a clear error when it fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from ..paths import LOCAL_MIGRATIONS


class StoreError(Exception):
    """The local store cannot be used; the message says why and what to do."""


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(path: Path | str) -> Engine:
    """An engine on ``path`` (``:memory:`` allowed) with WAL and foreign keys on."""
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    engine = create_engine(url)
    event.listen(engine, "connect", _pragmas)
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    if not (LOCAL_MIGRATIONS / "env.py").exists():
        raise StoreError(f"local migrations are missing from {LOCAL_MIGRATIONS}")
    cfg = Config()
    cfg.set_main_option("script_location", str(LOCAL_MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    try:
        if current_revision(engine) == head_revision():
            return
        command.upgrade(alembic_config(engine), "head")
    except sqlite3.DatabaseError as err:  # pragma: no cover - depends on the file
        raise StoreError(f"the local store could not be upgraded: {err}") from err


def open_engine(path: Path | str) -> Engine:
    """Open (creating if needed) and migrate the store at ``path``."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    try:
        migrate(engine)
    except Exception as err:
        engine.dispose()
        if isinstance(err, StoreError):
            raise
        raise StoreError(f"cannot open the local store at {path}: {err}") from err
    return engine
