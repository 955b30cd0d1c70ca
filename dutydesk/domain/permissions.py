"""Who may do what: the one permission table, the event-type -> action map, and the checks.

Pure. The services call ``check_event`` before any event is written and ``can_see`` before
any restricted record is shown; the shared server applies the same table in SQL (its own
copy, kept in step by ``tests/unit/domain/test_permissions.py`` listing every cell).

Restricted records: a person's record can be restricted to named logins. A role that may
``view_restricted`` still needs to be named (or granted, or to have broken the glass with a
reason in the last ``BREAK_GLASS_HOURS``); a role that may not never sees the content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from .codes import ROLE_LABELS, Rating, Role
from .errors import PermissionDenied, ValidationError


class Action(StrEnum):
    RECORD_CONTACT = "record_contact"
    LINK_PERSON = "link_person"
    RATE = "rate"
    OVERRIDE_RATING = "override_rating"
    LOWER_RED = "lower_red"
    ASSIGN = "assign"
    PARTNER_CHECK = "partner_check"
    ADD_NOTE = "add_note"
    RECORD_CONSENT = "record_consent"
    PROPOSE_DECISION = "propose_decision"
    RECORD_DECISION = "record_decision"
    SIGN_OFF = "sign_off"
    AMEND_DECISION = "amend_decision"
    RESOLVE_CONFLICT = "resolve_conflict"
    CONSENT_OVERRIDE = "consent_override"
    HANDOVER = "handover"
    SUPERVISION = "supervision"
    VIEW_RECORD = "view_record"
    VIEW_RESTRICTED = "view_restricted"
    GRANT_ACCESS = "grant_access"
    BREAK_GLASS = "break_glass"
    PRINT = "print"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    ADMINISTER = "administer"
    # issue 21: routes, strategy discussions, hand-offs, corrections, follow-through
    TAKE_CONTACT = "take_contact"
    OPEN_ROUTE = "open_route"
    STRATEGY_DISCUSSION = "strategy_discussion"
    TRANSFER = "transfer"
    ACCEPT_TRANSFER = "accept_transfer"
    CORRECT_RECORD = "correct_record"
    FOLLOW_UP = "follow_up"


CO, PR, SP, DM, AU, AD = (
    Role.CONTACT_OFFICER,
    Role.PRACTITIONER,
    Role.SENIOR_PRACTITIONER,
    Role.DUTY_MANAGER,
    Role.AUDITOR,
    Role.ADMIN,
)
_CASEWORK = frozenset({CO, PR, SP, DM})
_PRACTICE = frozenset({PR, SP, DM})
_DECIDERS = frozenset({SP, DM})

# THE table. Auditors read what they are granted and write only view/print/export events;
# administrators manage accounts and restrictions but do not read or write case content.
PERMISSIONS: Mapping[Action, frozenset[Role]] = MappingProxyType(
    {
        Action.RECORD_CONTACT: _CASEWORK,
        Action.LINK_PERSON: _CASEWORK,
        Action.RATE: _CASEWORK,  # the triage engine rates on behalf of whoever records
        Action.OVERRIDE_RATING: _PRACTICE,
        Action.LOWER_RED: _DECIDERS,
        Action.ASSIGN: frozenset({DM}),
        Action.PARTNER_CHECK: _PRACTICE,
        Action.ADD_NOTE: _CASEWORK,
        Action.RECORD_CONSENT: _PRACTICE,
        Action.PROPOSE_DECISION: _PRACTICE,
        Action.RECORD_DECISION: _DECIDERS,
        Action.SIGN_OFF: _DECIDERS,
        Action.AMEND_DECISION: _DECIDERS,
        Action.RESOLVE_CONFLICT: frozenset({DM}),
        Action.CONSENT_OVERRIDE: frozenset({DM}),
        Action.HANDOVER: _CASEWORK,
        Action.SUPERVISION: _DECIDERS,
        Action.VIEW_RECORD: frozenset({CO, PR, SP, DM, AU}),
        Action.VIEW_RESTRICTED: frozenset({PR, SP, DM, AU}),
        Action.GRANT_ACCESS: frozenset({AD}),
        Action.BREAK_GLASS: _CASEWORK,
        Action.PRINT: frozenset({CO, PR, SP, DM, AU}),
        Action.EXPORT: frozenset({SP, DM, AU}),
        Action.VIEW_AUDIT: frozenset({DM, AU, AD}),
        Action.ADMINISTER: frozenset({AD}),
        # docs/window.md: anyone but contact officers and auditors may take a contact.
        Action.TAKE_CONTACT: _PRACTICE,
        Action.OPEN_ROUTE: _PRACTICE,
        Action.STRATEGY_DISCUSSION: _PRACTICE,
        Action.TRANSFER: _DECIDERS,
        Action.ACCEPT_TRANSFER: _PRACTICE,  # the receiving team's worker or manager
        Action.CORRECT_RECORD: _DECIDERS,  # merge duplicates, mark entered in error
        Action.FOLLOW_UP: _CASEWORK,  # acknowledgements, feedback, next steps, chasing
    }
)

# Every event type in the catalogue names the action it needs (a test checks coverage).
EVENT_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {
        "person.registered": Action.LINK_PERSON,
        "person.updated": Action.LINK_PERSON,
        "person.linked": Action.LINK_PERSON,
        "person.unlinked": Action.LINK_PERSON,
        "contact.received": Action.RECORD_CONTACT,
        "contact.rated": Action.RATE,
        "contact.rating_overridden": Action.OVERRIDE_RATING,
        "contact.assigned": Action.ASSIGN,
        "partner_check.requested": Action.PARTNER_CHECK,
        "partner_check.answered": Action.PARTNER_CHECK,
        "note.added": Action.ADD_NOTE,
        "decision.proposed": Action.PROPOSE_DECISION,
        "decision.recorded": Action.RECORD_DECISION,
        "decision.signed_off": Action.SIGN_OFF,
        "decision.amended": Action.AMEND_DECISION,
        "decision.returned": Action.SIGN_OFF,  # returning is the other answer to a sign-off
        "conflict.resolved": Action.RESOLVE_CONFLICT,
        "consent.recorded": Action.RECORD_CONSENT,
        "consent.overridden": Action.CONSENT_OVERRIDE,
        "record.restricted": Action.GRANT_ACCESS,
        "access.granted": Action.GRANT_ACCESS,
        "access.break_glass": Action.BREAK_GLASS,
        "record.viewed": Action.VIEW_RECORD,
        "document.printed": Action.PRINT,
        "document.exported": Action.EXPORT,
        "handover.noted": Action.HANDOVER,
        "handover.acknowledged": Action.HANDOVER,
        "supervision.recorded": Action.SUPERVISION,
        # Authorising a completed assessment is a manager's decision on the case.
        "assessment.completed": Action.RECORD_DECISION,
        "contact.taken": Action.TAKE_CONTACT,
        "route.opened": Action.OPEN_ROUTE,
        "route.progressed": Action.OPEN_ROUTE,
        "route.closed": Action.OPEN_ROUTE,
        "route.transferred": Action.TRANSFER,
        "route.transfer_accepted": Action.ACCEPT_TRANSFER,
        "route.transfer_returned": Action.ACCEPT_TRANSFER,
        "strategy.discussed": Action.STRATEGY_DISCUSSION,
        "adult.recorded": Action.LINK_PERSON,
        "contact.merged": Action.CORRECT_RECORD,
        "contact.entered_in_error": Action.CORRECT_RECORD,
        "referrer.acknowledged": Action.FOLLOW_UP,
        "next_step.completed": Action.FOLLOW_UP,
        "partner_check.chased": Action.PARTNER_CHECK,
        "allocated_worker.notified": Action.FOLLOW_UP,
    }
)

# Events about a restricted person that someone without access may still write: asking
# for access, managing the restriction itself, and adding a new contact about the child
# (with its rating and link). A safeguarding contact must never be refused because the
# child's record is restricted; recording it reveals nothing of what the record holds.
_RESTRICTION_EXEMPT = frozenset(
    {
        "access.break_glass",
        "record.restricted",
        "access.granted",
        "contact.received",
        "contact.rated",
        "person.linked",
    }
)

RESTRICTION_EXEMPT = _RESTRICTION_EXEMPT  # the server applies the same (server_rules)

BREAK_GLASS_HOURS = 8
MIN_REASON_CHARS = 10


class Who(Protocol):
    """Anyone acting: ``dutydesk.domain.events.Actor`` fits."""

    @property
    def login(self) -> str: ...

    @property
    def role(self) -> Role: ...


@dataclass(frozen=True, slots=True)
class Restriction:
    """A restricted person's record: who is named on it, and when each broke the glass."""

    person_id: str
    allowed: frozenset[str] = frozenset()
    break_glass: Mapping[str, datetime] = field(default_factory=dict)  # login -> latest time


