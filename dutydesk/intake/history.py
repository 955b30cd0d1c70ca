"""Drafts shared by the history formats (Annex A, CIN census): the child, the referral,
and the decision that records what happened, all marked as imported history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .ids import (
    contact_event_id,
    decision_event_id,
    decision_id_for,
    la_person_id,
    person_event_id,
)
from .model import Draft

# Threshold level recorded for an imported outcome (codes.THRESHOLD_LEVELS).
_LEVEL = {"nfa": 1, "cin_assessment": 3}


def person_draft(la_child_id: str, fields: dict[str, Any], now: datetime) -> Draft:
    pid = la_person_id(la_child_id)
    payload = {
        "person_id": pid,
        "la_child_id": la_child_id,
        **{k: v for k, v in fields.items() if v not in (None, "")},
    }
    return Draft("person.registered", payload, person_event_id(pid, payload), now)


def contact_drafts(
    *,
    contact_id: str,
    la_child_id: str,
    received: datetime,
    source: str,
    child: dict[str, Any],
    concern: str,
    external_ref: str,
    now: datetime,
    outcome: str | None,
    analysis: str,
    primary_need: str | None = None,
    categories: list[str] | None = None,
) -> list[Draft]:
    """``contact.received`` (+ ``decision.recorded`` when the outcome is known)."""
    kid = {
        "person_id": la_person_id(la_child_id),
        **{k: v for k, v in child.items() if v not in (None, "")},
    }
    payload: dict[str, Any] = {
        "contact_id": contact_id,
        "received_at": received.isoformat(),
        "channel": "import",
        "source_code": source,
        "children": [kid],
        "concern": concern,
        "consent": "unknown",
        # No "immediate_danger": a history file never says, so it is not stated (never "no").
        "external_ref": external_ref,
    }
    if categories:
        payload["categories"] = categories
    drafts = [Draft("contact.received", payload, contact_event_id(contact_id), now)]
    if outcome is not None:
        did = decision_id_for(contact_id)
        decision: dict[str, Any] = {
            "decision_id": did,
            "contact_id": contact_id,
            "outcome": outcome,
            "threshold_level": _LEVEL[outcome],
            "rationale": {
                "concerns_and_risks": "Not recorded in the source file (imported history).",
                "analysis": analysis,
            },
        }
        if primary_need:
            decision["primary_need"] = primary_need
        # Decided on the day of the referral: history has no decision time of its own.
        drafts.append(Draft("decision.recorded", decision, decision_event_id(did), received))
    return drafts
