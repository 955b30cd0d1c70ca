"""Reads a streaming read replica takes off the primary, never trusted on its own.

A hot standby (``pg_basebackup -R``, docs/scale.md "Reads off the primary") is a byte copy
of the primary that is behind it by however much WAL it has not replayed yet. What that
means for each read DutyDesk could send there:

- **The server's state** (epoch, head, rules digest, withheld stamp), **submits**, the
  checkpoint keys and checkpoints, and the small pull after a poke: always the primary.
  A desk never asks the replica for a head: a lagging replica's head is an older head,
  and a desk that took it for the primary's would think events were missing or the
  history cut off.
- **A desk's catch-up pull** (its first pull, or after long offline; ``ReplicaPullTransport``):
  a pull more than one batch behind the primary's head reads the events (the payloads,
  the bulk of the bytes) from the replica, then asks the primary, under its own row-level
  security, for the sequence numbers and hashes it shows this login over the same range.
  The batch is used only when both lists are equal and every event matches its own hash;
  then it is exactly what the primary would have answered (each event's content is fixed
  by its hash). A replica still showing an event that the primary now withholds (a
  restriction made since the replica's snapshot), a replica of another history, or one
  that is not in recovery at all is not used: that batch comes from the primary. A
  replica behind the primary gives a short batch, and the rest is read from the primary,
  so "a short batch is the end of the log" still holds for the engine. Every check the
  engine makes (checkpoints, trust on first use of the checkpoint key, the chain of each
  batch, the range check) is unchanged and made against the primary.
- **The audit walk** (``dutydesk audit verify --server --replica-dsn``): the whole log is
  walked on the replica in one snapshot, then anchored on the primary: the hash at the
  replica's head must be the primary's hash at that sequence (the chain makes that
  vouch for every event before it), checkpoints are checked on the primary, and the
  events after the replica's head are named as not covered.
- **Reporting** (a BI tool, an auditor's SQL): connect to the replica with the same login;
  row-level security answers there as on the primary as of the replica's snapshot.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import psycopg

from ...domain.events import Event
from ...domain.hashchain import hash_matches
from ..transport import ServerState
from .transport import _PULL, PgTransport, event_from_row

log = logging.getLogger(__name__)

# What the primary shows this login over a range: sequence numbers and hashes only.
_SHOWN = "SELECT seq, hash FROM dutydesk.events WHERE seq > %s AND seq <= %s ORDER BY seq"
MAX_MISMATCHES = 3  # batches the replica got wrong before it is not asked again this session


class ReplicaPullTransport(PgTransport):
    """``PgTransport`` whose catch-up pulls read from a streaming replica, checked against
    the primary batch by batch (module docstring). ``served`` counts the events each side
    gave; ``refused`` says why the replica is no longer asked (None while it is)."""

    def __init__(self, dsn: str, replica_dsn: str, password: str | None = None) -> None:
        super().__init__(dsn, password)
        self._replica_dsn = replica_dsn
        self._replica: psycopg.Connection | None = None
        self._head = 0  # the primary's head as the last state() read it
        self._mismatches = 0
        self.refused: str | None = None
        self.served = {"replica": 0, "primary": 0}

    def state(self) -> ServerState:
        server = super().state()
        self._head = server.head_seq
        return server

    def pull(self, after_seq: int, limit: int) -> list[Event]:
        if self.refused is None and self._head - after_seq > limit:
            batch = self._from_replica(after_seq, limit)
            if batch is not None:
                return batch
        events = super().pull(after_seq, limit)
        self.served["primary"] += len(events)
        return events

    def _from_replica(self, after_seq: int, limit: int) -> list[Event] | None:
        """The replica's batch once the primary confirms it, topped up from the primary
        when short; None when the replica cannot be used for it."""
        try:
            replica = self._replica_conn()
            if replica is None:
                return None
            rows = replica.execute(_PULL, (after_seq, limit), prepare=True).fetchall()
        except psycopg.Error as err:  # down, restarting, a recovery conflict: primary
            log.info("read replica not used for this pull: %s", type(err).__name__)
            self._close_replica()
            return None
        if not rows:
            return None
        batch = [event_from_row(r) for r in rows]
        last = batch[-1].server_seq or 0
        shown = self._call(lambda c: c.execute(_SHOWN, (after_seq, last)).fetchall())
        if [(e.server_seq, e.hash) for e in batch] != [(int(r[0]), r[1]) for r in shown]:
            self._mismatch(
                f"the replica's events in sequence {after_seq + 1}-{last} are not the ones "
                "the primary shows this login (behind a change of restrictions, or not the "
                "primary's copy)"
            )
            return None
        for e in batch:
            if not hash_matches(e.prev_hash or "", e, e.hash):
                self._mismatch(f"the replica's event at seq {e.server_seq} fails its own hash")
                return None
        self.served["replica"] += len(batch)
        if len(batch) < limit:  # the replica's end, which may be short of the primary's
            rest = super().pull(last, limit - len(batch))
            self.served["primary"] += len(rest)
            batch += rest
        return batch

    def _mismatch(self, why: str) -> None:
        self._mismatches += 1
        log.warning("read replica batch not used: %s", why)
        if self._mismatches >= MAX_MISMATCHES:
            self._refuse(f"{MAX_MISMATCHES} batches differed from the primary's; the last: {why}")

    def _refuse(self, why: str) -> None:
        self.refused = why
        log.warning("read replica not used again this session: %s", why)
        self._close_replica()

    def _replica_conn(self) -> psycopg.Connection | None:
        if self._replica is None or self._replica.closed:
            extra: dict[str, Any] = {"password": self._password} if self._password else {}
            conn = psycopg.connect(self._replica_dsn, autocommit=True, **extra)
            row = conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone()
            if not (row and row[0]):
                conn.close()
                self._refuse("it is not in recovery (a primary, not a read replica)")
                return None
            self._replica = conn
        return self._replica

    def _close_replica(self) -> None:
        if self._replica is not None:
            with contextlib.suppress(psycopg.Error):
                self._replica.close()
        self._replica = None

    def close(self) -> None:
        self._close_replica()
        super().close()
