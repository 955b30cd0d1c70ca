"""Which role may record which event type, as the shared server stores it.

Derived from the one permission table (``dutydesk.domain.permissions``): the server's
``dutydesk.event_permissions`` rows are written from ``ALLOWED`` by ``dutydesk server
init|upgrade``, and ``dutydesk.submit`` enforces them, so desk and server cannot drift.
Payload-level rules (lowering a Red rating) are in ``extra_rule_violation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .codes import Role
from .permissions import EVENT_ACTIONS, PERMISSIONS, Action

ALLOWED: Mapping[str, frozenset[Role]] = MappingProxyType(
    {event_type: PERMISSIONS[action] for event_type, action in EVENT_ACTIONS.items()}
)


def may_record(role: Role | str, event_type: str) -> bool:
    return Role(role) in ALLOWED.get(event_type, frozenset())


def extra_rule_violation(
    role: Role | str, event_type: str, payload: Mapping[str, Any]
) -> str | None:
    """A payload-level refusal in words, or None. Mirrors the server's check."""
    if (
        event_type == "contact.rating_overridden"
        and payload.get("from_rating") == "red"
        and payload.get("to_rating") != "red"
        and Role(role) not in PERMISSIONS[Action.LOWER_RED]
    ):
        return "only a duty manager or senior practitioner may lower a Red rating"
    return None


def refusal(role: Role | str, event_type: str, payload: Mapping[str, Any]) -> str | None:
    """Why ``role`` may not record this event, or None when it may."""
    if not may_record(role, event_type):
        return f"the {Role(role).value} role may not record {event_type}"
    return extra_rule_violation(role, event_type, payload)
