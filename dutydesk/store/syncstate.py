"""The desk's side of sync in the local store: outbox states, server fields, cursor, epoch.

The outbox row is written with the event, in the same transaction (``EventStore.append``).
Here it moves on: ``pending`` until the server accepts the event (the row goes and the
event gets its server sequence, time and hashes) or refuses it (``rejected``, with the
server's reason, kept for people to see; it never blocks the events behind it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from ..domain.events import Event
from . import rowread
from .eventstore import EVENT_COLUMNS, EVENTS, META, OUTBOX, row_to_event
from .readmodel import _chunks

PENDING = "pending"
REJECTED = "rejected"

# The hand-over's statements (each desk, every sync), as prepared SQL on the driver's
# connection: through SQLAlchemy each was built, keyed and compiled on every call, about
# ten times the statement's own cost (issue 19). Values exactly as those statements bound
# them (``tests/integration/test_syncstate_raw.py`` compares both).
_SET_SERVER_FIELDS = (
    "UPDATE events SET server_seq = ?, server_time = ?, hash = ?, prev_hash = ? WHERE id = ?"
)
_DUE = (
    f"SELECT {', '.join('events.' + c for c in EVENT_COLUMNS)} FROM events "
    "JOIN outbox ON outbox.event_id = events.id WHERE outbox.state = ?"
)
_NOT_BACKING_OFF = " AND (outbox.next_try_at IS NULL OR outbox.next_try_at <= ?)"
_HELD_AND_UNSYNCED = (
    "SELECT (SELECT max(server_seq) FROM events), "
    "EXISTS (SELECT 1 FROM events WHERE server_seq IS NULL)"
)
_REPORT_COUNTS = (
    "SELECT (SELECT count(*) FROM outbox WHERE state = ?), "
    "(SELECT count(*) FROM outbox WHERE state = ?), (SELECT count(*) FROM quarantine)"
)


@dataclass(frozen=True, slots=True)
class ServerFields:
    event_id: str
    seq: int
    server_time: str
    hash: str
    prev_hash: str


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    event_id: str
    type: str
    client_time: str
    reason: str


class SyncState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- the outbox ----------------------------------------------------------------------

    def due(self, now_iso: str | None, limit: int) -> list[Event]:
        """Pending events in this desk's order; with ``now_iso``, only those not backing off.

        Plain SQL, not a statement compiled on each call (read on every hand-over, both
        desks). The limit is written into the SQL text: with a bound LIMIT, SQLite plans
        the join from the event table and scans all of it on every call (100 ms at 133k
        events, twice per sync); with a literal it starts from the small outbox."""
        sql, params = _DUE, [PENDING]
        if now_iso is not None:
            sql += _NOT_BACKING_OFF
            params.append(now_iso)
        sql += f" ORDER BY events.local_seq LIMIT {int(limit)}"
        with self.engine.connect() as conn:
            # Through ``exec_driver_sql`` (no compiling), so the engine's statement events
            # still see this read (``test_syncstate`` checks its plan).
            return [row_to_event(r) for r in conn.exec_driver_sql(sql, tuple(params))]

    def waiting_count(self) -> int:
        return self._count(OUTBOX.c.state == PENDING)

    def rejected_count(self) -> int:
        return self._count(OUTBOX.c.state == REJECTED)

    def report_counts(self) -> tuple[int, int, int]:
        """(waiting, rejected, quarantined): ``waiting_count``, ``rejected_count`` and
        ``quarantine.count`` in one read, as every sync report shows them (three reads
        were three statements on the hand-over's path, each desk, every sync)."""

        with self.engine.connect() as conn:
            row = rowread.fetch(conn, _REPORT_COUNTS, (PENDING, REJECTED))[0]
        return int(row[0]), int(row[1]), int(row[2])

    def _count(self, where: ColumnElement[bool]) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(OUTBOX).where(where)).scalar_one()
            )

    def rejected(self) -> list[RejectedEvent]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.client_time, OUTBOX.c.last_error)
                .join(OUTBOX, OUTBOX.c.event_id == EVENTS.c.id)
                .where(OUTBOX.c.state == REJECTED)
                .order_by(EVENTS.c.local_seq)
            )
            return [RejectedEvent(r.id, r.type, r.client_time, r.last_error or "") for r in rows]

    def mark_synced(self, fields: Iterable[ServerFields]) -> int:
        """Give events their server fields and take them off the outbox, in one transaction:
        one executemany UPDATE for the batch and one DELETE per 500 ids (not a statement
        per event, which was half the time of a push). Returns outbox rows removed."""
        rows = [
            {
                "b_id": f.event_id,
                "b_seq": f.seq,
                "b_time": f.server_time,
                "b_hash": f.hash,
                "b_prev": f.prev_hash,
            }
            for f in fields
        ]
        if not rows:
            return 0
        done = 0
        with self.engine.begin() as conn:
            rowread.execute_many(
                conn,
                _SET_SERVER_FIELDS,
                [(r["b_seq"], r["b_time"], r["b_hash"], r["b_prev"], r["b_id"]) for r in rows],
            )
            for chunk in _chunks([r["b_id"] for r in rows], 500):
                done += rowread.execute(
                    conn,
                    f"DELETE FROM outbox WHERE event_id IN ({rowread.placeholders(len(chunk))})",
                    chunk,
                )
        return done

    def mark_rejected(self, event_id: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.event_id == event_id)
                .values(state=REJECTED, last_error=reason, attempts=OUTBOX.c.attempts + 1)
            )

    def mark_retry(self, event_ids: Sequence[str], error: str, next_try_at: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(and_(OUTBOX.c.event_id.in_(list(event_ids)), OUTBOX.c.state == PENDING))
                .values(attempts=OUTBOX.c.attempts + 1, last_error=error, next_try_at=next_try_at)
            )

    # ---- what the desk holds of the server's log -------------------------------------------

    def max_server_seq(self) -> int:
        return self.held_and_unsynced()[0]

    def has_unsynced(self) -> bool:
        return self.held_and_unsynced()[1]

    def held_and_unsynced(self) -> tuple[int, bool]:
        """``max_server_seq`` and ``has_unsynced`` in one read (before every pulled batch
        is stored, on the hand-over's path)."""
        with self.engine.connect() as conn:
            row = rowread.fetch(conn, _HELD_AND_UNSYNCED)[0]
        return int(row[0] or 0), bool(row[1])

    def synced_count(self, after_seq: int, upto_seq: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(EVENTS)
                    .where(EVENTS.c.server_seq > after_seq, EVENTS.c.server_seq <= upto_seq)
                ).scalar_one()
            )

    def server_seqs(self, upto_seq: int) -> list[int]:
        """The server sequence numbers this desk holds, ascending, up to ``upto_seq``."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(EVENTS.c.server_seq)
                    .where(EVENTS.c.server_seq.is_not(None), EVENTS.c.server_seq <= upto_seq)
                    .order_by(EVENTS.c.server_seq)
                ).scalars()
            )

    def hash_at(self, seq: int) -> str | None:
        with self.engine.connect() as conn:
            rows = rowread.fetch(conn, "SELECT hash FROM events WHERE server_seq = ?", (seq,))
        return rows[0][0] if rows else None

    def forget_server_copy(self, login: str) -> tuple[int, int]:
        """For a restored or replaced server: forget every event's server fields (they are
        pulled again: the same ids come back as already present and get the new server's
        sequence) and queue every event this login made, synced or not, to be sent again:
        the server answers ``duplicate`` for those it still holds. Returns (unconfirmed,
        requeued).

        No event is deleted: the local audit chain covers pulled events too, and a deleted
        one would read as tampering. Another desk's event the restored server lost stays
        held without a sequence until its own desk sends it again.
        """
        with self.engine.begin() as conn:
            unconfirmed = conn.execute(
                update(EVENTS)
                .where(EVENTS.c.server_seq.is_not(None))
                .values(server_seq=None, server_time=None, hash=None, prev_hash=None)
            ).rowcount
            queued = set(conn.execute(select(OUTBOX.c.event_id)).scalars())
            own = [
                i
                for i in conn.execute(
                    select(EVENTS.c.id).where(EVENTS.c.actor == login).order_by(EVENTS.c.local_seq)
                ).scalars()
                if i not in queued
            ]
            if own:
                conn.execute(
                    insert(OUTBOX), [{"event_id": i, "state": PENDING, "attempts": 0} for i in own]
                )
            conn.execute(update(OUTBOX).values(next_try_at=None))
            conn.execute(delete(META).where(META.c.key == "sync_cursor"))
        return unconfirmed, len(own)
