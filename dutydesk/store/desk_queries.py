"""Queries behind the duty window beyond the foundation's: change polling, events of one
contact by type, handover notes, and the people look-ups used for match suggestions.

All are indexed reads (``events.local_seq`` primary key, ``ix_events_type_local_seq``,
``ix_events_contact_id``, people by NHS number / family name / date of birth).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, func, or_, select

from ..domain.codes import ContactStatus
from ..domain.events import Event
from ..domain.projection import ContactChildRow, ContactRow, PersonRow, QueueRow
from . import rowread
from .eventstore import EVENTS, db_to_event
from .queries import OPEN_STATUSES
from .readmodel import CONTACTS, DECISIONS, PEOPLE, db_to_row

R = TypeVar("R", ContactRow, QueueRow)  # an open contact, whole or as the queue shows it


class DeskQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def last_seq(self) -> int:
        """The newest local sequence number: a cheap "has anything arrived?" probe."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(EVENTS.c.local_seq))).scalar() or 0)

    def changed_since(self, seq: int) -> tuple[int, set[str], set[str]]:
        """(newest seq, contact ids touched, event types seen) after ``seq``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.local_seq, EVENTS.c.contact_id, EVENTS.c.type).where(
                    EVENTS.c.local_seq > seq
                )
            ).all()
        newest = max((r.local_seq for r in rows), default=seq)
        return newest, {r.contact_id for r in rows if r.contact_id}, {r.type for r in rows}

    def open_contacts_in(
        self, contact_ids: Iterable[str]
    ) -> tuple[list[ContactRow], dict[str, list[ContactChildRow]], set[str]]:
        """The given contacts that are open, their children, and the ids no longer open."""
        return self._open_in(ContactRow, contact_ids)

    def open_queue_rows_in(
        self, contact_ids: Iterable[str]
    ) -> tuple[list[QueueRow], dict[str, list[ContactChildRow]], set[str]]:
        """As ``open_contacts_in``, with only the columns the queue shows."""
        return self._open_in(QueueRow, contact_ids)

    def _open_in(
        self, cls: type[R], contact_ids: Iterable[str]
    ) -> tuple[list[R], dict[str, list[ContactChildRow]], set[str]]:
        ids = list(contact_ids)
        contacts: list[R] = []
        children: dict[str, list[ContactChildRow]] = {}
        status_in = f"status IN ({rowread.placeholders(len(OPEN_STATUSES))})"
        with self.engine.connect() as conn:
            for chunk in rowread.chunks(ids):
                contacts.extend(
                    rowread.rows_in(
                        conn,
                        cls,
                        "contact_id",
                        chunk,
                        f"{status_in} AND received_at != ''",
                        OPEN_STATUSES,
                    )
                )
                for row in rowread.rows_in(
                    conn, ContactChildRow, "contact_id", chunk, order_by="contact_id, slot"
                ):
                    children.setdefault(row.contact_id, []).append(row)
        still_open = {c.contact_id for c in contacts}
        return contacts, children, set(ids) - still_open

    def with_returned_proposal(self) -> set[str]:
        """Contacts in progress with a proposal a manager sent back (decision status
        ``returned``): the queue marks only those. Read through the in-progress contacts'
        decisions (indexed), not a scan of every decision the store holds (40 ms at 1M)."""
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(DECISIONS.c.contact_id)
                    .join(CONTACTS, CONTACTS.c.contact_id == DECISIONS.c.contact_id)
                    .where(
                        CONTACTS.c.status == ContactStatus.IN_PROGRESS.value,
                        DECISIONS.c.status == "returned",
                    )
                    .distinct()
                ).scalars()
            )

    def open_contact_ids(self) -> list[str]:
        """Every open contact's id, read through the driver: SQLAlchemy's result fetched
        them a row at a time (3,850 ``fetchone`` calls at 1M events)."""
        with self.engine.connect() as conn:
            return [
                r[0]
                for r in rowread.fetch_statement(
                    conn,
                    select(CONTACTS.c.contact_id).where(
                        CONTACTS.c.status.in_(OPEN_STATUSES), CONTACTS.c.received_at != ""
                    ),
                )
            ]

    def events_of_types(
        self, types: Sequence[str], *, contact_id: str | None = None
    ) -> list[Event]:
        query = select(EVENTS).where(EVENTS.c.type.in_(list(types)))
        if contact_id is not None:
            query = query.where(EVENTS.c.contact_id == contact_id)
        with self.engine.connect() as conn:
            return [
                db_to_event(m) for m in conn.execute(query.order_by(EVENTS.c.local_seq)).mappings()
            ]

    def people_matching(
        self,
        *,
        nhs_number: str | None,
        given_name: str | None,
        family_name: str | None,
        date_of_birth: str | None,
        limit: int = 10,
    ) -> list[PersonRow]:
        """People sharing the NHS number, or the family name with the date of birth or
        given name (case-insensitive). The caller ranks and explains them."""
        clauses: list[Any] = []
        if nhs_number:
            clauses.append(PEOPLE.c.nhs_number == nhs_number)
        family = func.lower(PEOPLE.c.family_name)
        if family_name and date_of_birth:
            clauses.append(
                and_(family == family_name.casefold(), PEOPLE.c.date_of_birth == date_of_birth)
            )
        if given_name and date_of_birth:
            clauses.append(
                and_(
                    func.lower(PEOPLE.c.given_name) == given_name.casefold(),
                    PEOPLE.c.date_of_birth == date_of_birth,
                )
            )
        if family_name and given_name:
            clauses.append(
                and_(
                    family == family_name.casefold(),
                    func.lower(PEOPLE.c.given_name) == given_name.casefold(),
                )
            )
        if not clauses:
            return []
        with self.engine.connect() as conn:
            return [
                db_to_row(PersonRow, m)
                for m in conn.execute(select(PEOPLE).where(or_(*clauses)).limit(limit)).mappings()
            ]
