"""Record corrections from the window: register a person, correct their details, unlink a
wrong match, merge duplicate contacts, mark a contact entered in error.

Each is an event with a reason; nothing already recorded is edited or deleted. Afterwards
the open contacts whose history changed are rated again, so the queue's ratings follow
the corrected record (a merged duplicate police notification no longer counts as a
repeat; an unlinked child's history no longer lifts another child's rating).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.clock import Clock
from ..domain.codes import VOID_STATUSES
from ..domain.errors import ValidationError
from ..domain.events import Actor, Event, recorded_by
from ..domain.ids import new_id
from ..domain.permissions import Action, require
from ..domain.projection import ContactRow
from ..store.eventstore import EventStore
from ..store.queries import OPEN_STATUSES, Queries
from .snapshots import Changes
from .triage import TriageService

MIN_REASON = 10


def _reason(reason: str | None, where: str = "reason") -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ValidationError(
            f"say why in at least {MIN_REASON} characters (it goes on the "
            "record with the correction)",
            where,
        )
    return text


class CorrectionService:
    def __init__(
        self, store: EventStore, actor: Actor, clock: Clock, triage: TriageService | None = None
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self.triage = triage
        self.queries = Queries(store.engine)

    def _event(self, event_type: str, payload: Mapping[str, Any]) -> Event:
        return recorded_by(
            event_type,
            payload,
            by=self.actor,
            at=self.clock.now(),
        )

    def _contact(self, contact_id: str) -> ContactRow:
        row = self.queries.contact(contact_id)
        if row is None or not row.received_at:
            raise ValidationError(f"no contact {contact_id} in this store", "contact_id")
        return row

    def register_person(
        self,
        details: Mapping[str, Any],
        *,
        link_to: tuple[str, int] | None = None,
        reason: str | None = None,
    ) -> tuple[str, Changes]:
        """Register a new person; with ``link_to`` (contact id, slot) also link them to
        that child on the contact, in the same transaction."""
        require(self.actor, Action.LINK_PERSON)
        pid = new_id()
        events = [self._event("person.registered", {**details, "person_id": pid})]
        contacts: set[str] = set()
        if link_to is not None:
            cid, slot = link_to
            self._slot(cid, slot)
            events.append(
                self._event(
                    "person.linked",
                    {
                        "contact_id": cid,
                        "slot": slot,
                        "person_id": pid,
                        "reason": _reason(reason or "registered as a new person from the window"),
                    },
                )
            )
            contacts.add(cid)
        self.store.append(events)
        self._rerate(contacts)
        return pid, Changes(contacts=frozenset(contacts), people=frozenset({pid}), queue=True)

    def correct_person(self, person_id: str, changes: Mapping[str, Any], reason: str) -> Changes:
        """Correct a person's details (a date of birth, a name); the old values stay in the
        log and on the person's history."""
        require(self.actor, Action.LINK_PERSON)
        if self.queries.person(person_id) is None:
            raise ValidationError(f"no person {person_id} in this store", "person_id")
        if not changes:
            raise ValidationError("nothing to correct", "changes")
        event = self._event(
            "person.updated", {**changes, "person_id": person_id, "reason": _reason(reason)}
        )
        self.store.append([event])
        affected = self._open_contacts_of([person_id])
        self._rerate(affected)
        return Changes(contacts=frozenset(affected), people=frozenset({person_id}), queue=True)

    def record_allocation(
        self, person_id: str, worker: str | None, team: str | None, reason: str
    ) -> Changes:
        """Record who holds the child's open case (the case-management system's allocated
        worker and team), or, with no worker, that the case is closed. One
        ``person.updated``; the same-day notice to the allocated worker names them."""
        worker, team = (worker or "").strip() or None, (team or "").strip() or None
        if worker is None and team is not None:
            raise ValidationError("name the allocated worker as well as the team", "worker")
        changes: dict[str, Any] = {"open_case": worker is not None}
        if worker is not None:
            changes["allocated_worker"] = worker
            if team is not None:
                changes["allocated_team"] = team
        return self.correct_person(person_id, changes, reason)

    def unlink(self, contact_id: str, slot: int, reason: str) -> Changes:
        """Undo a wrong link: the child on the contact is no longer that person."""
        require(self.actor, Action.LINK_PERSON)
        child = self._slot(contact_id, slot)
        if child.person_id is None:
            raise ValidationError("that child is not linked to anyone", "slot")
        pid = child.person_id
        self.store.append(
            [
                self._event(
                    "person.unlinked",
                    {
                        "contact_id": contact_id,
                        "slot": slot,
                        "person_id": pid,
                        "reason": _reason(reason),
                    },
                )
            ]
        )
        affected = {contact_id} | self._open_contacts_of([pid])
        self._rerate(affected)
        return Changes(contacts=frozenset(affected), people=frozenset({pid}), queue=True)

    def merge(self, duplicate_id: str, into_id: str, reason: str) -> Changes:
        """Merge a duplicate contact (the same police notification twice) into the one
        that stays. The duplicate leaves the queue, history and MI; its events stay."""
        require(self.actor, Action.CORRECT_RECORD)
        dup, keep = self._contact(duplicate_id), self._contact(into_id)
        for row, where in ((dup, "contact_id"), (keep, "into_contact_id")):
            if row.status in VOID_STATUSES:
                raise ValidationError(
                    f"contact {row.contact_id} is already {row.status.replace('_', ' ')}", where
                )
        people = self._people_on([duplicate_id, into_id])
        self.store.append(
            [
                self._event(
                    "contact.merged",
                    {
                        "contact_id": duplicate_id,
                        "into_contact_id": into_id,
                        "reason": _reason(reason),
                    },
                )
            ]
        )
        affected = ({into_id} | self._open_contacts_of(people)) - {duplicate_id}
        self._rerate(affected)
        return Changes(contacts=frozenset(affected | {duplicate_id}), queue=True)

    def entered_in_error(self, contact_id: str, reason: str) -> Changes:
        """Mark a contact entered in error: kept in the log, counted nowhere."""
        require(self.actor, Action.CORRECT_RECORD)
        row = self._contact(contact_id)
        if row.status in VOID_STATUSES:
            raise ValidationError(
                f"contact {contact_id} is already {row.status.replace('_', ' ')}", "contact_id"
            )
        people = self._people_on([contact_id])
        self.store.append(
            [
                self._event(
                    "contact.entered_in_error",
                    {"contact_id": contact_id, "reason": _reason(reason)},
                )
            ]
        )
        affected = self._open_contacts_of(people) - {contact_id}
        self._rerate(affected)
        return Changes(contacts=frozenset(affected | {contact_id}), queue=True)

    # ---- helpers -----------------------------------------------------------------------

    def _slot(self, contact_id: str, slot: int) -> Any:
        self._contact(contact_id)
        child = next((k for k in self.queries.children_of(contact_id) if k.slot == slot), None)
        if child is None:
            raise ValidationError(f"the contact has no child in slot {slot}", "slot")
        return child

    def _people_on(self, contact_ids: Iterable[str]) -> set[str]:
        return {
            k.person_id for cid in contact_ids for k in self.queries.children_of(cid) if k.person_id
        }

    def _open_contacts_of(self, person_ids: Iterable[str]) -> set[str]:
        return {
            c.contact_id
            for pid in person_ids
            for c in self.queries.contacts_of_person(pid)
            if c.status in OPEN_STATUSES
        }

    def _rerate(self, contact_ids: Iterable[str]) -> None:
        """Rate the open ones again with their corrected history (overrides stand)."""
        if self.triage is None:
            return
        for cid in sorted(contact_ids):
            row = self.queries.contact(cid)
            if row is not None and row.status in OPEN_STATUSES and row.received_at:
                self.triage.rate(cid)
