"""The pure chain verifier: each kind of tampering is named at the right event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime

from dutydesk.domain.audit_chain import (
    Link,
    StoredEvent,
    chain,
    local_event_hash,
    stored_event_hash,
    verify,
)
from dutydesk.domain.events import Event, make_event

AT = datetime(2026, 11, 26, 9, 0).astimezone()


def _events(n: int) -> list[Event]:
    return [
        make_event(
            "handover.noted",
            {
                "handover_id": f"0190a0c0-0000-7000-8000-{i:012d}",
                "shift": "day",
                "text": f"note {i}",
            },
            actor="dm",
            actor_role="duty_manager",
            device="d",
            at=AT,
        )
        for i in range(n)
    ]


def _links(events: list[Event]) -> list[Link]:
    return [Link(i, e.id, e, prev, h) for i, (e, prev, h) in enumerate(chain(events), start=1)]


def test_intact_chain_verifies() -> None:
    verdict = verify(_links(_events(5)))
    assert verdict.ok and verdict.checked == 5


def test_edited_event_is_named() -> None:
    events = _events(5)
    links = _links(events)
    edited = replace(events[2], payload={**events[2].payload, "text": "changed"})
    links[2] = replace(links[2], event=edited)
    verdict = verify(links)
    assert verdict.problem is not None
    assert verdict.problem.event_id == events[2].id and "edited" in verdict.problem.what
    assert verdict.checked == 2


def test_removed_link_breaks_the_next() -> None:
    events = _events(4)
    links = _links(events)
    del links[1]
    verdict = verify(links)
    assert verdict.problem is not None and verdict.problem.event_id == events[2].id
    assert "previous event" in verdict.problem.what


# A fixed vector: the link hash of a known event after a known previous hash. It pins the
# documented formula (SHA-256 of the canonical JSON object of prev + envelope + payload),
# so a faster implementation cannot silently change what printed chains and old stores hold.
VECTOR_EVENT = Event(
    id="0190a0c0-0000-7000-8000-000000000001",
    type="note.added",
    actor="dm.manager",
    actor_role="duty_manager",
    device="desk-1",
    client_time="2026-11-26T09:00:00+00:00",
    payload={
        "contact_id": "0190a0c0-0000-7000-8000-0000000000aa",
        "text": 'Zoë said "stop" \u2014 tab\there, emoji \U0001f600, <b>&',
    },
)
VECTOR_PREV = "ab" * 32
VECTOR_HASH = "04c0de635297a2782e95afbd3ec8229c96a8d24c7c23acb593100d19f3f7b859"


def _independent_hash(prev: str, e: Event) -> str:
    body = json.dumps(
        {
            "prev": prev,
            "id": e.id,
            "type": e.type,
            "schema_version": e.schema_version,
            "actor": e.actor,
            "actor_role": e.actor_role,
            "device": e.device,
            "client_time": e.client_time,
            "payload": dict(e.payload),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_link_hash_matches_the_fixed_vector() -> None:
    assert _independent_hash(VECTOR_PREV, VECTOR_EVENT) == VECTOR_HASH
    assert local_event_hash(VECTOR_PREV, VECTOR_EVENT) == VECTOR_HASH
    assert stored_event_hash(VECTOR_PREV, StoredEvent.of(VECTOR_EVENT)) == VECTOR_HASH


def test_stored_text_is_hashed_as_stored() -> None:
    """The fast path hashes the stored payload text: a re-spaced payload with the same
    meaning is a changed record, and is caught."""
    stored = StoredEvent.of(VECTOR_EVENT)
    respaced = replace(stored, payload_json=stored.payload_json.replace(":", ": "))
    assert stored_event_hash(VECTOR_PREV, respaced) != VECTOR_HASH
