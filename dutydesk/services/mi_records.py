"""Recording what the MI measures and the front door otherwise never hears of: an
assessment's authorisation (``assessment.completed``) and a worker's supervision
(``supervision.recorded``). Written through the guarded store, so the permission table
decides who may (duty managers and senior practitioners) and restricted records stay
restricted; a bad request is refused with what and why, and nothing is written.
"""

from __future__ import annotations

from datetime import date

from ..domain import referrals as dfe
from ..domain.clock import Clock
from ..domain.errors import ValidationError
from ..domain.events import Event, recorded_by
from ..store.queries import Queries
from .guard import GuardedStore


class MiRecords:
    def __init__(self, store: GuardedStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _append(self, event_type: str, payload: dict[str, object]) -> Event:
        actor = self.store.actor
        event = recorded_by(
            event_type,
            payload,
            by=actor,
            at=self.clock.now(),
        )
        self.store.append([event])
        return event

    def complete_assessment(
        self, contact_id: str, person_id: str, completed_on: date, authorised_by: str | None = None
    ) -> Event:
        """The assessment of ``person_id`` started by ``contact_id`` was authorised on
        ``completed_on``."""
        self.store.require_contact(contact_id)
        contact = Queries(self.store.engine).contact(contact_id)
        if contact is None:
            raise ValidationError(f"no contact {contact_id}", "contact_id")
        if not (contact.is_referral and dfe.starts_assessment(contact.outcome)):
            raise ValidationError("this contact did not start a statutory assessment", "contact_id")
        received = dfe.referral_date(contact.received_at)
        if completed_on < received:
            raise ValidationError(
                f"the assessment cannot be authorised ({completed_on}) "
                f"before the referral ({received})",
                "completed_on",
            )
        payload: dict[str, object] = {
            "contact_id": contact_id,
            "person_id": person_id,
            "completed_on": completed_on.isoformat(),
        }
        if authorised_by:
            payload["authorised_by"] = authorised_by
        return self._append("assessment.completed", payload)

    def record_supervision(
        self, worker: str, held_on: date, next_due: date, supervisor: str | None = None
    ) -> Event:
        """``worker`` was supervised on ``held_on``; the next is due on ``next_due``."""
        if next_due <= held_on:
            raise ValidationError("the next supervision must be due after this one", "next_due")
        return self._append(
            "supervision.recorded",
            {
                "worker": worker,
                "supervisor": supervisor or self.store.actor.login,
                "held_on": held_on.isoformat(),
                "next_due": next_due.isoformat(),
            },
        )