@dataclass(frozen=True, slots=True)
class AccessContext:
    """What ``check_event`` needs beyond the event: restrictions on the people it touches."""

    now: datetime
    restrictions: Mapping[str, Restriction] = field(default_factory=dict)


def allows(role: Role | str, action: Action | str) -> bool:
    return Role(role) in PERMISSIONS[Action(action)]


def role_label(role: Role | str) -> str:
    return ROLE_LABELS.get(Role(role), str(role))


def require(who: Who, action: Action) -> None:
    """Raise ``PermissionDenied`` unless ``who``'s role may do ``action``."""
    if not allows(who.role, action):
        allowed = ", ".join(role_label(r) for r in Role if r in PERMISSIONS[action])
        raise PermissionDenied(
            f"{who.login} ({role_label(who.role)}) may not {action.value.replace('_', ' ')}; "
            f"allowed: {allowed or 'nobody'}"
        )


def actions_for(event_type: str, payload: Mapping[str, Any]) -> tuple[Action, ...]:
    """Every action an event needs. Lowering a Red rating needs ``lower_red`` as well."""
    action = EVENT_ACTIONS.get(event_type)
    if action is None:
        raise PermissionDenied(f"event type {event_type!r} has no permission rule; refused")
    if (
        event_type == "contact.rating_overridden"
        and payload.get("from_rating") == Rating.RED
        and payload.get("to_rating") != Rating.RED
    ):
        return (action, Action.LOWER_RED)
    return (action,)


