"""Read queries behind printed documents: a child's or a contact's events, a duty log,
events by id for verification, and who the record says printed a given file.

The case log reads the event log itself (the document shows the record, not a summary
of it); the duty log reads the projections and then fetches the events behind each row
so that the printed page can be checked against the record too.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from ..domain.clock import LONDON
from ..domain.events import Event
from ..domain.projection import ContactChildRow, ContactRow, DecisionRow
from ..domain.route_events import ROUTE_EVENTS
from ..reports.records import DutyLogData
from .eventstore import EVENT_PEOPLE, EVENTS, db_to_event
from .readmodel import CHILDREN, CONTACTS, DECISIONS, _chunks, db_to_row

CONTACT_TYPES = ("contact.received",)
PRINT_TYPES = ("document.printed", "document.exported")
DECISION_TYPES = (
    "decision.proposed",
    "decision.recorded",
    "decision.signed_off",
    "decision.amended",
    "decision.returned",
)


def local_window(first: date, last: date) -> tuple[datetime, datetime]:
    """From midnight (London) on ``first`` to midnight after ``last``."""
    if last < first:
        raise ValueError(f"the date range ends ({last}) before it starts ({first})")
    start = datetime.combine(first, time(0), LONDON)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON)
    return start, end


def _within(value: str | None, start: datetime, end: datetime) -> bool:
    if not value:
        return False
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return False
    if at.tzinfo is None:  # stored times are aware; guard against a stray naive one
        at = at.replace(tzinfo=LONDON)
    return start <= at < end


class ReportQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- events --------------------------------------------------------------------

    def document_records(self, file_sha256: str) -> list[str]:
        """Who the record says printed or exported the file with this SHA-256 (the
        logins of the ``document.printed`` / ``document.exported`` events naming it)."""
        if not re.fullmatch(r"[0-9a-f]{64}", file_sha256):
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.actor, EVENTS.c.payload)
                .where(
                    EVENTS.c.type.in_(PRINT_TYPES),
                    EVENTS.c.payload.contains(file_sha256, autoescape=True),
                )
                .order_by(EVENTS.c.local_seq)
            ).all()
        return [
            actor
            for actor, payload in rows
            if json.loads(payload).get("file_sha256") == file_sha256
        ]

    def events_by_ids(self, ids: Iterable[str]) -> dict[str, Event]:
        out: dict[str, Event] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(ids)):
                for m in conn.execute(select(EVENTS).where(EVENTS.c.id.in_(chunk))).mappings():
                    out[m["id"]] = db_to_event(m)
        return out

    def person_case_events(self, person_id: str) -> list[Event]:
        """The person's own events and every event of each contact they are linked to."""
        with self.engine.connect() as conn:
            own = [
                db_to_event(m)
                for m in conn.execute(
                    select(EVENTS)
                    .join(EVENT_PEOPLE, EVENT_PEOPLE.c.local_seq == EVENTS.c.local_seq)
                    .where(EVENT_PEOPLE.c.person_id == person_id)
                    .order_by(EVENTS.c.local_seq)
                ).mappings()
            ]
        contact_ids = linked_contacts(own, person_id)
        return self._merge(own, self._contact_events(contact_ids))

    def contact_case_events(self, contact_id: str) -> list[Event]:
        """Every event of one contact, and the registration events of the children on it."""
        events = self._contact_events([contact_id])
        people: set[str] = set()
        for _, e in events:
            people.update(e.person_ids)
        person_events: list[Event] = []
        if people:
            with self.engine.connect() as conn:
                seqs = select(EVENT_PEOPLE.c.local_seq).where(
                    EVENT_PEOPLE.c.person_id.in_(sorted(people))
                )
                person_events = [
                    db_to_event(m)
                    for m in conn.execute(
                        select(EVENTS)
                        .where(EVENTS.c.local_seq.in_(seqs), EVENTS.c.type.like("person.%"))
                        .order_by(EVENTS.c.local_seq)
                    ).mappings()
                ]
        return self._merge(person_events, events)

    def _contact_events(self, contact_ids: list[str]) -> list[tuple[int, Event]]:
        found: list[tuple[int, Event]] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(contact_ids))):
                for m in conn.execute(
                    select(EVENTS).where(EVENTS.c.contact_id.in_(chunk))
                ).mappings():
                    found.append((m["local_seq"], db_to_event(m)))
        return found

    def _merge(self, first: list[Event], second: list[tuple[int, Event]]) -> list[Event]:
        """One list in this desk's arrival order, each event once."""
        ids = [e.id for e in first]
        seq: dict[str, int] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                seq.update(
                    conn.execute(
                        select(EVENTS.c.id, EVENTS.c.local_seq).where(EVENTS.c.id.in_(chunk))
                    ).all()
                )
        merged = {e.id: (seq[e.id], e) for e in first}
        for s, e in second:
            merged[e.id] = (s, e)
        return [e for _, e in sorted(merged.values(), key=lambda pair: pair[0])]

    # ---- duty log ------------------------------------------------------------------

    def duty_log(
        self, first: date, last: date, *, office: str | None = None, team: str | None = None
    ) -> DutyLogData:
        start, end = local_window(first, last)
        # Stored times carry their own offsets; widen the SQL range by a day and filter
        # exactly on parsed times, so an odd offset cannot drop a row at the edges.
        lo = (start - timedelta(days=1)).date().isoformat()
        hi = (end + timedelta(days=1)).date().isoformat()
        where = []
        if office:
            where.append(CONTACTS.c.office == office)
        if team:
            where.append(CONTACTS.c.team == team)
        with self.engine.connect() as conn:
            contacts = [
                db_to_row(ContactRow, m)
                for m in conn.execute(
                    select(CONTACTS).where(
                        CONTACTS.c.received_at >= lo, CONTACTS.c.received_at < hi, *where
                    )
                ).mappings()
            ]
            contacts = sorted(
                (c for c in contacts if _within(c.received_at, start, end)),
                key=lambda c: (datetime.fromisoformat(c.received_at), c.contact_id),
            )
            decided = [
                db_to_row(DecisionRow, m)
                for m in conn.execute(
                    select(DECISIONS)
                    .join(CONTACTS, CONTACTS.c.contact_id == DECISIONS.c.contact_id)
                    .where(DECISIONS.c.decided_at >= lo, DECISIONS.c.decided_at < hi, *where)
                ).mappings()
            ]
            decisions = sorted(
                (d for d in decided if _within(d.decided_at, start, end)),
                key=lambda d: (datetime.fromisoformat(d.decided_at), d.decision_id),
            )
            shown = {c.contact_id for c in contacts} | {d.contact_id for d in decisions}
            children: dict[str, list[ContactChildRow]] = defaultdict(list)
            for chunk in _chunks(sorted(shown)):
                for m in conn.execute(
                    select(CHILDREN)
                    .where(CHILDREN.c.contact_id.in_(chunk))
                    .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
                ).mappings():
                    children[m["contact_id"]].append(db_to_row(ContactChildRow, m))
            events = self._duty_events(
                conn,
                {c.contact_id for c in contacts},
                {d.decision_id for d in decisions},
                {d.contact_id for d in decisions},
            )
            followups = self._followups(conn, lo, hi, start, end, where)
            for chunk in _chunks(sorted({e.contact_id for e in followups if e.contact_id} - shown)):
                for m in conn.execute(
                    select(CHILDREN)
                    .where(CHILDREN.c.contact_id.in_(chunk))
                    .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
                ).mappings():
                    children[m["contact_id"]].append(db_to_row(ContactChildRow, m))
        return DutyLogData(
            tuple(contacts),
            tuple(decisions),
            {k: tuple(v) for k, v in children.items()},
            tuple(events) + tuple(followups),
            tuple(followups),
        )

    def _followups(
        self, conn: Connection, lo: str, hi: str, start: datetime, end: datetime, where: list[Any]
    ) -> list[Event]:
        """Follow-through events recorded in the window (issue 21), in record order."""
        query = (
            select(EVENTS)
            .join(CONTACTS, CONTACTS.c.contact_id == EVENTS.c.contact_id)
            .where(
                EVENTS.c.type.in_(sorted(ROUTE_EVENTS)),
                EVENTS.c.client_time >= lo,
                EVENTS.c.client_time < hi,
                *where,
            )
            .order_by(EVENTS.c.local_seq)
        )
        return [
            e
            for e in map(db_to_event, conn.execute(query).mappings())
            if _within(e.client_time, start, end)
        ]

    def _duty_events(
        self,
        conn: Connection,
        contact_ids: set[str],
        decision_ids: set[str],
        decision_contacts: set[str],
    ) -> list[Event]:
        """The events behind the rows: each contact's receipt, each decision's events."""
        out: list[Event] = []
        both = sorted(contact_ids | decision_contacts)
        for chunk in _chunks(both):
            rows = conn.execute(
                select(EVENTS)
                .where(
                    EVENTS.c.contact_id.in_(chunk),
                    or_(EVENTS.c.type.in_(CONTACT_TYPES), EVENTS.c.type.in_(DECISION_TYPES)),
                )
                .order_by(EVENTS.c.local_seq)
            ).mappings()
            for m in rows:
                if m["type"] in CONTACT_TYPES:
                    if m["contact_id"] in contact_ids:
                        out.append(db_to_event(m))
                elif json.loads(m["payload"]).get("decision_id") in decision_ids:
                    out.append(db_to_event(m))
        return out


def linked_contacts(person_events: Iterable[Event], person_id: str) -> list[str]:
    """Contacts a person is on now: named at receipt or linked later, and not unlinked."""
    linked: dict[str, bool] = {}
    for e in person_events:
        cid = e.contact_id
        if cid is None:
            continue
        if e.type == "contact.received" or e.type == "person.linked":
            linked[cid] = True
        elif e.type == "person.unlinked" and e.payload.get("person_id") == person_id:
            linked[cid] = False
    return [cid for cid, on in linked.items() if on]
