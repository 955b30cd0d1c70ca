"""Small hand-made histories for MI tests: real events folded by the real projection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.domain.projection import ReadModel, apply_all
from dutydesk.mi.records import MiInput
from tests.factories import contact_payload, decision_payload, event


def at(stamp: str) -> datetime:
    """A London wall-clock time, e.g. ``2026-12-24 16:00``."""
    from dutydesk.domain.clock import LONDON

    return datetime.fromisoformat(stamp).replace(tzinfo=LONDON)


def child(person_id: str, dob: str = "2019-04-03", **extra: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "given_name": "Test",
        "family_name": "Child",
        "date_of_birth": dob,
        "sex": "b",
        **extra,
    }


class History:
    """Builds events; ``cid = h.contact(...)`` then ``h.decide(cid, ...)``."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def contact(
        self,
        received: str,
        *,
        children: list[dict[str, Any]] | None = None,
        source: str = "2A",
        office: str = "North",
        team: str = "A",
    ) -> str:
        when = at(received)
        payload = contact_payload(
            received_at=when.isoformat(), source_code=source, office=office, team=team
        )
        if children is not None:
            payload["children"] = children
        self.events.append(
            event("contact.received", payload, when, actor="cc.officer", role=Role.CONTACT_OFFICER)
        )
        return str(payload["contact_id"])

    def decide(
        self,
        contact_id: str,
        when: str,
        outcome: str = "nfa",
        *,
        proposed_by_practitioner: bool = False,
        signed_off: str | None = None,
    ) -> str:
        payload = decision_payload(contact_id, outcome=outcome, threshold_level=2)
        moment = at(when)
        if proposed_by_practitioner:
            self.events.append(
                event(
                    "decision.proposed",
                    payload,
                    moment,
                    actor="sw.practitioner",
                    role=Role.PRACTITIONER,
                )
            )
            if signed_off:
                self.events.append(
                    event(
                        "decision.signed_off",
                        {"decision_id": payload["decision_id"], "contact_id": contact_id},
                        at(signed_off),
                    )
                )
        else:
            self.events.append(event("decision.recorded", payload, moment))
        return str(payload["decision_id"])

    def refer(
        self,
        received: str,
        person_id: str,
        *,
        office: str = "North",
        team: str = "A",
        decided: str | None = None,
    ) -> str:
        """A contact about one child that becomes a referral (decided half an hour later)."""
        cid = self.contact(received, children=[child(person_id)], office=office, team=team)
        self.decide(cid, decided or received[:-2] + "30", "cin_assessment")
        return cid

    def rate(self, contact_id: str, when: str, rating: str, due: str) -> None:
        self.events.append(
            event(
                "contact.rated",
                {
                    "contact_id": contact_id,
                    "score": 10,
                    "rating": rating,
                    "reasons": [],
                    "policy_version": "test",
                    "due_at": at(due).isoformat(),
                },
                at(when),
            )
        )

    def assign(self, contact_id: str, when: str, worker: str) -> None:
        self.events.append(
            event("contact.assigned", {"contact_id": contact_id, "assignee": worker}, at(when))
        )

    def mi_input(self, **extra: Any) -> MiInput:
        model = apply_all(ReadModel(), self.events)
        return MiInput(
            contacts=list(model.contacts.values()),
            children=list(model.children.values()),
            decisions=list(model.decisions.values()),
            people=dict(model.people),
            **extra,
        )


def pid() -> str:
    return new_id()
