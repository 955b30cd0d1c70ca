"""A pulled event whose store write the driver itself refuses is quarantined like any other
unappliable event (docs/sync.md, "Quarantine"): nothing lost, sync not stuck.

The store writes the log's rows through the driver's own cursor (``rowread``), not through
SQLAlchemy, so a constraint failure there is the driver's ``IntegrityError``
(``sqlite3``'s, or ``sqlcipher3``'s for the encrypted store: a class of its own, not a
subclass of ``sqlite3``'s), never SQLAlchemy's. Before ``store.database.INTEGRITY_ERRORS``
the sync engine knew only SQLAlchemy's, so such an event stopped every round at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlcipher3 import dbapi2

from dutydesk.domain.events import canonical_json
from dutydesk.store import quarantine
from dutydesk.store.database import INTEGRITY_ERRORS, open_engine
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from tests.integration.sync.conftest import Login, seed_contacts

MakeLogin = Callable[[str], Login]


def _driver_integrity_error(encrypted: bool) -> type[Exception]:
    return dbapi2.IntegrityError if encrypted else sqlite3.IntegrityError


def test_the_store_names_both_drivers_integrity_errors() -> None:
    assert not issubclass(dbapi2.IntegrityError, sqlite3.IntegrityError)  # why both are named
    assert {sqlite3.IntegrityError, dbapi2.IntegrityError, IntegrityError} <= set(INTEGRITY_ERRORS)


@pytest.mark.parametrize("encrypted", [False, True], ids=["sqlite", "sqlcipher"])
@pytest.mark.parametrize("conflict", ["refusing trigger", "sequence already held"])
def test_a_pulled_event_the_driver_refuses_is_quarantined_and_sync_goes_on(
    empty_server: str,
    make_login: MakeLogin,
    tmp_path: Path,
    clock,  # type: ignore[no-untyped-def]
    now: datetime,
    encrypted: bool,
    conflict: str,
) -> None:
    other = make_login("duty_manager")
    before, bad, after = seed_contacts(other, now, 3)
    store = EventStore(
        open_engine(tmp_path / "desk.sqlite3", key=bytes(range(32)) if encrypted else None)
    )
    transport = PgTransport(make_login("duty_manager").dsn)
    engine = SyncEngine(store, transport, clock, login="watcher")
    try:
        with store.engine.begin() as conn:
            if conflict == "refusing trigger":
                # a constraint of the desk's store refusing the row (RAISE(ABORT) is
                # SQLITE_CONSTRAINT: the driver's IntegrityError, as a UNIQUE clash is)
                conn.exec_driver_sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON events "
                    f"WHEN NEW.id = '{bad.id}' BEGIN SELECT RAISE(ABORT, 'refused here'); END"
                )
            else:
                # the desk already holds another event at the sequence the server gives
                # ``bad`` (events.server_seq is UNIQUE)
                conn.exec_driver_sql(
                    "INSERT INTO events (id, type, schema_version, actor, actor_role, device, "
                    "client_time, payload, server_seq) VALUES "
                    "('0190a0c0-dead-7000-8000-000000000001', 'note.added', 1, 'x', "
                    "'duty_manager', 'd', ?, '{\"text\": \"x\"}', 2)",
                    (now.isoformat(),),
                )
        # the premise: this write raises the driver's class, not SQLAlchemy's
        with pytest.raises(_driver_integrity_error(encrypted)):
            [pulled] = [e for e in transport.pull(0, 10) if e.id == bad.id]
            EventStore.append_pulled(store, [pulled], [canonical_json(pulled.payload)])

        for _ in range(2):  # and again: quarantined once, the cursor past it, nothing stalls
            report = engine.sync()
            assert report.online, report
            assert store.get_event(before.id) is not None
            assert store.get_event(after.id) is not None  # the event after it arrived
            assert store.get_event(bad.id) is None
            assert report.quarantined_total == 1
            assert engine._cursor() == 3
        held = quarantine.listing(store.engine)
        assert [(q.event_id, q.server_seq, q.type) for q in held] == [
            (bad.id, 2, "contact.received")
        ]
        assert held[0].reason  # the driver's message, as documented
        if conflict == "refusing trigger":
            assert "refused here" in held[0].reason
            assert not report.warnings, report
        else:
            assert "UNIQUE" in held[0].reason
        # the rest is folded: the two contacts applied are in the read model, not the third
        assert set(store.read_model().contacts) == {
            before.payload["contact_id"],
            after.payload["contact_id"],
        }
    finally:
        transport.close()
        store.close()
