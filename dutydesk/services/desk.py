"""Use cases of the duty desk: the queue, recording a contact, and the record behind them.

The window calls these (on the writer thread); each returns snapshots or a ``Changes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.clock import Clock
from ..domain.events import Actor, Event, make_event
from ..domain.ids import new_id
from ..domain.people import age_text
from ..domain.projection import ContactChildRow, ContactRow
from ..domain.queue import order_key
from ..store.eventstore import EventStore
from ..store.queries import Queries
from .snapshots import Changes, ChildSummary, QueueItem


class DeskService:
    def __init__(self, store: EventStore, actor: Actor, clock: Clock) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self.queries = Queries(store.engine)

    def event(self, event_type: str, payload: Mapping[str, Any]) -> Event:
        """A validated event by the signed-in actor at the clock's time."""
        return make_event(event_type, payload, actor=self.actor.login,
                          actor_role=self.actor.role.value, device=self.actor.device,
                          at=self.clock.now())

    def queue(self) -> list[QueueItem]:
        """Open contacts in triage order."""
        contacts, children = self.queries.open_contacts()
        today = self.clock.now().date()
        items = [_queue_item(c, children.get(c.contact_id, []), today) for c in contacts]
        items.sort(key=order_key)
        return items

    def record_contact(self, payload: Mapping[str, Any]) -> tuple[str, Changes]:
        """Record a new contact; returns its id. Invalid input raises ValidationError."""
        body = dict(payload)
        body.setdefault("contact_id", new_id())
        body.setdefault("received_at", self.clock.now().isoformat())
        event = self.event("contact.received", body)
        self.store.append([event])
        cid = event.payload["contact_id"]
        return cid, Changes(contacts=frozenset({cid}), queue=True)


def _queue_item(c: ContactRow, kids: list[ContactChildRow], today: Any) -> QueueItem:
    return QueueItem(
        contact_id=c.contact_id, rating=c.rating, score=c.score, due_at=c.due_at,
        decision_due_at=c.decision_due_at, received_at=c.received_at, status=c.status,
        assignee=c.assignee, source_code=c.source_code, concern=c.concern,
        categories=c.categories,
        children=tuple(ChildSummary(k.slot, k.person_id, k.display_name,
                                    age_text(k.date_of_birth, k.expected_date_of_birth, today),
                                    k.date_of_birth) for k in kids),
        office=c.office, team=c.team, conflict=c.conflict,
        immediate_danger=c.immediate_danger, reasons=c.reasons)
