"""Events pulled from the shared server that this desk could not validate or apply.

A desk must never stall on one bad event (issue 12): the sync engine stores pulled events
in batches, and when a batch cannot be stored it stores them one by one and puts each one
that fails here, with the reason, exactly as received. Sync then carries on with the rest.
People see the count in the status bar and the list with ``dutydesk sync --quarantine``.
Quarantined events are never folded into the projections.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, Table, func, insert, select

from ..domain.events import Event, canonical_json
from .schema import QuarantinedEvent

QUARANTINE: Table = QuarantinedEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Quarantined:
    event_id: str
    server_seq: int | None
    type: str
    reason: str
    quarantined_at: str
    envelope: str = ""  # the event as received (``listing(with_envelope=True)`` only)


def envelope(event: Event) -> str:
    """The event as received, every field, in canonical JSON."""
    return canonical_json({name: getattr(event, name) for name in Event.__dataclass_fields__})


def add(engine: Engine, event: Event, reason: str, at: str) -> bool:
    """Keep ``event`` aside with ``reason``. False when it was already there."""
    with engine.begin() as conn:
        if (
            conn.execute(
                select(QUARANTINE.c.event_id).where(QUARANTINE.c.event_id == event.id)
            ).first()
            is not None
        ):
            return False
        conn.execute(
            insert(QUARANTINE).values(
                event_id=event.id,
                server_seq=event.server_seq,
                type=str(event.type)[:100],
                reason=reason[:2000],
                envelope=envelope(event),
                quarantined_at=at,
            )
        )
    return True


def count(engine: Engine, after_seq: int | None = None, upto_seq: int | None = None) -> int:
    query = select(func.count()).select_from(QUARANTINE)
    if after_seq is not None:
        query = query.where(QUARANTINE.c.server_seq > after_seq)
    if upto_seq is not None:
        query = query.where(QUARANTINE.c.server_seq <= upto_seq)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def sequences(engine: Engine) -> list[int]:
    """The server sequence numbers of every quarantined event (for the admin alert)."""
    with engine.connect() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                select(QUARANTINE.c.server_seq)
                .where(QUARANTINE.c.server_seq.is_not(None))
                .order_by(QUARANTINE.c.server_seq)
            )
        ]


def listing(engine: Engine, *, with_envelope: bool = False) -> list[Quarantined]:
    columns = [
        QUARANTINE.c.event_id,
        QUARANTINE.c.server_seq,
        QUARANTINE.c.type,
        QUARANTINE.c.reason,
        QUARANTINE.c.quarantined_at,
    ]
    if with_envelope:
        columns.append(QUARANTINE.c.envelope)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns).order_by(QUARANTINE.c.server_seq, QUARANTINE.c.event_id)
        )
        return [Quarantined(*r) for r in rows]
