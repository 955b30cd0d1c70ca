"""Opening the local SQLite store: pragmas, migrations, and a clear error when it fails.

With a ``key`` the store is a SQLCipher database encrypted at rest: the key (32 random
bytes from the OS keyring, see ``dutydesk.config.keys``) is handed to SQLCipher by a
connection ``creator`` as a raw key, never through the URL, settings or logs.

Writers: one per store. While the window runs, only the session's writer thread writes;
sync hands it each of its store writes as a job (``dutydesk.store.writer``,
``dutydesk.ui.tasks``). Readers on other threads (the MI reader, sync's reads) never wait
in WAL mode. ``busy_timeout`` is for another process on the same file (``dutydesk sync``
or an import run beside the window): its write waits up to 5 s for the window's to commit
instead of failing at once. Each write is one ``engine.begin()`` transaction.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..filemodes import private_dir, private_file
from ..paths import LOCAL_MIGRATIONS

if TYPE_CHECKING:
    from alembic.config import Config

# ``revision = "..."`` / ``down_revision = ...`` as a migration file declares them
_DECLARED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


class StoreError(Exception):
    """The local store cannot be used; the message says why and what to do."""


def _integrity_errors() -> tuple[type[Exception], ...]:
    try:
        from sqlcipher3 import dbapi2 as sqlcipher
    except ImportError:  # pragma: no cover - a dependency of the package
        return (IntegrityError, sqlite3.IntegrityError)
    return (IntegrityError, sqlite3.IntegrityError, sqlcipher.IntegrityError)


# What a write refused by a constraint of the store (UNIQUE, NOT NULL, a trigger's
# RAISE(ABORT)) raises: SQLAlchemy's class for statements it runs, the driver's own for
# rows written on the driver's cursor (``rowread``, ``bulkwrite``, the event log's inserts).
# The encrypted store's driver, sqlcipher3, has classes of its own, not sqlite3's subclasses.
INTEGRITY_ERRORS = _integrity_errors()


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")  # another process's write waits, see above
    cur.close()


def make_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """An engine on ``path`` (``:memory:`` allowed) with WAL and foreign keys on.

    With ``key`` the file is opened (or created) encrypted with SQLCipher.
    """
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    engine = create_engine(url) if key is None else _encrypted_engine(url, str(path), key)
    event.listen(engine, "connect", _pragmas)
    return engine


def _encrypted_engine(url: str, path: str, key: bytes) -> Engine:
    if len(key) != 32:
        raise StoreError("the store key must be 32 bytes (256 bits)")
    try:
        from sqlcipher3 import dbapi2 as sqlcipher
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise StoreError(
            "the encrypted store needs the sqlcipher3 package; install sqlcipher3-binary"
        ) from err
    raw = f"\"x'{key.hex()}'\""

    def connect() -> Any:
        conn = sqlcipher.connect(path, check_same_thread=False)
        # A wrong key makes SQLCipher log decryption errors to stderr; the caller gets a
        # clear StoreError instead, so keep its own log quiet.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {raw}")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError as err:
            conn.close()
            raise StoreError(
                f"the local store at {path} cannot be opened with this desk's key ({err}): it "
                f"is not an encrypted DutyDesk store, or it was encrypted with another key"
            ) from None
        return conn

    return create_engine(url, creator=connect, module=sqlcipher)


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    if not (LOCAL_MIGRATIONS / "env.py").exists():
        raise StoreError(f"local migrations are missing from {LOCAL_MIGRATIONS}")
    cfg = Config()
    cfg.set_main_option("script_location", str(LOCAL_MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def declared_head() -> str | None:
    """The newest local revision as the migration files declare it, read as text: at
    every start this replaces importing alembic and every migration (a third of a second)
    just to learn the store is current. None unless the files make one plain chain (a
    merge, a computed id, a duplicate): alembic then decides, as before."""
    revisions: set[str] = set()
    parents: set[str] = set()
    files = sorted((LOCAL_MIGRATIONS / "versions").glob("*.py"))
    for file in files:
        declared = dict(_DECLARED.findall(file.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(declared["revision"])
            parent = ast.literal_eval(declared["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not isinstance(parent, str | None):
            return None
        revisions.add(revision)
        if parent is not None:
            parents.add(parent)
    heads = revisions - parents
    if len(revisions) != len(files) or len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def stored_revisions(engine: Engine) -> list[str]:
    """The revisions the store says it is at (none for a new store): one plain read."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:  # no such table: never migrated
        return []
    return [str(row[0]) for row in rows]


# The fixes to the fold a store's rows have had (``store.fold_fixes``): opened with fewer,
# the store refolds, once, the contacts each later fix concerns. 1: decision ownership.
META_FOLD_FIXES = "projection_fold_fixes"
FOLD_FIXES = 1


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    head = declared_head()
    stored = stored_revisions(engine)
    if head is not None and stored == [head]:
        return  # current: alembic is not needed
    from alembic import command

    try:
        if current_revision(engine) == head_revision():
            return
        command.upgrade(alembic_config(engine), "head")
        if not stored:
            _mark_new(engine)
    except sqlite3.DatabaseError as err:  # pragma: no cover - depends on the file
        raise StoreError(f"the local store could not be upgraded: {err}") from err


def _mark_new(engine: Engine) -> None:
    """A store made by this code holds no rows an older fold made (``store.fold_fixes``)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)", (META_FOLD_FIXES, str(FOLD_FIXES))
        )


def _fold_fixes(engine: Engine) -> None:
    """The refold after fixes to the fold this store has not had (``store.fold_fixes``);
    one read of ``store_meta`` when it has had them all."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT value FROM store_meta WHERE key = ?", (META_FOLD_FIXES,)
        ).first()
    done = int(row[0]) if row is not None and str(row[0]).isdigit() else 0
    if done < FOLD_FIXES:
        from . import fold_fixes

        fold_fixes.apply(engine, done)


def open_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """Open (creating if needed) and migrate the store at ``path``; encrypted with ``key``."""
    if str(path) != ":memory:":
        private_dir(Path(path).parent)
    engine = make_engine(path, key)
    try:
        migrate(engine)
        _fold_fixes(engine)
        if str(path) != ":memory:":
            private_file(Path(path))  # SQLite gives its -wal/-shm files the same mode
    except Exception as err:
        engine.dispose()
        if isinstance(err, StoreError):
            raise
        raise StoreError(f"cannot open the local store at {path}: {err}") from err
    return engine
