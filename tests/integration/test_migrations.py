"""Local schema migrations: an empty database upgrades to head; models and migrations agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from dutydesk.store import database
from dutydesk.store.database import (
    alembic_config,
    current_revision,
    declared_head,
    head_revision,
    make_engine,
    migrate,
    stored_revisions,
)
from dutydesk.store.schema import Base


def test_empty_database_upgrades_to_head(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "fresh.db")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "events",
        "event_people",
        "outbox",
        "people",
        "contacts",
        "contact_children",
        "decisions",
        "store_meta",
    } <= tables
    migrate(engine)  # a second run is a no-op
    engine.dispose()


def test_models_and_migrations_do_not_drift(tmp_path: Path) -> None:
    """The programmatic form of ``alembic check``."""
    engine = make_engine(tmp_path / "check.db")
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_head_read_from_the_files_is_alembics() -> None:
    """Start-up skips alembic when the store is at the files' declared head: the oracle is
    alembic's own head."""
    assert declared_head() is not None
    assert declared_head() == head_revision()


def test_a_store_one_revision_behind_is_still_upgraded(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "behind.db")
    head = head_revision()
    assert head is not None
    parent = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(parent, str)
    command.upgrade(alembic_config(engine), parent)
    assert stored_revisions(engine) == [parent]
    migrate(engine)
    assert stored_revisions(engine) == [head] and current_revision(engine) == head
    engine.dispose()


@pytest.mark.parametrize(
    "extra",
    [
        'revision = "merge"\ndown_revision = ("a", "b")\n',  # a merge: alembic decides
        'revision = "other"\ndown_revision = "20261126_0001"\n',  # two heads
        "down_revision = None\n",  # no revision named
        'revision = make_id()\ndown_revision = "x"\n',  # computed
    ],
)
def test_files_that_are_not_one_plain_chain_leave_the_head_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    head = head_revision()
    folder = tmp_path / "local"
    (folder / "versions").mkdir(parents=True)
    for file in (database.LOCAL_MIGRATIONS / "versions").glob("*.py"):
        (folder / "versions" / file.name).write_bytes(file.read_bytes())
    monkeypatch.setattr(database, "LOCAL_MIGRATIONS", folder)
    assert declared_head() == head
    (folder / "versions" / "zz_extra.py").write_text(extra, encoding="utf-8")
    assert declared_head() is None
