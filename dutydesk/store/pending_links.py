"""The pending-link list: likely matches a person must confirm or dismiss.

A row stays "pending" until someone records ``person.linked`` for that child on that
contact (then it drops out of ``pending``) or dismisses it. Adding is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, Table, and_, insert, select, tuple_, update

from .readmodel import CHILDREN, _chunks
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


def add(engine: Engine, rows: Iterable[PendingLinkRow]) -> int:
    """Queue suggestions not already queued; returns how many were new."""
    wanted = {(r.contact_id, r.slot, r.person_id): r for r in rows}
    if not wanted:
        return 0
    with engine.begin() as conn:
        present: set[tuple[str, int, str]] = set()
        for chunk in _chunks(list(wanted)):
            present |= {tuple(r) for r in conn.execute(  # type: ignore[misc]
                select(PENDING.c.contact_id, PENDING.c.slot, PENDING.c.person_id).where(
                    tuple_(PENDING.c.contact_id, PENDING.c.slot, PENDING.c.person_id)
                    .in_(chunk)))}
        new = [r for k, r in wanted.items() if k not in present]
        if new:
            conn.execute(insert(PENDING), [{
                "contact_id": r.contact_id, "slot": r.slot, "person_id": r.person_id,
                "confidence": r.confidence, "matched": list(r.matched), "source": r.source,
                "created_at": r.created_at, "state": r.state} for r in new])
    return len(new)


def pending(engine: Engine) -> list[PendingLinkRow]:
    """Suggestions still waiting: not dismissed, and the child not linked since."""
    query = (select(PENDING).join(CHILDREN, and_(CHILDREN.c.contact_id == PENDING.c.contact_id,
                                                 CHILDREN.c.slot == PENDING.c.slot))
             .where(PENDING.c.state == "pending", CHILDREN.c.person_id.is_(None))
             .order_by(PENDING.c.created_at, PENDING.c.contact_id, PENDING.c.slot,
                       PENDING.c.confidence.desc()))
    with engine.connect() as conn:
        return [PendingLinkRow(m["contact_id"], m["slot"], m["person_id"], m["confidence"],
                               tuple(m["matched"] or ()), m["source"], m["created_at"],
                               m["state"]) for m in conn.execute(query).mappings()]


def dismiss(engine: Engine, contact_id: str, slot: int, person_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(PENDING).where(
            PENDING.c.contact_id == contact_id, PENDING.c.slot == slot,
            PENDING.c.person_id == person_id).values(state="dismissed"))
