"""The driver-level row reader gives exactly the rows SQLAlchemy + ``db_to_row`` give."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from dutydesk.demo.mi_extras import demo_rating
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.projection import ContactChildRow, ContactRow, DecisionRow, PersonRow
from dutydesk.store import rowread
from dutydesk.store.desk_queries import DeskQueries
from dutydesk.store.eventstore import EventStore
from dutydesk.store.history_queries import HistoryQueries
from dutydesk.store.queries import OPEN_STATUSES, Queries
from dutydesk.store.readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, db_to_row, standing

TABLES = {
    PersonRow: PEOPLE,
    ContactRow: CONTACTS,
    ContactChildRow: CHILDREN,
    DecisionRow: DECISIONS,
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from dutydesk.domain.clock import LONDON

    now = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
    s = EventStore.open(tmp_path_factory.mktemp("rowread") / "store.sqlite3")
    s.import_events(
        Generator(3, now=now, open_contacts=60, rate=demo_rating).events(4000), validate=False
    )
    yield s
    s.close()


def exact(rows: list[Any]) -> list[str]:
    """repr tells True from 1 and a tuple from a list, which == does not."""
    return [repr(r) for r in rows]


@pytest.mark.parametrize("cls", list(TABLES))
def test_every_row_class_reads_the_same_as_sqlalchemy(filled: EventStore, cls: type) -> None:
    table = TABLES[cls]
    key = table.primary_key.columns.values()
    with filled.engine.connect() as conn:
        expected = [
            db_to_row(cls, m) for m in conn.execute(select(table).order_by(*key)).mappings()
        ]
        got = rowread.rows(conn, cls, order_by=", ".join(c.name for c in key))
    assert len(expected) > 20
    assert exact(got) == exact(expected)


def test_the_data_exercises_every_conversion(filled: EventStore) -> None:
    with filled.engine.connect() as conn:
        contacts = rowread.rows(conn, ContactRow)
        decisions = rowread.rows(conn, DecisionRow)
    assert any(c.reasons for c in contacts) and any(c.decision_ids for c in contacts)
    assert any(c.children_present is None for c in contacts)
    assert {type(c.immediate_danger) for c in contacts} == {bool}
    assert all(isinstance(d.rationale, dict) for d in decisions)


def test_open_queue_reads_match_the_generic_path(filled: EventStore) -> None:
    contacts, children = Queries(filled.engine).open_contacts()
    with filled.engine.connect() as conn:
        expected = [
            db_to_row(ContactRow, m)
            for m in conn.execute(
                select(CONTACTS).where(CONTACTS.c.status.in_(OPEN_STATUSES))
            ).mappings()
        ]
        kids: dict[str, list[ContactChildRow]] = defaultdict(list)
        for m in conn.execute(
            select(CHILDREN)
            .join(CONTACTS, CONTACTS.c.contact_id == CHILDREN.c.contact_id)
            .where(CONTACTS.c.status.in_(OPEN_STATUSES))
            .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
        ).mappings():
            kids[m["contact_id"]].append(db_to_row(ContactChildRow, m))
    assert len(contacts) >= 60
    assert sorted(exact(contacts)) == sorted(exact(expected))
    assert {k: exact(v) for k, v in children.items()} == {k: exact(v) for k, v in kids.items()}

    ids = [c.contact_id for c in contacts][:30] + ["no-such-contact"]
    some, some_children, gone = DeskQueries(filled.engine).open_contacts_in(ids)
    assert sorted(exact(some)) == sorted(exact(contacts[:30]))
    assert gone == {"no-such-contact"}
    assert {k: exact(v) for k, v in some_children.items()} == {
        c.contact_id: exact(kids[c.contact_id]) for c in contacts[:30] if kids[c.contact_id]
    }


def test_linked_records_hold_every_linked_contact(filled: EventStore) -> None:
    with filled.engine.connect() as conn:
        links = conn.execute(
            select(CHILDREN.c.person_id, CHILDREN.c.contact_id).where(
                CHILDREN.c.person_id.is_not(None)
            )
        ).all()
        people = {
            db_to_row(PersonRow, m).person_id: db_to_row(PersonRow, m)
            for m in conn.execute(select(PEOPLE)).mappings()
        }
    wanted = sorted({p for p, _ in links})
    records = HistoryQueries(filled.engine).linked_records(wanted)
    # The flags history reads, as the full rows hold them (issue 19: only these are read).
    assert {p: (f.open_case, f.cp_plan, f.looked_after) for p, f in records.people.items()} == {
        p: (bool(r.open_case), r.cp_plan, bool(r.looked_after))
        for p, r in people.items()
        if p in set(wanted)
    }
    for pid, cid in links:
        assert cid in {c.contact_id for c in records.contacts[pid]}
    assert all(type(c.is_referral) is bool for cs in records.contacts.values() for c in cs)


def test_a_core_statement_reads_the_same_through_the_driver(filled: EventStore) -> None:
    open_ids = select(CONTACTS.c.contact_id).where(CONTACTS.c.status.in_(OPEN_STATUSES))
    statement = (
        select(CHILDREN.c.contact_id, CHILDREN.c.slot, CHILDREN.c.person_id)
        .where(CHILDREN.c.contact_id.in_(open_ids), CHILDREN.c.slot >= 0)
        .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
    )
    flags = (
        select(CONTACTS.c.contact_id, CONTACTS.c.is_referral)
        .where(CONTACTS.c.source_code.in_(["2A", "6"]))
        .order_by(CONTACTS.c.contact_id)
    )
    with filled.engine.connect() as conn:
        assert rowread.fetch_statement(conn, statement) == [
            tuple(r) for r in conn.execute(statement)
        ]
        raw = rowread.fetch_statement(conn, flags)
        expected = [tuple(r) for r in conn.execute(flags)]
    assert raw and [(c, bool(f)) for c, f in raw] == expected
    assert {f for _, f in raw} <= {0, 1}  # the driver's 0/1: callers make them bool


def test_follow_through_reads_match_sqlalchemy(filled: EventStore) -> None:
    """The follow-through's bulk reads, now through the driver (issue 19: each refresh
    reads every standing decision since the look-back), give what SQLAlchemy gave."""
    from dutydesk.store.followthrough_queries import (
        ChildSlot,
        DecidedContact,
        FollowThroughQueries,
    )

    q = FollowThroughQueries(filled.engine)
    outcomes = ["cin_assessment", "strategy_s47", "early_help", "nfa", "signpost"]
    d, c, k = DECISIONS.c, CONTACTS.c, CHILDREN.c
    with filled.engine.connect() as conn:
        every = conn.execute(select(d.decided_at).order_by(d.decided_at)).scalars().all()
        middle = every[len(every) // 2]

        def decided(when: Any) -> list[DecidedContact]:
            return [
                DecidedContact(*row)
                for row in conn.execute(
                    select(
                        d.contact_id,
                        d.outcome,
                        d.decided_by,
                        d.decided_at,
                        d.signed_off_at,
                        c.received_at,
                        c.status,
                        c.is_referral,
                    )
                    .join(CONTACTS, c.contact_id == d.contact_id)
                    .where(when, d.outcome.in_(outcomes), standing())
                    .order_by(d.decided_at)
                )
            ]

        since, before = decided(d.decided_at >= middle), decided(d.decided_at < middle)
        slots: dict[str, list[ChildSlot]] = defaultdict(list)
        for cid, slot, person in conn.execute(
            select(k.contact_id, k.slot, k.person_id)
            .where(k.contact_id.in_([x.contact_id for x in since]))
            .order_by(k.contact_id, k.slot)
        ):
            slots[cid].append(ChildSlot(slot, person))
        ids = [x.contact_id for x in since + before]
        kids: dict[str, list[ContactChildRow]] = defaultdict(list)
        for m in conn.execute(
            select(CHILDREN).where(k.contact_id.in_(ids)).order_by(k.contact_id, k.slot)
        ).mappings():
            kids[m["contact_id"]].append(db_to_row(ContactChildRow, m))
        people = {
            m["person_id"]: db_to_row(PersonRow, m) for m in conn.execute(select(PEOPLE)).mappings()
        }
        by_contact: dict[str, list[DecisionRow]] = defaultdict(list)
        for m in conn.execute(
            select(DECISIONS).where(d.contact_id.in_(ids)).order_by(d.decided_at)
        ).mappings():
            by_contact[m["contact_id"]].append(db_to_row(DecisionRow, m))
    assert since and before and any(x.is_referral for x in since)
    assert all(type(x.is_referral) is bool for x in since + before)
    assert q.standing_decisions_since(middle, outcomes) == since
    assert q.standing_decisions_before(middle, outcomes) == before
    assert q.decided_child_slots(middle, outcomes) == dict(slots)
    assert q.children_of(ids) == dict(kids)
    assert q.people(people) == people
    assert q.decisions_of(ids) == dict(by_contact)