def check_reason(reason: Any, where: str = "reason") -> str:
    """A break-glass reason: real words, not blank or a token ``x``."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError("a reason is required to open a restricted record", where)
    if len(text) < MIN_REASON_CHARS:
        raise ValidationError(
            f"the reason is too short ({len(text)} characters); say why in "
            f"at least {MIN_REASON_CHARS} characters",
            where,
        )
    return text


def can_see(who: Who, restriction: Restriction | None, now: datetime) -> bool:
    """May ``who`` see the content of a record with this restriction (None: unrestricted)?"""
    if restriction is None:
        return allows(who.role, Action.VIEW_RECORD)
    if not allows(who.role, Action.VIEW_RESTRICTED):
        return False
    if who.login in restriction.allowed:
        return True
    broke = restriction.break_glass.get(who.login)
    return broke is not None and now - broke <= timedelta(hours=BREAK_GLASS_HOURS)


def check_event(
    who: Who, event_type: str, payload: Mapping[str, Any], context: AccessContext
) -> None:
    """Raise ``PermissionDenied`` (or ``ValidationError`` for a missing reason) if ``who``
    may not record this event. ``context.restrictions`` covers the people it touches."""
    for action in actions_for(event_type, payload):
        require(who, action)
    if event_type == "access.break_glass":
        check_reason(payload.get("reason"), "access.break_glass.reason")
    if event_type in _RESTRICTION_EXEMPT:
        return
    for restriction in context.restrictions.values():
        if not can_see(who, restriction, context.now):
            raise PermissionDenied(
                f"{who.login} ({role_label(who.role)}) has no access to restricted record "
                f"{restriction.person_id}; ask an administrator, or break the glass with a "
                f"reason"
            )


def check_actor_matches(who: Who, event_actor: str, event_role: str, event_id: str) -> None:
    """An event must be recorded in the name of whoever is signed in, never another."""
    if event_actor != who.login or event_role != Role(who.role).value:
        raise PermissionDenied(
            f"event {event_id} is in the name of {event_actor} ({event_role}) but "
            f"{who.login} ({Role(who.role).value}) is signed in; refused"
        )
