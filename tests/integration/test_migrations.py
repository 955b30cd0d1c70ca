"""Local schema migrations: an empty database upgrades to head; models and migrations agree."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from dutydesk.store.database import current_revision, head_revision, make_engine, migrate
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
