"""Read queries the services need: the open queue, one contact, a child's history.

They return immutable snapshots (``dutydesk.services.snapshots``), never ORM objects, so
that the GUI thread can hold them safely.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Engine, func, select

from ..domain.codes import ContactStatus
from ..domain.projection import ContactChildRow, ContactRow, DecisionRow, PersonRow
from . import rowread
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, _chunks, db_to_row

OPEN_STATUSES = (
    ContactStatus.NEW.value,
    ContactStatus.IN_PROGRESS.value,
    ContactStatus.AWAITING_SIGN_OFF.value,
)


class Queries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_contacts(self) -> tuple[list[ContactRow], dict[str, list[ContactChildRow]]]:
        """Every contact still waiting for a decision, with the children on each."""
        status_in = f"contacts.status IN ({rowread.placeholders(len(OPEN_STATUSES))})"
        with self.engine.connect() as conn:
            contacts = rowread.rows(conn, ContactRow, status_in, OPEN_STATUSES)
            children: dict[str, list[ContactChildRow]] = defaultdict(list)
            for row in rowread.rows(
                conn,
                ContactChildRow,
                status_in,
                OPEN_STATUSES,
                joins="JOIN contacts ON contacts.contact_id = contact_children.contact_id",
                order_by="contact_children.contact_id, contact_children.slot",
            ):
                children[row.contact_id].append(row)
        return contacts, dict(children)

    def contact(self, contact_id: str) -> ContactRow | None:
        with self.engine.connect() as conn:
            m = (
                conn.execute(select(CONTACTS).where(CONTACTS.c.contact_id == contact_id))
                .mappings()
                .first()
            )
            return db_to_row(ContactRow, m) if m else None

    def contacts(self, contact_ids: Iterable[str]) -> dict[str, ContactRow]:
        out: dict[str, ContactRow] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(contact_ids)):
                for m in conn.execute(
                    select(CONTACTS).where(CONTACTS.c.contact_id.in_(chunk))
                ).mappings():
                    out[m["contact_id"]] = db_to_row(ContactRow, m)
        return out

    def children_of(self, contact_id: str) -> list[ContactChildRow]:
        with self.engine.connect() as conn:
            return [
                db_to_row(ContactChildRow, m)
                for m in conn.execute(
                    select(CHILDREN)
                    .where(CHILDREN.c.contact_id == contact_id)
                    .order_by(CHILDREN.c.slot)
                ).mappings()
            ]

    def person(self, person_id: str) -> PersonRow | None:
        with self.engine.connect() as conn:
            m = (
                conn.execute(select(PEOPLE).where(PEOPLE.c.person_id == person_id))
                .mappings()
                .first()
            )
            return db_to_row(PersonRow, m) if m else None

    def people(self, person_ids: Iterable[str]) -> dict[str, PersonRow]:
        out: dict[str, PersonRow] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(person_ids)):
                for m in conn.execute(
                    select(PEOPLE).where(PEOPLE.c.person_id.in_(chunk))
                ).mappings():
                    out[m["person_id"]] = db_to_row(PersonRow, m)
        return out

    def contacts_of_person(self, person_id: str) -> list[ContactRow]:
        """Every contact a person is linked to, oldest first: their front-door history."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(CONTACTS)
                .join(CHILDREN, CHILDREN.c.contact_id == CONTACTS.c.contact_id)
                .where(CHILDREN.c.person_id == person_id)
                .order_by(CONTACTS.c.received_at)
            ).mappings()
            return [db_to_row(ContactRow, m) for m in rows]

    def decisions_for(self, contact_id: str) -> list[DecisionRow]:
        with self.engine.connect() as conn:
            return [
                db_to_row(DecisionRow, m)
                for m in conn.execute(
                    select(DECISIONS)
                    .where(DECISIONS.c.contact_id == contact_id)
                    .order_by(DECISIONS.c.decided_at)
                ).mappings()
            ]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            by_status: dict[str, int] = dict(
                conn.execute(
                    select(CONTACTS.c.status, func.count()).group_by(CONTACTS.c.status)
                ).all()
            )
        return {str(k): int(v) for k, v in by_status.items()}
