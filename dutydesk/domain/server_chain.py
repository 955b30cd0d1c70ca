"""Verifying the shared server's hash chain: walk events in sequence order, name the first
bad link.

Pure: the caller streams the events (from the server, or from the copy a desk pulled) and,
for the server, says what it knows about sequence numbers it cannot read. Each event is
checked in turn against ``dutydesk.domain.hashchain``:

- **sequence gap**: a sequence number is missing. On the server a missing number whose
  hash the server still reports (``hash_at``) is an event this login may not see (a
  restricted record, row-level security); one with no hash was deleted. In a desk's copy a
  gap is only "not held" (the desk never saw it), so the walk carries on from the next
  event's recorded ``prev_hash`` and counts it as unseen;
- **prev_hash mismatch**: the event does not link to the one before it (the one before was
  replaced or removed, or events were moved);
- **hash mismatch**: the event's content no longer gives its stored hash (edited);
- **payload mismatch**: the server keeps the payload twice (the hashed canonical text and a
  JSON copy that row-level security and queries read); the two differ;
- **columns mismatch**: the person ids, contact id or ``submitted_by`` kept beside the
  event (row-level security reads them) no longer follow from its hashed content.

Messages carry sequence numbers, ids and what is wrong, never payload content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import ValidationError
from .events import Event
from .hashchain import GENESIS, event_hash

HashAt = Callable[[int], "str | None"]
HashFn = Callable[[str, Event], str]

SEQUENCE_GAP = "sequence gap"
PREV_HASH_MISMATCH = "prev_hash mismatch"
HASH_MISMATCH = "hash mismatch"
PAYLOAD_MISMATCH = "payload mismatch"
NO_HASH = "no hash"
COLUMNS_MISMATCH = "columns mismatch"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Columns(NamedTuple):
    """What the server keeps beside an event's hashed content, for row-level security and
    the record of who sent it: they must follow from the content (``dutydesk.submit``)."""

    person_ids: tuple[str, ...]
    contact_id: str | None
    submitted_by: str | None


def expected_columns(event: Event) -> Columns:
    """The columns as ``dutydesk.submit`` derives them from the event (ids in the form the
    server accepts as UUIDs; the login that sent it is its actor)."""
    people = tuple(sorted({p for p in event.person_ids if _UUID.match(p)}))
    contact = event.payload.get("contact_id") if isinstance(event.payload, dict) else None
    return Columns(
        people, contact if isinstance(contact, str) and _UUID.match(contact) else None, event.actor
    )


class ChainRow(NamedTuple):
    """One stored event, and the second copy of its payload where the store keeps one."""

    event: Event
    query_payload: Any = None  # None: the source keeps only the hashed text
    columns: Columns | None = None  # None: the source keeps no such columns


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    event_id: str | None  # None when the event at ``seq`` is gone
    kind: str
    detail: str

    def __str__(self) -> str:
        who = f"event {self.event_id}" if self.event_id else "no event"
        return f"sequence {self.seq}, {who}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int  # events whose link and hash were recomputed and matched
    unseen: int  # sequence numbers not read (hidden from this login / not held)
    last_seq: int  # the last sequence number walked
    problem: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Walk:
    def __init__(self, hash_at: HashAt | None, genesis: str | None, hash_fn: HashFn) -> None:
        self.hash_at = hash_at
        self.hash_fn = hash_fn
        self.expected_prev = genesis  # None: trust the first event's prev_hash
        self.next_seq: int | None = 1 if genesis is not None else None
        self.checked = 0
        self.unseen = 0

    def _hash_matches(self, prev_hash: str, e: Event) -> bool:
        """Content that has no hash (not Unicode text: ``hashchain.event_hash``) matches
        none: a hash mismatch, not an exception that ends the walk."""
        try:
            return self.hash_fn(prev_hash, e) == e.hash
        except ValidationError:
            return False

    def gap(self, first: int, last: int, following: str | None) -> ChainBreak | None:
        """Sequence numbers ``first..last`` were not read."""
        after = f"; the next event held is {following}" if following else ""
        if self.hash_at is None:  # a desk's copy: not held, so trust what follows
            self.unseen += last - first + 1
            self.expected_prev = None
            return None
        hidden = None
        for seq in range(first, last + 1):
            hidden = self.hash_at(seq)
            if hidden is None:
                return ChainBreak(
                    seq,
                    None,
                    SEQUENCE_GAP,
                    f"no event has this sequence number on the server (deleted){after}",
                )
            self.unseen += 1
        # Hidden by row-level security: they exist; the chain must go on from the last one.
        self.expected_prev = hidden
        return None

    def step(self, row: ChainRow) -> ChainBreak | None:
        e = row.event
        seq = e.server_seq if e.server_seq is not None else 0
        if self.next_seq is not None and seq < self.next_seq:
            return ChainBreak(
                seq, e.id, SEQUENCE_GAP, f"sequence numbers go backwards (expected {self.next_seq})"
            )
        if self.next_seq is not None and seq > self.next_seq:
            problem = self.gap(self.next_seq, seq - 1, e.id)
            if problem is not None:
                return problem
        if e.hash is None or e.prev_hash is None:
            return ChainBreak(seq, e.id, NO_HASH, "the event has no stored hash")
        if row.query_payload is not None and row.query_payload != e.payload:
            return ChainBreak(
                seq,
                e.id,
                PAYLOAD_MISMATCH,
                "the stored payload differs from the text that was hashed "
                "(edited after it was stored)",
            )
        if self.expected_prev is not None and e.prev_hash != self.expected_prev:
            before = "the genesis hash" if seq == 1 else f"the hash of sequence {seq - 1}"
            return ChainBreak(
                seq,
                e.id,
                PREV_HASH_MISMATCH,
                f"its prev_hash is not {before} (an event before it was "
                "removed or replaced, or events were moved)",
            )
        if not self._hash_matches(e.prev_hash, e):
            return ChainBreak(
                seq,
                e.id,
                HASH_MISMATCH,
                "its content does not give its stored hash (edited after it was stored)",
            )
        if row.columns is not None:
            kept = Columns(
                tuple(sorted(set(row.columns.person_ids))),
                row.columns.contact_id,
                row.columns.submitted_by,
            )
            if kept != expected_columns(e):
                which = [
                    name
                    for name, a, b in zip(Columns._fields, kept, expected_columns(e), strict=True)
                    if a != b
                ]
                return ChainBreak(
                    seq,
                    e.id,
                    COLUMNS_MISMATCH,
                    f"the stored {', '.join(which)} do not follow from the hashed "
                    "content (changed after it was stored: row-level security "
                    "reads these)",
                )
        self.expected_prev = e.hash
        self.next_seq = seq + 1
        self.checked += 1
        return None


def verify_server_chain(
    rows: Iterable[ChainRow],
    *,
    head_seq: int | None = None,
    hash_at: HashAt | None = None,
    genesis: str | None = GENESIS,
    hash_fn: HashFn = event_hash,
) -> ChainReport:
    """Walk ``rows`` (ascending ``server_seq``) and stop at the first bad link.

    ``hash_at`` (the server's hash for a sequence number, None if no such event) tells a
    hidden event from a deleted one; without it gaps are "not held" (a desk's copy).
    ``head_seq`` (the server's last handed-out sequence) catches events cut off the end.
    ``genesis=None`` checks a run that starts part-way, trusting its first ``prev_hash``.
    """
    walk = _Walk(hash_at, genesis, hash_fn)
    last = 0
    for row in rows:
        problem = walk.step(row)
        if problem is not None:
            return ChainReport(walk.checked, walk.unseen, last, problem)
        last = row.event.server_seq or last
    if head_seq is not None and head_seq > last:
        problem = walk.gap(last + 1, head_seq, None)
        if problem is not None:
            return ChainReport(walk.checked, walk.unseen, last, problem)
        last = head_seq
    return ChainReport(walk.checked, walk.unseen, last, None)
