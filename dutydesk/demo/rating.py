"""Rating demo data as it is generated, with the history the generator has produced so far.

The generator knows nothing of triage; it calls a ``RateHook`` for each new contact. This
hook watches the event stream on its way to the store (``observe``), keeping every
child's earlier contacts and settled referral decisions, so each demo contact is rated as
the desk would have rated it on arrival: with history, and with the first rating kept
for ``dutydesk triage evaluate`` to compare against what was decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.codes import REFERRAL_OUTCOMES, Outcome
from ..domain.events import Event
from ..domain.history import PastContact, build_history
from ..domain.triage.policy import Policy
from ..domain.triage.scoring import score_contact


class RunningTriage:
    """A ``RateHook`` (``rate(payload, at)``) fed by ``observe`` with the events so far."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._contacts: dict[str, PastContact] = {}
        self._people_contacts: dict[str, list[str]] = {}
        self._proposed: dict[str, tuple[str, str]] = {}  # decision -> (contact, outcome)

    def rate(self, payload: Mapping[str, Any], at: datetime) -> Mapping[str, Any] | None:
        w = self.policy.history
        received = datetime.fromisoformat(payload["received_at"])
        histories = []
        for pid in dict.fromkeys(c.get("person_id") for c in payload["children"]):
            if not pid:
                continue
            past = [self._contacts[c] for c in self._people_contacts.get(pid, ())]
            histories.append(
                build_history(
                    pid,
                    None,
                    past,
                    received,
                    exclude_contact_id=payload["contact_id"],
                    rereferral_months=w.rereferral_months,
                    police_months=w.police_months,
                )
            )
        return score_contact(payload, histories, self.policy, at).to_payload()

    def observe(self, event: Event) -> None:
        p = event.payload
        if event.type == "contact.received":
            cid = p["contact_id"]
            self._contacts[cid] = PastContact(cid, p["received_at"], p["source_code"])
            for child in p["children"]:
                if child.get("person_id"):
                    self._people_contacts.setdefault(child["person_id"], []).append(cid)
        elif event.type == "contact.rated" and p["contact_id"] in self._contacts:
            c = self._contacts[p["contact_id"]]
            self._contacts[c.contact_id] = replace(c, rating=c.rating or p["rating"])
        elif event.type == "decision.proposed":
            self._proposed[p["decision_id"]] = (p["contact_id"], p["outcome"])
        elif event.type == "decision.recorded":
            self._settle(p["contact_id"], p["outcome"], event.client_time)
        elif event.type == "decision.signed_off" and p["decision_id"] in self._proposed:
            cid, outcome = self._proposed.pop(p["decision_id"])
            self._settle(cid, outcome, event.client_time)

    def _settle(self, cid: str, outcome: str, at: str) -> None:
        c = self._contacts.get(cid)
        if c is None:
            return
        referral = c.is_referral or Outcome(outcome) in REFERRAL_OUTCOMES
        self._contacts[cid] = replace(c, outcome=outcome, is_referral=referral, decided_at=at)

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """Pass ``events`` through, observing each before the next contact is rated."""
        for event in events:
            self.observe(event)
            yield event
