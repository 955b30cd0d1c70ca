"""Annex A List 1 read straight from each contact's children (``contact_children`` and
``annex_a.list1_from``) gives exactly the rows of the full MI load (``MiService.load``
with people, ``annex_a.list1_rows``): the oracle is the old path, over a generated store
plus the edge cases (a contact entered in error, a merged one, no office, a child not
linked, a person with the authority's id, a contact received late on the period's last
summer day, a restricted record)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from dutydesk.app import demo_actor
from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.mi import annex_a
from dutydesk.mi.dataset import NONE
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for
from tests.factories import contact_payload, event
from tests.unit.mi.builders import History, at, child, pid

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
SUMMER = Filters(date(2026, 5, 1), date(2026, 7, 31))


def _edge_cases(store: EventStore) -> None:
    h = History()
    kids = [pid() for _ in range(4)]
    h.events.append(
        event(
            "person.registered",
            {"person_id": kids[0], "la_child_id": "LA-0", "date_of_birth": "2012-02-29"},
            at("2026-01-01 09:00"),
        )
    )
    late = h.contact("2026-07-31 23:30", children=[child(kids[0])])  # BST: +01:00 stored
    h.decide(late, "2026-08-01 09:00", "cin_assessment")
    h.contact("2026-08-01 00:10", children=[child(kids[1])])  # the day after: not listed
    void = h.contact("2026-06-02 10:00", children=[child(kids[2])])
    h.events.append(
        event(
            "contact.entered_in_error",
            {"contact_id": void, "reason": "wrong family"},
            at("2026-06-02 11:00"),
        )
    )
    merged = h.contact("2026-06-03 10:00", children=[child(kids[3])])
    h.events.append(
        event(
            "contact.merged",
            {"contact_id": merged, "into_contact_id": late, "reason": "duplicate"},
            at("2026-06-03 11:00"),
        )
    )
    unlinked = {k: v for k, v in child(kids[1]).items() if k != "person_id"}
    nowhere = contact_payload(
        received_at=at("2026-06-10 10:00").isoformat(), office=None, team=None, source_code="6"
    )
    nowhere["children"] = [
        unlinked,
        {**child(kids[3]), "date_of_birth": None, "expected_date_of_birth": "2026-09-01"},
    ]
    h.events.append(event("contact.received", nowhere, at("2026-06-10 10:00")))
    h.events.append(
        event(
            "record.restricted",
            {"person_id": kids[0], "allowed": ["someone.else"], "reason": "staff relative"},
            at("2026-06-11 10:00"),
            actor="admin",
            role=Role.ADMIN,
        )
    )
    store.import_events(h.events, validate=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    store = EventStore.open(tmp_path_factory.mktemp("list1") / "store.sqlite3")
    load_mi_demo(store, seed=7, events=4000, clock=FixedClock(NOW), open_contacts=20)
    _edge_cases(store)
    return store


def _service(store: EventStore) -> MiService:
    return MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )


def _filters(service: MiService) -> list[Filters]:
    six = service.default_filters()
    pairs, sources = service.queries.choices()
    office, team = next((o, t) for o, t in pairs if o != NONE)
    return [
        six,
        SUMMER,
        Filters(SUMMER.date_from, SUMMER.date_to, office=NONE),
        Filters(six.date_from, six.date_to, office=office),
        Filters(six.date_from, six.date_to, office=office, team=team),
        Filters(six.date_from, six.date_to, source=sources[0]),
        Filters(date(2020, 1, 1), date(2026, 12, 31)),
    ]


def test_list1_read_alone_equals_list1_of_the_full_load(filled: EventStore) -> None:
    service = _service(filled)
    everything = service.load(with_people=True)  # the whole store: no push-down at all
    for filters in _filters(service):
        loaded = service.load(filters, with_people=True)  # the old export's load
        old = list(annex_a.list1_rows(loaded.data, loaded.dataset, filters))
        new = list(
            annex_a.list1_from(
                service.queries.contact_children(
                    date_from=filters.date_from,
                    date_to=filters.date_to,
                    office=filters.office,
                    team=filters.team,
                    source=filters.source,
                ),
                filters,
            )
        )
        assert new == old, filters
        assert new == list(annex_a.list1_rows(everything.data, everything.dataset, filters))
    # the cases the comparison is about are present, so it could fail
    six = service.default_filters()
    assert len(list(annex_a.list1_rows(everything.data, everything.dataset, six))) > 20
    summer = list(annex_a.list1_rows(everything.data, everything.dataset, SUMMER))
    # received 23:30 on the period's last day, stored "+01:00": listed
    assert any(r[0] == "LA-0" and r[5] == date(2026, 7, 31) for r in summer)
    nowhere = Filters(SUMMER.date_from, SUMMER.date_to, office=NONE)
    unborn = [r for r in annex_a.list1_rows(everything.data, everything.dataset, nowhere)]
    assert len(unborn) == 2 and unborn[1][4] == -1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_list1_export_writes_the_full_loads_rows(
    filled: EventStore, tmp_path: Path, fmt: str
) -> None:
    service = _service(filled)
    filters = service.default_filters()
    count = service.export_annex_a(tmp_path / f"new.{fmt}", 1, fmt, filters)
    loaded = service.load(filters, with_people=True)
    assert count == annex_a.export(
        tmp_path / f"old.{fmt}", 1, fmt, loaded.data, loaded.dataset, filters
    )
    assert count > 20
    if fmt == "csv":
        assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    else:
        from openpyxl import load_workbook

        def cells(name: str) -> list[tuple[object, ...]]:
            book = load_workbook(tmp_path / name, read_only=True)
            try:
                return [tuple(c.value for c in row) for row in book["List 1"].iter_rows()]
            finally:
                book.close()

        assert cells("new.xlsx") == cells("old.xlsx")
