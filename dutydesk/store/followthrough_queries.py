"""Reads for the follow-through views: the events the fold needs and the contact rows
around them, each in a few indexed queries (events by type, contacts by received time)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, func, select

from ..domain import routes as rules
from ..domain.codes import VOID_STATUSES
from ..domain.events import Event
from ..domain.projection import ContactChildRow, ContactRow, DecisionRow, PersonRow
from ..domain.timescales import OfficeHours
from . import rowread
from .eventstore import EVENTS, db_to_event
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, _chunks, db_to_row, standing


def _type_in(types: Sequence[str]) -> ColumnElement[bool]:
    """``type IN types`` written so SQLite does not answer it from the type index: with
    a list of contacts beside it, the planner otherwise walks every event of those types
    for each chunk of contacts (5 s for 2,000 contacts on a 300,000-event store) instead
    of the contact index."""
    return EVENTS.c.type.concat("").in_(list(types))


class DecidedContact(NamedTuple):
    contact_id: str
    outcome: str
    decided_by: str
    decided_at: str
    signed_off_at: str | None
    received_at: str | None
    status: str
    is_referral: bool


class ChildSlot(NamedTuple):
    slot: int
    person_id: str | None


class FollowThroughQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # the route index so far, and the last event it has read (``route_index``)
        self._indexer = rules.RouteIndexer()
        self._indexed_to = 0
        # contacts folded by ``fold_open`` (each alone), valid up to ``_folded_to``
        self._folded: dict[str, rules.FollowThrough] = {}
        self._folded_to = 0
        self._folded_office: OfficeHours | None = None
        # the two caches above are read and fed under this lock (one task thread uses a
        # service today; two would otherwise interleave feeding them)
        self._cache_lock = threading.Lock()

    def events_of_types(
        self, types: Sequence[str], contact_ids: Iterable[str] | None = None
    ) -> list[Event]:
        """Events of ``types`` in this desk's order (all, or only for ``contact_ids``)."""
        query = select(EVENTS).where(EVENTS.c.type.in_(list(types)))
        with self.engine.connect() as conn:
            if contact_ids is None:
                return [
                    db_to_event(m)
                    for m in conn.execute(query.order_by(EVENTS.c.local_seq)).mappings()
                ]
            # By contact: the contact index, not the type index (``_type_in``; MI's fold of
            # ~9,000 contacts at 100,000 events spent 54 s of 74 s scanning by type).
            found: list[tuple[int, Event]] = []
            by_contact = select(EVENTS).where(_type_in(types))
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                found.extend(
                    (m["local_seq"], db_to_event(m))
                    for m in conn.execute(
                        by_contact.where(EVENTS.c.contact_id.in_(chunk))
                    ).mappings()
                )
        return [e for _, e in sorted(found, key=lambda x: x[0])]

    def _fold_rows(
        self, types: Sequence[str], contact_ids: Iterable[str] | None = None
    ) -> list[Any]:
        """The events ``events_of_types`` gives, in the same order, as driver tuples of the
        columns the fold reads: (local_seq, contact_id, type, actor, client_time, payload
        as JSON text). Whole ``Event`` rows were 17 s of MI's 1M-event load; the payloads
        are parsed one at a time as the fold takes them (``fold``), not all kept parsed."""
        e = EVENTS.c
        columns = select(e.local_seq, e.contact_id, e.type, e.actor, e.client_time, e.payload)
        with self.engine.connect() as conn:
            if contact_ids is None:
                return list(
                    rowread.fetch_statement(
                        conn, columns.where(e.type.in_(list(types))).order_by(e.local_seq)
                    )
                )
            rows: list[Any] = []  # by contact: the contact index, not the type index
            by_contact = columns.where(_type_in(types))
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                rows.extend(
                    rowread.fetch_statement(conn, by_contact.where(e.contact_id.in_(chunk)))
                )
        rows.sort(key=lambda r: r[0])
        return rows

    def fold_events(
        self, types: Sequence[str], contact_ids: Iterable[str]
    ) -> list[rules.FoldEvent]:
        """The events of ``types`` of ``contact_ids`` in this desk's order, as the fold
        reads them (``events_of_types`` gives the same as whole events)."""
        loads = json.loads
        return [
            rules.FoldEvent(kind, actor, at, loads(body))
            for _, _, kind, actor, at, body in self._fold_rows(types, contact_ids)
        ]

    def contacts(self, contact_ids: Iterable[str]) -> dict[str, ContactRow]:
        out: dict[str, ContactRow] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                for m in conn.execute(
                    select(CONTACTS).where(CONTACTS.c.contact_id.in_(chunk))
                ).mappings():
                    out[m["contact_id"]] = db_to_row(ContactRow, m)
        return out

    def statuses(self, contact_ids: Iterable[str]) -> dict[str, str]:
        """Each contact's status only (a full row carries JSON the caller never reads)."""
        c = CONTACTS.c
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                out.update(
                    (cid, status)
                    for cid, status in conn.execute(
                        select(c.contact_id, c.status).where(c.contact_id.in_(chunk))
                    )
                )
        return out

    def contacts_received_since(self, since: str) -> list[ContactRow]:
        with self.engine.connect() as conn:
            return [
                db_to_row(ContactRow, m)
                for m in conn.execute(
                    select(CONTACTS)
                    .where(CONTACTS.c.received_at >= since)
                    .order_by(CONTACTS.c.received_at)
                ).mappings()
            ]

    def contacts_decided_since(self, since: str) -> list[str]:
        """Contacts with a decision recorded at or after ``since`` (next steps to follow)."""
        with self.engine.connect() as conn:
            return list(
                dict.fromkeys(
                    conn.execute(
                        select(DECISIONS.c.contact_id)
                        .where(DECISIONS.c.decided_at >= since)
                        .order_by(DECISIONS.c.decided_at)
                    ).scalars()
                )
            )

    def standing_decisions_since(self, since: str, outcomes: Sequence[str]) -> list[DecidedContact]:
        """Decisions that stand (recorded or signed off, not superseded) made at or after
        ``since`` with one of ``outcomes``, oldest first, with the few contact columns the
        follow-through needs (no rationale, no concern text)."""
        return self._standing_decisions(DECISIONS.c.decided_at >= since, outcomes)

    def _standing_decisions(
        self, made: ColumnElement[bool], outcomes: Sequence[str]
    ) -> list[DecidedContact]:
        """Read as the driver's tuples (every refresh reads each decided contact since the
        look-back: tens of thousands at a county's scale), ``is_referral`` (NOT NULL, 0
        or 1) made a bool as SQLAlchemy's Boolean type does."""
        d, c = DECISIONS.c, CONTACTS.c
        with self.engine.connect() as conn:
            rows = rowread.fetch_statement(
                conn,
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
                .where(made, d.outcome.in_(list(outcomes)), standing())
                .order_by(d.decided_at),
            )
        return [
            DecidedContact(cid, out, by, at, signed, received, status, bool(referral))
            for cid, out, by, at, signed, received, status, referral in rows
        ]

    def decided_child_slots(
        self, since: str, outcomes: Sequence[str]
    ) -> dict[str, list[ChildSlot]]:
        """``child_slots`` of the contacts ``standing_decisions_since`` gives, in one joined
        query (not one per 500 contacts)."""
        d, k = DECISIONS.c, CHILDREN.c
        out: dict[str, list[ChildSlot]] = defaultdict(list)
        with self.engine.connect() as conn:
            rows = rowread.fetch_statement(  # driver tuples: a row per decided child
                conn,
                select(k.contact_id, k.slot, k.person_id)
                .where(
                    k.contact_id.in_(
                        select(d.contact_id).where(
                            d.decided_at >= since,
                            d.outcome.in_(list(outcomes)),
                            standing(),
                        )
                    )
                )
                .order_by(k.contact_id, k.slot),
            )
        for cid, slot, person in rows:
            out[cid].append(ChildSlot(slot, person))
        return dict(out)

    def standing_decisions_before(
        self, before: str, outcomes: Sequence[str]
    ) -> list[DecidedContact]:
        """As ``standing_decisions_since``, for decisions made before ``before`` (the ones
        the follow-through does not list, so it can say how many it leaves out)."""
        return self._standing_decisions(DECISIONS.c.decided_at < before, outcomes)

    def first_route_at(self) -> str | None:
        """When this store first recorded a route (the desk started following children
        through), or None. The earliest by desk order (``ix_events_type_local_seq``)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(EVENTS.c.client_time)
                .where(EVENTS.c.type == "route.opened")
                .order_by(EVENTS.c.local_seq)
                .limit(1)
            ).scalar_one_or_none()

    def open_case_children_received_before(self, before: str) -> set[tuple[str, str]]:
        """(contact id, person id) of every linked child whose record says an allocated
        worker holds the case, on a contact received before ``before``: the allocated-worker
        notices older than the tab's look-back. Imported history (channel "import": the
        referral that opened the case, not a new contact) and merged or entered-in-error
        contacts are left out. Two id columns only, joined on indexed keys."""
        c, k, p = CONTACTS.c, CHILDREN.c, PEOPLE.c
        with self.engine.connect() as conn:
            return {
                (cid, pid)
                for cid, pid in conn.execute(
                    select(c.contact_id, k.person_id)
                    .join(CHILDREN, k.contact_id == c.contact_id)
                    .join(PEOPLE, p.person_id == k.person_id)
                    .where(
                        c.received_at < before,
                        c.channel != "import",
                        c.status.not_in(sorted(VOID_STATUSES)),
                        p.open_case.is_(True),
                    )
                )
            }

    def route_index(self) -> rules.RouteIndex:
        """Open-route contacts and routed children (``_route_index``), under the lock."""
        with self._cache_lock:
            return self._route_index()

    def _route_index(self) -> rules.RouteIndex:
        """Which contacts have an open route and which children have any route
        (``domain.routes.route_index``), from the route lifecycle events only, read once:
        each call feeds only the events stored since the last (``local_seq`` only grows;
        nothing is deleted from the log). SQLite's JSON functions read the four fields
        the index needs (parsing 76,000 payloads in Python took 2 s)."""
        fields = ("route_id", "contact_id", "slot", "step")
        payload = EVENTS.c.payload
        with self.engine.connect() as conn:
            rows = rowread.fetch_statement(
                conn,
                select(
                    EVENTS.c.local_seq,
                    EVENTS.c.type,
                    *(func.json_extract(payload, f"$.{f}") for f in fields),
                )
                .where(
                    EVENTS.c.type.in_(rules.LIFECYCLE_TYPES),
                    EVENTS.c.local_seq > self._indexed_to,
                )
                .order_by(EVENTS.c.local_seq),
            )
        self._indexer.feed(
            (kind, {f: v for f, v in zip(fields, values, strict=True) if v is not None})
            for _seq, kind, *values in rows
        )
        if rows:
            self._indexed_to = rows[-1][0]
        return self._indexer.index()

    def conflicted_contacts(self) -> list[ContactRow]:
        with self.engine.connect() as conn:
            return [
                db_to_row(ContactRow, m)
                for m in conn.execute(
                    select(CONTACTS)
                    .where(CONTACTS.c.conflict.is_(True))
                    .order_by(CONTACTS.c.received_at)
                ).mappings()
            ]

    def children_of(self, contact_ids: Iterable[str]) -> dict[str, list[ContactChildRow]]:
        out: dict[str, list[ContactChildRow]] = defaultdict(list)
        with self.engine.connect() as conn:
            for row in rowread.rows_in(
                conn,
                ContactChildRow,
                "contact_id",
                list(dict.fromkeys(contact_ids)),
                order_by="contact_id, slot",
            ):
                out[row.contact_id].append(row)
        return dict(out)

    def child_slots(self, contact_ids: Iterable[str]) -> dict[str, list[ChildSlot]]:
        """Each contact's children as (slot, person id) only: what deciding "has this
        child a route?" needs, without the full rows (the count of older decided
        children reads thousands)."""
        out: dict[str, list[ChildSlot]] = defaultdict(list)
        c = CHILDREN.c
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                for cid, slot, person in conn.execute(
                    select(c.contact_id, c.slot, c.person_id)
                    .where(c.contact_id.in_(chunk))
                    .order_by(c.contact_id, c.slot)
                ):
                    out[cid].append(ChildSlot(slot, person))
        return dict(out)

    def completed_assessments(self, contact_ids: Iterable[str]) -> set[tuple[str, str]]:
        """(contact id, person id) of every ``assessment.completed`` on these contacts."""
        out: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                for cid, payload in conn.execute(
                    select(EVENTS.c.contact_id, EVENTS.c.payload).where(
                        _type_in(["assessment.completed"]), EVENTS.c.contact_id.in_(chunk)
                    )
                ):
                    out.add((cid, json.loads(payload)["person_id"]))  # JSON as text
        return out

    def decisions_of(self, contact_ids: Iterable[str]) -> dict[str, list[DecisionRow]]:
        out: dict[str, list[DecisionRow]] = defaultdict(list)
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                for row in rowread.rows_in(
                    conn, DecisionRow, "contact_id", chunk, order_by="decided_at"
                ):
                    out[row.contact_id].append(row)
        return dict(out)

    def people(self, person_ids: Iterable[str]) -> dict[str, PersonRow]:
        with self.engine.connect() as conn:
            return {
                row.person_id: row
                for row in rowread.rows_in(
                    conn, PersonRow, "person_id", list(dict.fromkeys(person_ids))
                )
            }

    def fold(
        self,
        office: OfficeHours,
        contact_ids: Iterable[str] | None = None,
        clocks_for: Container[str] | None = None,
    ) -> rules.FollowThrough:
        """Every route, strategy discussion and adult (of ``contact_ids``, or all), with
        clocks (of the routes of ``clocks_for`` only, when given), folded by the pure
        rules in ``domain.routes``."""
        if contact_ids is not None:
            return self._fold_streamed(office, list(dict.fromkeys(contact_ids)), clocks_for)
        rows = self._fold_rows(rules.FOLLOW_THROUGH_TYPES, contact_ids)
        facts = self._facts(office, {r[1] for r in rows if r[1]})
        loads = json.loads
        return rules.fold_routes(
            (rules.FoldEvent(kind, actor, at, loads(body)) for _, _, kind, actor, at, body in rows),
            facts,
            office,
            clocks_for,
        )

    def _fold_streamed(
        self, office: OfficeHours, contact_ids: list[str], clocks_for: Container[str] | None
    ) -> rules.FollowThrough:
        """``fold`` of some contacts with their events read as the fold takes them, not
        all held first: the contacts go into a temporary table, and one query joins it to
        the events by the contact index in log order (SQLite sorts, spilling to its
        temporary files). Holding every row of tens of thousands of contacts was 130 MB
        of the MI period load's peak at 1M events. Same events, same order as
        ``_fold_rows`` (tests/integration/test_route_fold_read.py)."""
        facts = self._facts(office, contact_ids)
        types = ", ".join("?" for _ in rules.FOLLOW_THROUGH_TYPES)
        sql = (
            "SELECT e.type, e.actor, e.client_time, e.payload"
            " FROM temp.fold_contacts AS f JOIN events AS e ON e.contact_id = f.contact_id"
            f" WHERE e.type || '' IN ({types}) ORDER BY e.local_seq"
        )
        loads = json.loads
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(
                "CREATE TEMP TABLE IF NOT EXISTS fold_contacts (contact_id TEXT PRIMARY KEY)"
            )
            # The read's cursor is closed before the table is dropped, however the fold
            # ends: a fold that raised part way left it open, and dropping the table under
            # it failed ("database table is locked"), hiding the fold's own error.
            rows = rowread.stream(conn, sql, rules.FOLLOW_THROUGH_TYPES)
            try:
                raw.execute("DELETE FROM temp.fold_contacts")
                raw.executemany(
                    "INSERT INTO temp.fold_contacts VALUES (?)", ((c,) for c in contact_ids)
                )
                return rules.fold_routes(
                    (
                        rules.FoldEvent(kind, actor, at, loads(body))
                        for kind, actor, at, body in rows
                    ),
                    facts,
                    office,
                    clocks_for,
                )
            finally:
                rows.close()
                raw.execute("DROP TABLE IF EXISTS temp.fold_contacts")

    def _facts(
        self, office: OfficeHours, contact_ids: Iterable[str]
    ) -> dict[str, rules.ContactFacts]:
        """The contacts' receipt and (for a referral) decision day, for the clocks."""
        facts = {}
        for cid, received, decided, referral in self._times(contact_ids):
            if not received:
                continue
            day = (
                datetime.fromisoformat(decided).astimezone(office.zone).date()
                if referral and decided
                else None
            )
            facts[cid] = rules.ContactFacts(cid, datetime.fromisoformat(received), day)
        return facts

    def fold_open(self, office: OfficeHours, contact_ids: Iterable[str]) -> rules.FollowThrough:
        """The open-route contacts' fold, kept between calls (``_fold_open``), under the lock."""
        with self._cache_lock:
            return self._fold_open(office, contact_ids)

    def _fold_open(self, office: OfficeHours, contact_ids: Iterable[str]) -> rules.FollowThrough:
        """``fold(office, contact_ids)``, keeping each contact's fold between calls: only
        contacts with an event stored since the last call (``local_seq`` only grows; every
        event the fold or its clocks read names its contact) and contacts not folded yet
        are folded again. Routes come out in contact order, not log order (the view sorts
        them fully). For the follow-through view, which asks for every contact with an
        open route on each refresh."""
        wanted = list(dict.fromkeys(contact_ids))
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(EVENTS.c.local_seq))).scalar_one_or_none() or 0
            if office != self._folded_office:
                self._folded, self._folded_office = {}, office
            elif last > self._folded_to and self._folded:
                for (cid,) in conn.execute(
                    select(EVENTS.c.contact_id)
                    .where(EVENTS.c.local_seq > self._folded_to, EVENTS.c.contact_id.is_not(None))
                    .distinct()
                ):
                    self._folded.pop(cid, None)
        self._folded_to = last
        missing = [cid for cid in wanted if cid not in self._folded]
        if missing:
            fresh = self.fold(office, missing)
            parts = {cid: rules.FollowThrough() for cid in missing}
            for rid, route in fresh.routes.items():
                parts[route.contact_id].routes[rid] = route
            for d in fresh.discussions:
                parts[d.contact_id].discussions.append(d)
            for key, adult in fresh.adults.items():
                parts[key[0]].adults[key] = adult
            self._folded.update(parts)
        for stale in set(self._folded) - set(wanted):
            del self._folded[stale]  # no open route now: not kept
        out = rules.FollowThrough()
        for cid in wanted:
            part = self._folded[cid]
            out.routes.update(part.routes)
            out.discussions.extend(part.discussions)
            out.adults.update(part.adults)
        return out

    def _times(self, contact_ids: Iterable[str]) -> list[tuple[str, str, str | None, bool]]:
        """Only what the clocks need (the full rows carry JSON the fold never reads)."""
        c = CONTACTS.c
        out: list[tuple[str, str, str | None, bool]] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(contact_ids))):
                out.extend(
                    (r[0], r[1], r[2], bool(r[3]))
                    for r in conn.execute(
                        select(c.contact_id, c.received_at, c.decided_at, c.is_referral).where(
                            c.contact_id.in_(chunk)
                        )
                    )
                )
        return out

    def s47_records(self, office: OfficeHours | None = None) -> list[rules.S47Record]:
        """Annex A List 5's source: one row per child per strategy discussion that started
        a section 47 enquiry (``domain.routes.S47Record``), oldest first. For MI and the
        Annex A export, which read the store, not the services."""
        office = office or OfficeHours()
        follow = self.fold(office)
        kids = self.children_of({d.contact_id for d in follow.discussions})
        people = {(cid, k.slot): k.person_id for cid, ks in kids.items() for k in ks if k.person_id}
        return rules.s47_records(follow, office, people)
