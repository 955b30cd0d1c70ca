"""The pure chain verifier: each kind of tampering is named at the right event."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from dutydesk.domain.audit_chain import Link, chain, verify
from dutydesk.domain.events import Event, make_event

AT = datetime(2026, 11, 26, 9, 0).astimezone()


def _events(n: int) -> list[Event]:
    return [make_event("handover.noted", {"handover_id": f"0190a0c0-0000-7000-8000-{i:012d}",
                                          "shift": "day", "text": f"note {i}"},
                       actor="dm", actor_role="duty_manager", device="d", at=AT)
            for i in range(n)]


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
