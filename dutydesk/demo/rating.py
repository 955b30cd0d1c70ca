"""Rating demo data as it is generated, with the history the generator has produced so far.

The generator knows nothing of triage; it calls a ``RateHook`` for each new contact. This
hook watches the event stream on its way to the store (``observe``), keeping every
child's earlier contacts and settled referral decisions, so each demo contact is rated as
the desk would have rated it on arrival: with history, and with the first rating kept
for ``dutydesk triage evaluate`` to compare against what was decided.

The generator may write a contact after a later one (an urgent contact still open at 9am
is moved to have arrived overnight), so a child's history can change after one of their
open contacts was rated. ``watch`` then does what the desk's rating upkeep does
(``store/rating_queries.py``): it rates the child's other open contacts again and records
``contact.rated`` where the answer differs, so a demo store holds the ratings a desk would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ..domain.codes import REFERRAL_OUTCOMES, Outcome
from ..domain.events import Event, make_event
from ..domain.history import PastContact, build_history
from ..domain.ids import stable_id, uuid7_at
from ..domain.triage.policy import Policy
from ..domain.triage.scoring import score_contact


class RunningTriage:
    """A ``RateHook`` (``rate(payload, at)``) fed by ``observe`` with the events so far."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._contacts: dict[str, PastContact] = {}
        self._people_contacts: dict[str, list[str]] = {}
        self._proposed: dict[str, tuple[str, str]] = {}  # decision -> (contact, outcome)
        self._children: dict[str, list[str]] = {}  # contact -> its linked people
        self._open: dict[str, Mapping[str, Any]] = {}  # open contact -> its payload
        self._rated: dict[str, Mapping[str, Any]] = {}  # open contact -> its latest rating

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
            self._open[cid] = p
            for child in p["children"]:
                if child.get("person_id"):
                    self._people_contacts.setdefault(child["person_id"], []).append(cid)
                    self._children.setdefault(cid, []).append(child["person_id"])
        elif event.type == "contact.rated" and p["contact_id"] in self._contacts:
            c = self._contacts[p["contact_id"]]
            self._contacts[c.contact_id] = replace(c, rating=c.rating or p["rating"])
            if c.contact_id in self._open:
                self._rated[c.contact_id] = p
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
        self._open.pop(cid, None)
        self._rated.pop(cid, None)
        referral = c.is_referral or Outcome(outcome) in REFERRAL_OUTCOMES
        self._contacts[cid] = replace(c, outcome=outcome, is_referral=referral, decided_at=at)

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """Pass ``events`` through, observing each before the next contact is rated, and
        after an arrival or a decision re-rate the children's other open contacts whose
        rating it changes (as the desk that recorded it would)."""
        for event in events:
            self.observe(event)
            yield event
            if event.type == "contact.received" or event.type.startswith("decision."):
                for rated in self._rerated(event):
                    self.observe(rated)
                    yield rated

    def _rerated(self, cause: Event) -> list[Event]:
        """``contact.rated`` for each open contact of the children of the contact ``cause``
        names (other than that contact) whose rating differs now, recorded by the person
        and device that recorded ``cause``, a second after it (or after the contact's
        arrival, when ``cause`` is dated earlier)."""
        named = cause.payload.get("contact_id")
        if not self._rated or named not in self._contacts:
            return []
        people = self._children.get(named, ())
        others = sorted({cid for pid in people for cid in self._people_contacts[pid]} - {named})
        caused = datetime.fromisoformat(cause.client_time)
        out = []
        for cid in others:
            before = self._rated.get(cid)
            if before is None:
                continue  # closed, or never rated: nothing the desk would re-rate
            # The desk re-rates when ``cause`` is recorded, which is after the contact
            # arrived even when ``cause`` is written with an earlier time (a late entry).
            at = max(caused, datetime.fromisoformat(self._open[cid]["received_at"]))
            at += timedelta(seconds=1)
            now = self.rate(self._open[cid], at)
            if now is None or dict(now) == dict(before):
                continue
            out.append(
                make_event(
                    "contact.rated",
                    now,
                    actor=cause.actor,
                    actor_role=cause.actor_role,
                    device=cause.device,
                    at=at,
                    event_id=str(uuid7_at(int(at.timestamp() * 1000), _bits(cause.id, cid))),
                )
            )
        return out


def _bits(cause_id: str, contact_id: str) -> int:
    """The random bits of a re-rating's id, from ``stable_id``: the same demo, the same ids."""
    return uuid.UUID(stable_id("demo.rerated", cause_id, contact_id)).int
