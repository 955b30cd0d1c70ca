"""The intake rule: immediate danger reported at intake is Red at once.

A contact whose reporter says a child is in immediate danger must not wait in the queue
for anything, not even for the policy's scoring. ``TriageService.on_arrival`` applies this
rule in the contact's own transaction (``DeskService.record_contact``); the policy rates
the contact again, with the child's history, straight after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

POLICY_VERSION = "intake-rule"
REASON = "Immediate danger reported at intake"
TOP_SCORE = 10_000


def immediate_danger_rating(contact: Mapping[str, Any], at: datetime) -> dict[str, Any] | None:
    """A Red ``contact.rated`` payload due now when immediate danger was reported."""
    if not contact.get("immediate_danger"):
        return None
    return {
        "contact_id": contact["contact_id"],
        "score": TOP_SCORE,
        "rating": "red",
        "reasons": [{"code": "immediate_danger", "text": REASON}],
        "policy_version": POLICY_VERSION,
        "due_at": at.isoformat(),
    }
