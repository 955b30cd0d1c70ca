"""Bulk history reads for triage: every linked child's earlier contacts in one query.

Rating 100,000 open contacts must not issue a query per child, so contacts are fetched
for a whole set of ``person_id`` values at once (chunked only to stay under SQLite's
bound-parameter limit), with just the columns history needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from ..domain.codes import DecisionStatus
from ..domain.history import PastContact, PersonFlags
from ..domain.triage.evaluation import EvalChild, EvalContact
from . import rowread
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE

CHUNK = 10_000  # well under SQLite's 32,766 bound parameters

_LINKED_SQL = (
    "SELECT contact_children.person_id, contacts.contact_id, contacts.received_at, "
    "contacts.source_code, contacts.rating, contacts.outcome, contacts.is_referral, "
    "contacts.decided_at FROM contact_children "
    "JOIN contacts ON contacts.contact_id = contact_children.contact_id "
    "WHERE contacts.status NOT IN ('merged', 'entered_in_error') "  # codes.VOID_STATUSES
    "AND contact_children.person_id IN ({})"
)


_FLAGS_SQL = (
    "SELECT person_id, open_case, cp_plan, looked_after FROM people WHERE person_id IN ({})"
)


@dataclass(slots=True)
class LinkedRecords:
    """What the store holds for a set of people: the flags history reads from their
    person records, and their contacts."""

    people: dict[str, PersonFlags] = field(default_factory=dict)
    contacts: dict[str, list[PastContact]] = field(default_factory=dict)


class HistoryQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def linked_records(self, person_ids: Iterable[str]) -> LinkedRecords:
        """People (their history flags) and all contacts each is linked to, for many
        people at once."""
        wanted = sorted(set(person_ids))
        out = LinkedRecords()
        contacts: dict[str, list[PastContact]] = defaultdict(list)
        with self.engine.connect() as conn:
            for chunk in rowread.chunks(wanted, CHUNK):
                marks = rowread.placeholders(len(chunk))
                for pid, open_case, cp_plan, looked_after in rowread.fetch(
                    conn, _FLAGS_SQL.format(marks), chunk
                ):
                    out.people[pid] = PersonFlags(pid, bool(open_case), cp_plan, bool(looked_after))
                found = rowread.fetch(
                    conn, _LINKED_SQL.format(rowread.placeholders(len(chunk))), chunk
                )
                for pid, cid, received, source, rating, outcome, referral, decided in found:
                    contacts[pid].append(
                        PastContact(cid, received, source, rating, outcome, bool(referral), decided)
                    )
        out.contacts = dict(contacts)
        return out


def evaluation_contacts(engine: Engine) -> list[EvalContact]:
    """Every contact with its first rating, its settled outcomes and its children's
    ethnicity, disability and age (from the linked person where there is one)."""
    outcomes: dict[str, set[str]] = defaultdict(set)
    children: dict[str, list[EvalChild]] = defaultdict(list)
    with engine.connect() as conn:
        for d in conn.execute(
            select(DECISIONS.c.contact_id, DECISIONS.c.outcome).where(
                DECISIONS.c.superseded.is_(False),
                DECISIONS.c.status != DecisionStatus.PROPOSED.value,
            )
        ):
            outcomes[d.contact_id].add(d.outcome)
        kids = conn.execute(
            select(
                CHILDREN.c.contact_id,
                CHILDREN.c.ethnicity,
                CHILDREN.c.date_of_birth,
                CHILDREN.c.expected_date_of_birth,
                PEOPLE.c.ethnicity.label("p_ethnicity"),
                PEOPLE.c.disabilities,
                PEOPLE.c.date_of_birth.label("p_dob"),
            )
            .outerjoin(PEOPLE, PEOPLE.c.person_id == CHILDREN.c.person_id)
            .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
        )
        for k in kids:
            children[k.contact_id].append(
                EvalChild(
                    ethnicity=k.p_ethnicity or k.ethnicity,
                    disabilities=tuple(k.disabilities or ()),
                    date_of_birth=k.date_of_birth or k.p_dob,
                    expected_date_of_birth=k.expected_date_of_birth,
                )
            )
        return [
            EvalContact(
                r.contact_id,
                r.received_at,
                r.original_rating,
                frozenset(outcomes.get(r.contact_id, ())),
                tuple(children.get(r.contact_id, ())),
            )
            for r in conn.execute(
                select(
                    CONTACTS.c.contact_id, CONTACTS.c.received_at, CONTACTS.c.original_rating
                ).where(CONTACTS.c.received_at != "")
            )
        ]
