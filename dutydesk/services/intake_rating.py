"""The one rating the desk makes itself: immediate danger reported at intake is Red at once.

Until a triage policy is wired in, a contact whose reporter says a child is in immediate
danger must not wait in the queue for anything. ``DeskService`` calls a *rater* with the
contact payload and the time; this module is the default rater. The triage service
replaces it by passing its own callable with the same signature (the same shape as
``dutydesk.demo.synthetic.RateHook``): ``(contact payload, at) -> contact.rated payload
or None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

POLICY_VERSION = "intake-rule"
REASON = "Immediate danger reported at intake"
TOP_SCORE = 10_000

Rater = Callable[[Mapping[str, Any], datetime], Mapping[str, Any] | None]


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
