"""Revision i19_routes folds an existing store's route events into the new ``routes``
table: the rows equal the ones the store keeps at append time (and a rebuild gives)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic import command

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import LONDON
from dutydesk.store.database import alembic_config, current_revision, head_revision
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


def test_the_migration_fills_routes_from_the_log(tmp_path: Path) -> None:
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        for e in generate(7, 1200, now=NOW):
            store.append([e], validate=False)
        appended = store.read_model().routes
        assert len(appended) > 20
        config = alembic_config(store.engine)
        command.downgrade(config, "20261201_i21_allocated")
        command.upgrade(config, "head")
        assert current_revision(store.engine) == head_revision()
        assert store.read_model().routes == appended
        store.rebuild()
        assert store.read_model().routes == appended
    finally:
        store.close()
