"""Annex A exports reuse the prepared dataset while nothing it depends on has changed: the
same store state, filters and actor. A new event, other filters or another actor load
again; the permission check and the export record are never skipped."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.app import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.projection import ReadModel, apply
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import NOT_READ_BY_MI
from dutydesk.store.syncstate import ServerFields, SyncState
from tests.document_fixtures import signer_for
from tests.factories import event
from tests.integration.test_mi_queries import _fill
from tests.unit.mi.builders import History, at, pid

NOW = at("2027-01-05 09:00")
DECEMBER = Filters(date(2026, 12, 1), date(2026, 12, 31))


class CountingLoads:
    """Wraps the service's loader (the SQL read) and counts the calls."""

    def __init__(self, service: MiService) -> None:
        self.calls = 0
        real = service.queries.load

        def load(**kwargs: Any) -> Any:
            self.calls += 1
            return real(**kwargs)

        service.queries.load = load  # type: ignore[method-assign]


def _service(store: EventStore) -> MiService:
    return MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )


def _exports(store: EventStore) -> int:
    return sum(e.type == "document.exported" for e in store.events())


@pytest.fixture
def filled(store: EventStore) -> EventStore:
    _fill(store)
    return store


def test_five_lists_load_once_and_each_is_recorded_and_as_a_fresh_load(
    filled: EventStore, tmp_path: Path
) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    for n in range(1, 6):
        service.export_annex_a(tmp_path / f"reused-{n}.csv", n, "csv", DECEMBER)
    assert loads.calls == 1  # one load for five lists
    assert _exports(filled) == 5  # every export recorded, reused or not
    for n in range(1, 6):
        fresh = _service(filled)  # a new service: nothing to reuse
        fresh_loads = CountingLoads(fresh)
        fresh.export_annex_a(tmp_path / f"fresh-{n}.csv", n, "csv", DECEMBER)
        assert fresh_loads.calls == 1
        reused = (tmp_path / f"reused-{n}.csv").read_bytes()
        assert reused == (tmp_path / f"fresh-{n}.csv").read_bytes()
        assert (tmp_path / f"reused-{n}.csv.p7s").exists()


def test_a_new_event_forces_a_reload_and_the_export_includes_it(
    filled: EventStore, tmp_path: Path
) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    assert service.export_annex_a(tmp_path / "a.csv", 3, "csv", DECEMBER) == 2
    h = History()
    newcomer = pid()
    h.refer("2026-12-15 10:00", newcomer, office="South", team="C")
    filled.import_events(h.events)
    assert service.export_annex_a(tmp_path / "b.csv", 3, "csv", DECEMBER) == 3
    assert loads.calls == 2
    assert newcomer not in (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert newcomer in (tmp_path / "b.csv").read_text(encoding="utf-8")
    # and the reload is reused in turn
    assert service.export_annex_a(tmp_path / "c.csv", 3, "csv", DECEMBER) == 3
    assert loads.calls == 2


def test_other_filters_or_another_actor_never_reuse(filled: EventStore, tmp_path: Path) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    service.export_annex_a(tmp_path / "a.csv", 3, "csv", DECEMBER)
    south = Filters(DECEMBER.date_from, DECEMBER.date_to, office="South")
    service.export_annex_a(tmp_path / "b.csv", 3, "csv", south)
    assert loads.calls == 2
    service.export_annex_a(tmp_path / "c.csv", 3, "csv", DECEMBER)  # back: the last was South
    assert loads.calls == 3
    # the same person on another desk (the store checks login and role, not device)
    service.actor = replace(service.actor, device="another-desk")
    service.export_annex_a(tmp_path / "d.csv", 3, "csv", DECEMBER)
    assert loads.calls == 4
    # another person: their own service, which never sees this one's dataset
    other = replace(demo_actor(), login="sp.sam", role=Role.SENIOR_PRACTITIONER)
    theirs = MiService(filled, FixedClock(NOW), actor=other, signer=signer_for(other.login))
    their_loads = CountingLoads(theirs)
    theirs.export_annex_a(tmp_path / "e.csv", 3, "csv", DECEMBER)
    assert their_loads.calls == 1 and loads.calls == 4


def test_reuse_never_skips_the_permission_check(filled: EventStore, tmp_path: Path) -> None:
    service = _service(filled)
    service.export_annex_a(tmp_path / "a.csv", 1, "csv", DECEMBER)
    before = filled.event_count()
    service.actor = replace(service.actor, role=Role.PRACTITIONER)  # may not export
    with pytest.raises(PermissionDenied):
        service.export_annex_a(tmp_path / "b.csv", 1, "csv", DECEMBER)
    assert not (tmp_path / "b.csv").exists()
    assert filled.event_count() == before


def test_the_store_state_ignores_export_records_and_nothing_else(filled: EventStore) -> None:
    service = _service(filled)
    first = service.queries.state()
    # an export record changes nothing MI reads: no read-model handler folds it
    record = event(
        "document.exported",
        {"document": "x", "digest": "0" * 64, "file_sha256": "0" * 64, "destination": "x"},
        datetime.fromisoformat("2026-12-20T10:00:00+00:00"),
    )
    assert record.type in NOT_READ_BY_MI
    model = ReadModel()
    apply(model, record)
    assert model == ReadModel()
    filled.append([record])
    assert service.queries.state() == first
    # any other event, or the server accepting or rejecting one, changes it
    h = History()
    h.refer("2026-12-15 10:00", pid())
    filled.append(h.events)
    second = service.queries.state()
    assert second != first
    SyncState(filled.engine).mark_synced(
        [ServerFields(h.events[0].id, 7, "2026-12-15T10:00:00+00:00", "a" * 64, "b" * 64)]
    )
    third = service.queries.state()
    assert third != second
    SyncState(filled.engine).mark_rejected(h.events[-1].id, "refused")
    assert service.queries.state() != third
