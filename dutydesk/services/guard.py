"""The one door every service write goes through: permissions checked before anything is
stored, restricted records checked before anything is read.

``GuardedStore`` is a ``ChainedEventStore`` bound to the signed-in actor. Its ``append``
has ``EventStore.append``'s signature, so a service written against ``EventStore`` (such
as ``DeskService``) is guarded by being given a ``GuardedStore`` instead:

    store = ChainedEventStore.open(path, key=key)
    desk = DeskService(GuardedStore(store, actor, clock), actor, clock)

A refused batch writes nothing. The shared server repeats the same checks; the client is
never the only line of defence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection

from ..domain.clock import Clock
from ..domain.errors import PermissionDenied
from ..domain.events import Actor, Event
from ..domain.permissions import (
    AccessContext,
    Restriction,
    can_see,
    check_actor_matches,
    check_event,
)
from ..store import access
from ..store.chain import ChainedEventStore
from ..store.eventstore import AppendResult, EventStore
from .redaction import redact_queue
from .snapshots import QueueItem

log = logging.getLogger(__name__)


class RestrictedRecord(PermissionDenied):
    """The record exists but its content is restricted to named people."""


class GuardedStore(ChainedEventStore):
    """The store as one actor may use it. Shares the engine of the store it wraps."""

    def __init__(self, store: EventStore, actor: Actor, clock: Clock) -> None:
        super().__init__(store.engine)
        self.actor = actor
        self.clock = clock

    # ---- writes ----------------------------------------------------------------------

    def append_as(
        self, actor: Actor, events: Sequence[Event], *, outbox: bool = True, validate: bool = True
    ) -> AppendResult:
        """Check ``actor`` may record every event, then store them all (or none)."""
        self._check_logged(actor, events)
        result = super().append(events, outbox=outbox, validate=validate)
        log.debug("stored %d event(s) from %s", len(result.added), actor.login)
        return result

    def append(
        self, events: Sequence[Event], *, outbox: bool = True, validate: bool = True
    ) -> AppendResult:
        return self.append_as(self.actor, events, outbox=outbox, validate=validate)

    def append_in(
        self,
        conn: Connection,
        events: Sequence[Event],
        *,
        outbox: bool = True,
        validate: bool = True,
    ) -> AppendResult:
        """``append`` inside the caller's transaction, checked the same way first."""
        self._check_logged(self.actor, events)
        return super().append_in(conn, events, outbox=outbox, validate=validate)

    def _check_logged(self, actor: Actor, events: Sequence[Event]) -> None:
        try:
            self.check(actor, events)
        except PermissionDenied:
            # ids and logins only: the refused content stays out of the log
            log.warning(
                "refused %d event(s) (%s) from %s (%s)",
                len(events),
                ", ".join(sorted({e.type for e in events})),
                actor.login,
                actor.role.value,
            )
            raise

    def check(self, actor: Actor, events: Sequence[Event]) -> None:
        for e in events:
            check_actor_matches(actor, e.actor, e.actor_role, e.id)
        now = self.clock.now()
        touched = self._people_touched(events)
        with self.engine.connect() as conn:
            found = access.restrictions(conn, set().union(*touched.values()) if touched else ())
        for e in events:
            ctx = AccessContext(now, {p: found[p] for p in touched[e.id] if p in found})
            check_event(actor, e.type, e.payload, ctx)

    def _people_touched(self, events: Sequence[Event]) -> dict[str, set[str]]:
        contacts = {e.contact_id for e in events if e.contact_id}
        with self.engine.connect() as conn:
            on_contact = access.people_on_contacts(conn, contacts) if contacts else {}
        return {e.id: set(e.person_ids) | on_contact.get(e.contact_id or "", set()) for e in events}

    # ---- reads -----------------------------------------------------------------------

    def restrictions(self, person_ids: Iterable[str]) -> dict[str, Restriction]:
        with self.engine.connect() as conn:
            return access.restrictions(conn, person_ids)

    def restrictions_of_contacts(self, contact_ids: Iterable[str]) -> dict[str, list[Restriction]]:
        """contact id -> restrictions on its children (only contacts that have any)."""
        with self.engine.connect() as conn:
            people = access.restricted_on_contacts(conn, contact_ids)
            found = access.restrictions(conn, set().union(*people.values()) if people else ())
        return {
            cid: [found[p] for p in sorted(pids) if p in found]
            for cid, pids in people.items()
            if pids & set(found)
        }

    def hidden_people(self, person_ids: Iterable[str], now: datetime | None = None) -> set[str]:
        """Which of ``person_ids`` this actor may know exist but not read."""
        at = now or self.clock.now()
        return {
            p for p, r in self.restrictions(person_ids).items() if not can_see(self.actor, r, at)
        }

    def require_person(self, person_id: str) -> None:
        if person_id in self.hidden_people([person_id]):
            raise RestrictedRecord(
                f"record {person_id} is restricted; {self.actor.login} is not named on it. "
                f"Ask an administrator for access, or break the glass with a reason"
            )

    def require_contact(self, contact_id: str) -> None:
        now = self.clock.now()
        for r in self.restrictions_of_contacts([contact_id]).get(contact_id, []):
            if not can_see(self.actor, r, now):
                raise RestrictedRecord(
                    f"contact {contact_id} is about a restricted record ({r.person_id}); "
                    f"{self.actor.login} is not named on it"
                )

    def redact_queue(self, items: Sequence[QueueItem]) -> list[QueueItem]:
        """The queue as this actor may see it: restricted rows kept, their content hidden."""
        return redact_queue(items, self.visible_contacts(i.contact_id for i in items))

    def visible_contacts(self, contact_ids: Iterable[str]) -> Mapping[str, bool]:
        """contact id -> may this actor read it (False only for restricted, not named)."""
        ids = list(contact_ids)
        now = self.clock.now()
        blocked = {
            cid
            for cid, rs in self.restrictions_of_contacts(ids).items()
            if any(not can_see(self.actor, r, now) for r in rs)
        }
        return {cid: cid not in blocked for cid in ids}
