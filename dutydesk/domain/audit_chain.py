"""The local audit chain: a SHA-256 hash chain over this desk's event log, and its verifier.

Pure. Each link hashes the previous link's hash with the event's recorded envelope and
payload (never the server fields, which sync fills in later). Editing, deleting, inserting
or reordering an event breaks the chain at that event; ``verify`` names the first bad link.

The verifier is generic: it walks ``Link``s with any ``hash_fn(prev_hash, event)``; the
local store builds links from its ``audit_chain`` table. The shared server's chain (hashes
kept on each event, ordered by ``server_seq``) is checked by
``dutydesk.domain.server_chain``, which also tells hidden from deleted events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass

from .events import Event, canonical_json

GENESIS = "0" * 64

HashFn = Callable[[str, Event], str]


def local_event_hash(prev_hash: str, event: Event) -> str:
    """SHA-256 of the previous hash and everything the desk recorded about the event."""
    body = canonical_json({
        "prev": prev_hash, "id": event.id, "type": event.type,
        "schema_version": event.schema_version, "actor": event.actor,
        "actor_role": event.actor_role, "device": event.device,
        "client_time": event.client_time, "payload": event.payload,
    })
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """One place in a chain: what the chain recorded, and the event the log holds there."""

    position: int
    event_id: str | None  # the id the chain recorded here (None: the chain has no entry)
    event: Event | None  # the event the log holds at this position (None: nothing)
    prev_hash: str | None
    hash: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    position: int
    event_id: str
    what: str

    def __str__(self) -> str:
        return f"event {self.event_id} (position {self.position}): {self.what}"


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def chain(events: Iterable[Event], prev_hash: str = GENESIS,
          hash_fn: HashFn = local_event_hash) -> Iterator[tuple[Event, str, str]]:
    """(event, prev_hash, hash) for each event, continuing from ``prev_hash``."""
    for event in events:
        digest = hash_fn(prev_hash, event)
        yield event, prev_hash, digest
        prev_hash = digest


def verify(links: Iterable[Link], *, hash_fn: HashFn = local_event_hash,
           genesis: str | None = GENESIS, log_ids: Container[str] = ()) -> Verdict:
    """Walk the chain in order; stop at the first bad link and say what is wrong with it.

    ``genesis=None`` trusts the first link's recorded ``prev_hash`` (a copy of a chain that
    starts part-way). ``log_ids`` (every id in the log) lets the message tell a deleted
    event from a moved one.
    """
    expected_prev = genesis
    checked = 0
    for link in links:
        if expected_prev is None:
            expected_prev = link.prev_hash or ""
        problem = _check(link, expected_prev, hash_fn, log_ids)
        if problem is not None:
            return Verdict(checked, problem)
        expected_prev = link.hash or ""
        checked += 1
    return Verdict(checked, None)


def _check(link: Link, expected_prev: str, hash_fn: HashFn,
           log_ids: Container[str]) -> Problem | None:
    pos = link.position
    if link.event_id is None:
        eid = link.event.id if link.event else "?"
        return Problem(pos, eid, "is in the event log but not in the audit chain "
                                 "(added outside DutyDesk)")
    if link.event is None:
        return Problem(pos, link.event_id, "is in the audit chain but missing from the event "
                                           "log (deleted)")
    if link.event.id != link.event_id:
        where = ("is elsewhere in the log (events reordered)" if link.event_id in log_ids
                 else "is missing from the log (deleted)")
        return Problem(pos, link.event_id, f"the chain expects this event here but the log "
                                           f"holds {link.event.id}; it {where}")
    if link.prev_hash != expected_prev:
        return Problem(pos, link.event_id, "its link to the previous event does not match "
                                           "(an event before it was removed or the chain was "
                                           "altered)")
    if hash_fn(expected_prev, link.event) != link.hash:
        return Problem(pos, link.event_id, "its content does not match its hash (edited after "
                                           "it was recorded)")
    return None
