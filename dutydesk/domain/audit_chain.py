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
from json.encoder import encode_basestring
from typing import Any

from .events import Event, canonical_json

GENESIS = "0" * 64

HashFn = Callable[[str, Event], str]


def local_event_hash(prev_hash: str, event: Event) -> str:
    """SHA-256 of the previous hash and everything the desk recorded about the event."""
    return stored_event_hash(prev_hash, StoredEvent.of(event))


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event's recorded envelope with its payload as the canonical JSON text the store
    keeps, so a chain can be checked without decoding and re-encoding every payload."""

    id: str
    type: str
    schema_version: int
    actor: str
    actor_role: str
    device: str
    client_time: str
    payload_json: str

    @classmethod
    def of(cls, event: Event) -> StoredEvent:
        return cls(
            event.id,
            event.type,
            event.schema_version,
            event.actor,
            event.actor_role,
            event.device,
            event.client_time,
            canonical_json(event.payload),
        )


# ``json.dumps(s, ensure_ascii=False)`` for a string, without building an encoder per call.
_js = encode_basestring


def stored_event_hash(prev_hash: str, e: StoredEvent) -> str:
    """The link hash: SHA-256 of the canonical JSON object (keys sorted, no spaces) of the
    previous hash and the event's envelope and payload. Written out key by key so the
    stored payload text is hashed as it is; equal to ``canonical_json`` of the same object
    (pinned by a fixed test vector)."""
    return stored_row_hash(
        prev_hash,
        e.id,
        e.type,
        e.schema_version,
        e.actor,
        e.actor_role,
        e.device,
        e.client_time,
        e.payload_json,
    )


def stored_row_hash(
    prev_hash: str,
    event_id: str,
    event_type: str,
    schema_version: int,
    actor: str,
    actor_role: str,
    device: str,
    client_time: str,
    payload_json: str,
) -> str:
    """``stored_event_hash`` of the stored row's columns, in ``StoredEvent``'s field order,
    without building a ``StoredEvent`` (a verify of the whole log hashes a million rows)."""
    body = (
        f'{{"actor":{_js(actor)},"actor_role":{_js(actor_role)},'
        f'"client_time":{_js(client_time)},"device":{_js(device)},'
        f'"id":{_js(event_id)},"payload":{payload_json},"prev":{_js(prev_hash)},'
        f'"schema_version":{int(schema_version)},"type":{_js(event_type)}}}'
    )
    return _sha256(body.encode("utf-8")).hexdigest()


_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class Link:
    """One place in a chain: what the chain recorded, and the event the log holds there."""

    position: int
    event_id: str | None  # the id the chain recorded here (None: the chain has no entry)
    event: Event | StoredEvent | None  # what the log holds at this position (None: nothing)
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


def chain(
    events: Iterable[Event], prev_hash: str = GENESIS, hash_fn: HashFn = local_event_hash
) -> Iterator[tuple[Event, str, str]]:
    """(event, prev_hash, hash) for each event, continuing from ``prev_hash``."""
    for event in events:
        digest = hash_fn(prev_hash, event)
        yield event, prev_hash, digest
        prev_hash = digest


def verify(
    links: Iterable[Link],
    *,
    hash_fn: Callable[[str, Any], str] = local_event_hash,
    genesis: str | None = GENESIS,
    log_ids: Container[str] = (),
) -> Verdict:
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


def _check(
    link: Link, expected_prev: str, hash_fn: Callable[[str, Any], str], log_ids: Container[str]
) -> Problem | None:
    pos = link.position
    if link.event_id is None:
        eid = link.event.id if link.event else "?"
        return Problem(
            pos, eid, "is in the event log but not in the audit chain (added outside DutyDesk)"
        )
    if link.event is None:
        return Problem(
            pos, link.event_id, "is in the audit chain but missing from the event log (deleted)"
        )
    if link.event.id != link.event_id:
        where = (
            "is elsewhere in the log (events reordered)"
            if link.event_id in log_ids
            else "is missing from the log (deleted)"
        )
        return Problem(
            pos,
            link.event_id,
            f"the chain expects this event here but the log holds {link.event.id}; it {where}",
        )
    if link.prev_hash != expected_prev:
        return Problem(
            pos,
            link.event_id,
            "its link to the previous event does not match "
            "(an event before it was removed or the chain was "
            "altered)",
        )
    if hash_fn(expected_prev, link.event) != link.hash:
        return Problem(
            pos, link.event_id, "its content does not match its hash (edited after it was recorded)"
        )
    return None
