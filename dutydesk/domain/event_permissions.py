"""Which role may record which event type: the catalogue of DESIGN.md as data.

The shared server holds the same table (``db/server/0001_initial.sql``,
``dutydesk.event_permissions``) and enforces it in ``dutydesk.submit``; this copy lets a desk
refuse early and explain why. A test compares the two so they cannot drift apart.
Payload-level rules (lowering a Red rating) are in ``extra_rule_violation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .codes import Role

CO, PR, SP, DM, AU, AD = (Role.CONTACT_OFFICER, Role.PRACTITIONER, Role.SENIOR_PRACTITIONER,
                          Role.DUTY_MANAGER, Role.AUDITOR, Role.ADMIN)

_FRONT_LINE = frozenset({CO, PR, SP, DM})  # "contact officer and above"
_PRACTICE = frozenset({PR, SP, DM})        # "practitioner and above"
_DECIDERS = frozenset({SP, DM})            # duty manager, senior practitioner
_EVERYONE = frozenset(Role)

ALLOWED: Mapping[str, frozenset[Role]] = MappingProxyType({
    "person.registered": _FRONT_LINE,
    "person.updated": _FRONT_LINE,
    "person.linked": _FRONT_LINE,
    "person.unlinked": _FRONT_LINE,
    "contact.received": _FRONT_LINE,
    "contact.rated": _FRONT_LINE,  # computed by the system on behalf of the actor
    "contact.rating_overridden": _PRACTICE,
    "contact.assigned": frozenset({DM}),
    "partner_check.requested": _PRACTICE,
    "partner_check.answered": _PRACTICE,
    "note.added": _FRONT_LINE,
    "decision.proposed": _PRACTICE,
    "decision.recorded": _DECIDERS,
    "decision.signed_off": _DECIDERS,
    "decision.amended": _DECIDERS,
    "conflict.resolved": frozenset({DM}),
    "consent.recorded": _PRACTICE,
    "consent.overridden": frozenset({DM}),
    "record.restricted": frozenset({AD}),
    "access.granted": frozenset({AD}),
    "access.break_glass": _EVERYONE,
    "record.viewed": _EVERYONE,
    "document.printed": _EVERYONE,
    "document.exported": _EVERYONE,
    "handover.noted": _FRONT_LINE,
    "handover.acknowledged": _FRONT_LINE,
    "supervision.recorded": _DECIDERS,
})


def may_record(role: Role | str, event_type: str) -> bool:
    return Role(role) in ALLOWED.get(event_type, frozenset())


def extra_rule_violation(role: Role | str, event_type: str,
                         payload: Mapping[str, Any]) -> str | None:
    """A payload-level refusal in words, or None. Mirrors the server's check."""
    if (event_type == "contact.rating_overridden" and payload.get("from_rating") == "red"
            and payload.get("to_rating") != "red" and Role(role) not in _DECIDERS):
        return "only a duty manager or senior practitioner may lower a Red rating"
    return None


def refusal(role: Role | str, event_type: str, payload: Mapping[str, Any]) -> str | None:
    """Why ``role`` may not record this event, or None when it may."""
    if not may_record(role, event_type):
        return f"the {Role(role).value} role may not record {event_type}"
    return extra_rule_violation(role, event_type, payload)
