"""The pending-link list: likely matches a person must confirm or dismiss.

A row stays "pending" until someone records ``person.linked`` for that child on that
contact (then it drops out of ``pending``) or dismisses it. Adding is idempotent.
``find`` and ``close`` take a connection so that closing a row commits in the same
transaction as the ``person.linked`` event that confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, RowMapping, Table, and_, insert, select, tuple_, update

from ..domain.projection import ContactChildRow, PersonRow
from .readmodel import CHILDREN, CONTACTS, PEOPLE, _chunks, db_to_row
from .schema import PendingLink

PENDING: Table = PendingLink.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class PendingLinkRow:
    contact_id: str
    slot: int
    person_id: str
    confidence: int
    matched: tuple[str, ...]
    source: str
    created_at: str
    state: str = "pending"
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None


PENDING_STATE, LINKED_STATE, DISMISSED_STATE = "pending", "linked", "dismissed"


def _row(m: RowMapping) -> PendingLinkRow:
    return PendingLinkRow(
        m["contact_id"],
        m["slot"],
        m["person_id"],
        m["confidence"],
        tuple(m["matched"] or ()),
        m["source"],
        m["created_at"],
        m["state"],
        m["decided_by"],
        m["decided_at"],
        m["reason"],
    )


def add(engine: Engine, rows: Iterable[PendingLinkRow]) -> int:
    """Queue suggestions not already queued; returns how many were new."""
    wanted = {(r.contact_id, r.slot, r.person_id): r for r in rows}
    if not wanted:
        return 0
    with engine.begin() as conn:
        present: set[tuple[str, int, str]] = set()
        for chunk in _chunks(list(wanted)):
            present |= {
                tuple(r)
                for r in conn.execute(
                    select(PENDING.c.contact_id, PENDING.c.slot, PENDING.c.person_id).where(
                        tuple_(PENDING.c.contact_id, PENDING.c.slot, PENDING.c.person_id).in_(chunk)
                    )
                )
            }
        new = [r for k, r in wanted.items() if k not in present]
        if new:
            conn.execute(
                insert(PENDING),
                [
                    {
                        "contact_id": r.contact_id,
                        "slot": r.slot,
                        "person_id": r.person_id,
                        "confidence": r.confidence,
                        "matched": list(r.matched),
                        "source": r.source,
                        "created_at": r.created_at,
                        "state": r.state,
                    }
                    for r in new
                ],
            )
    return len(new)


def pending(engine: Engine) -> list[PendingLinkRow]:
    """Suggestions still waiting: not dismissed, and the child not linked since."""
    query = (
        select(PENDING)
        .join(
            CHILDREN,
            and_(CHILDREN.c.contact_id == PENDING.c.contact_id, CHILDREN.c.slot == PENDING.c.slot),
        )
        .where(PENDING.c.state == "pending", CHILDREN.c.person_id.is_(None))
        .order_by(
            PENDING.c.created_at, PENDING.c.contact_id, PENDING.c.slot, PENDING.c.confidence.desc()
        )
    )
    with engine.connect() as conn:
        return [_row(m) for m in conn.execute(query).mappings()]


def find(conn: Connection, contact_id: str, slot: int, person_id: str) -> PendingLinkRow | None:
    """One suggestion in any state, read inside the caller's transaction."""
    m = (
        conn.execute(
            select(PENDING).where(
                PENDING.c.contact_id == contact_id,
                PENDING.c.slot == slot,
                PENDING.c.person_id == person_id,
            )
        )
        .mappings()
        .first()
    )
    return None if m is None else _row(m)


def close(
    conn: Connection,
    contact_id: str,
    slot: int,
    person_id: str,
    *,
    state: str,
    by: str,
    at: str,
    reason: str | None = None,
) -> bool:
    """Close a still-pending suggestion (linked or dismissed) inside the caller's
    transaction. Returns False, changing nothing, if it was not pending any more."""
    if state not in (LINKED_STATE, DISMISSED_STATE):
        raise ValueError(f"a pending link closes as linked or dismissed, not {state!r}")
    done = conn.execute(
        update(PENDING)
        .where(
            PENDING.c.contact_id == contact_id,
            PENDING.c.slot == slot,
            PENDING.c.person_id == person_id,
            PENDING.c.state == PENDING_STATE,
        )
        .values(state=state, decided_by=by, decided_at=at, reason=reason)
    )
    return bool(done.rowcount)


def dismiss(
    engine: Engine,
    contact_id: str,
    slot: int,
    person_id: str,
    *,
    by: str = "",
    at: str = "",
    reason: str | None = None,
) -> bool:
    with engine.begin() as conn:
        return close(
            conn, contact_id, slot, person_id, state=DISMISSED_STATE, by=by, at=at, reason=reason
        )


def sides(
    engine: Engine, rows: Iterable[PendingLinkRow]
) -> tuple[dict[tuple[str, int], ContactChildRow], dict[str, PersonRow], dict[str, str]]:
    """What a person comparing suggestions needs: the child as described on each contact,
    the known person, and when each contact was received."""
    wanted = list(rows)
    slots = sorted({(r.contact_id, r.slot) for r in wanted})
    people_ids = sorted({r.person_id for r in wanted})
    contact_ids = sorted({r.contact_id for r in wanted})
    children: dict[tuple[str, int], ContactChildRow] = {}
    people: dict[str, PersonRow] = {}
    received: dict[str, str] = {}
    with engine.connect() as conn:
        for chunk in _chunks(slots):
            for m in conn.execute(
                select(CHILDREN).where(tuple_(CHILDREN.c.contact_id, CHILDREN.c.slot).in_(chunk))
            ).mappings():
                children[(m["contact_id"], m["slot"])] = db_to_row(ContactChildRow, m)
        for chunk in _chunks(people_ids):
            for m in conn.execute(select(PEOPLE).where(PEOPLE.c.person_id.in_(chunk))).mappings():
                people[m["person_id"]] = db_to_row(PersonRow, m)
        for chunk in _chunks(contact_ids):
            received.update(
                conn.execute(
                    select(CONTACTS.c.contact_id, CONTACTS.c.received_at).where(
                        CONTACTS.c.contact_id.in_(chunk)
                    )
                ).all()
            )
    return children, people, received


def linked_person(conn: Connection, contact_id: str, slot: int) -> str | None:
    """Who the child in ``slot`` of the contact is linked to now, inside a transaction."""
    return conn.execute(
        select(CHILDREN.c.person_id).where(
            CHILDREN.c.contact_id == contact_id, CHILDREN.c.slot == slot
        )
    ).scalar_one_or_none()
