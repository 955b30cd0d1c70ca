"""Payload rules for the events of the front-door day after a decision: routes per child,
strategy discussions, adults on a contact, hand-offs, record corrections and follow-through.

These join ``events.CATALOGUE`` (one catalogue, so the server validates them the same way).
Every event carries ``contact_id`` so it is on the contact's case log; events about one
child carry ``person_id`` too (when the child is linked), so they are on the child's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import codes
from .errors import ValidationError
from .route_codes import (
    ROUTE_STEPS,
    S47_DECISIONS,
    AckKind,
    AckMethod,
    AdultRole,
    RouteKind,
    RouteStep,
    StrategyDecision,
)
from .schema import (
    Field,
    Spec,
    integer,
    iso_date,
    iso_datetime,
    list_of,
    one_of,
    text,
    uuid_text,
)

NAME = text(100)
SHORT = text(200)
REASON = text(2000)
NOTES = text(20_000)
SLOT = integer(0, 99)

KIND = one_of(
    [k.value for k in RouteKind],
    "route (signpost, early_help, s17_assessment, "
    "strategy_s47, emergency_protection, lado, marac, private_fostering, "
    "transfer_out)",
)
STEP = one_of([s.value for s in RouteStep], "route step")
CONSENT = one_of([c.value for c in codes.ConsentStatus], "consent status")
ADULT_ROLE = one_of(
    [r.value for r in AdultRole],
    "adult's role (victim, alleged_perpetrator, parent_carer, works_with_children, other)",
)
MARAC_STATUS = one_of(["referred", "already_known"], "MARAC status (referred, already_known)")


def _needs(obj: Mapping[str, Any], kind: str, *names: str) -> None:
    for name in names:
        if obj.get(name) in (None, ""):
            raise ValidationError(f"is required for a {kind.replace('_', ' ')} route", name)


def _route_rules(obj: dict[str, Any]) -> None:
    kind = obj["kind"]
    if kind == RouteKind.SIGNPOST:
        _needs(obj, kind, "to")
    elif kind == RouteKind.EARLY_HELP:
        _needs(obj, kind, "team", "family_consent")
    elif kind == RouteKind.TRANSFER_OUT:
        _needs(obj, kind, "to")
    elif kind == RouteKind.LADO:
        _needs(obj, kind, "adult_slot")
    elif kind == RouteKind.MARAC:
        _needs(obj, kind, "adult_slot", "marac")
    elif kind in (
        RouteKind.PRIVATE_FOSTERING,
        RouteKind.S17_ASSESSMENT,
        RouteKind.STRATEGY_S47,
        RouteKind.EMERGENCY_PROTECTION,
    ):
        _needs(obj, kind, "slot")
    if "marac" in obj and kind != RouteKind.MARAC:
        raise ValidationError("only a MARAC route has a MARAC status", "marac")


ROUTE_OPENED = Spec(
    (
        Field("route_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("kind", KIND),
        Field("slot", SLOT, required=False, doc="the child on the contact this route is for"),
        Field("person_id", uuid_text, required=False, doc="that child, once linked"),
        Field("adult_slot", SLOT, required=False, doc="the adult (LADO subject, MARAC victim)"),
        Field(
            "to",
            SHORT,
            required=False,
            doc="signpost: the service; transfer: the receiving local authority",
        ),
        Field("team", SHORT, required=False, doc="the receiving team"),
        Field("worker", NAME, required=False, doc="the receiving worker, where named"),
        Field("family_consent", CONSENT, required=False, doc="early help: the family's consent"),
        Field("marac", MARAC_STATUS, required=False),
        Field(
            "opened_at",
            iso_datetime,
            required=False,
            doc="when the route started, if earlier than the recording",
        ),
        Field("notes", REASON, required=False),
    ),
    rules=(_route_rules,),
)


def _step_rules(obj: dict[str, Any]) -> None:
    if obj["step"] == RouteStep.RETURNED and not obj.get("reason"):
        raise ValidationError("a return needs a reason", "reason")


ROUTE_PROGRESSED = Spec(
    (
        Field("route_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("step", STEP),
        Field("at", iso_datetime, required=False, doc="when it happened (default: recorded)"),
        Field("person_id", uuid_text, required=False),
        Field("reason", REASON, required=False),
    ),
    rules=(_step_rules,),
)

ROUTE_TRANSFERRED = Spec(
    (
        Field("route_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("team", SHORT),
        Field("worker", NAME, required=False),
        Field("person_id", uuid_text, required=False),
        Field("notes", REASON, required=False),
    )
)

ROUTE_TRANSFER_ANSWER = Spec(
    (
        Field("route_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("person_id", uuid_text, required=False),
        Field("worker", NAME, required=False, doc="the worker who will hold it"),
        Field("reason", REASON, required=False),
    )
)


def _returned_needs_reason(obj: dict[str, Any]) -> None:
    if not obj.get("reason"):
        raise ValidationError("a returned transfer needs a reason", "reason")


ROUTE_TRANSFER_RETURNED = Spec(ROUTE_TRANSFER_ANSWER.fields, rules=(_returned_needs_reason,))

ROUTE_CLOSED = Spec(
    (
        Field("route_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("person_id", uuid_text, required=False),
        Field("reason", REASON),
    )
)

ATTENDEE = Spec(
    (
        Field("agency", SHORT),
        Field("name", NAME, required=False),
        Field("role", SHORT, required=False),
    )
)


def _after(obj: Mapping[str, Any], first: str, second: str, where: str) -> None:
    if (
        first in obj
        and second in obj
        and (datetime.fromisoformat(obj[second]) < datetime.fromisoformat(obj[first]))
    ):
        raise ValidationError(
            f"{second.replace('_', ' ')} is before {first.replace('_', ' ')}", where
        )


PROTECTION = Spec(
    (
        Field("started_at", iso_datetime),
        Field("ended_at", iso_datetime, required=False),
        Field("where", SHORT, required=False, doc="where the child is accommodated"),
    ),
    rules=(lambda o: _after(o, "started_at", "ended_at", "ended_at"),),
)

EPO = Spec(
    (
        Field("applied_at", iso_datetime),
        Field("granted_at", iso_datetime, required=False),
        Field("court", SHORT, required=False),
    ),
    rules=(lambda o: _after(o, "applied_at", "granted_at", "granted_at"),),
)


def _strategy_rules(obj: dict[str, Any]) -> None:
    decision = StrategyDecision(obj["decision"])
    if decision in S47_DECISIONS and "s47_started_on" not in obj:
        raise ValidationError(
            "a section 47 decision needs the date the enquiry started", "s47_started_on"
        )
    if decision not in S47_DECISIONS and "s47_started_on" in obj:
        raise ValidationError("no s47 was decided, so there is no s47 start date", "s47_started_on")
    if "s47_started_on" in obj and obj["s47_started_on"] < obj["held_at"][:10]:
        raise ValidationError(
            "the s47 enquiry cannot start before the strategy discussion", "s47_started_on"
        )
    if obj.get("medical") == "arranged" and "medical_at" not in obj:
        raise ValidationError("say when the medical is arranged for", "medical_at")


STRATEGY_DISCUSSED = Spec(
    (
        Field("discussion_id", uuid_text),
        Field("contact_id", uuid_text),
        Field(
            "slots",
            list_of(SLOT, min_items=1, max_items=20, unique=True),
            doc="the children on the contact it was about",
        ),
        Field("route_id", uuid_text, required=False, doc="the strategy/s47 route it belongs to"),
        Field("held_at", iso_datetime),
        Field("attendees", list_of(ATTENDEE, min_items=1, max_items=40)),
        Field("decision", one_of([d.value for d in StrategyDecision], "strategy decision")),
        Field("s47_started_on", iso_date(), required=False),
        Field(
            "medical", one_of(["not_needed", "arranged", "completed"], "medical"), required=False
        ),
        Field("medical_at", iso_datetime, required=False),
        Field("police_protection", PROTECTION, required=False),
        Field("epo", EPO, required=False),
        Field("lead_social_worker", NAME, required=False),
        Field("summary", NOTES, required=False),
    ),
    rules=(_strategy_rules,),
)


def _adult_named(obj: dict[str, Any]) -> None:
    if not any(k in obj for k in ("given_name", "family_name")):
        raise ValidationError("an adult needs a name", "family_name")


def _not_into_itself(obj: dict[str, Any]) -> None:
    if obj["contact_id"] == obj["into_contact_id"]:
        raise ValidationError("a contact cannot be merged into itself", "into_contact_id")


ADULT_RECORDED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("adult_slot", SLOT),
        Field("role", ADULT_ROLE),
        Field("given_name", NAME, required=False),
        Field("family_name", NAME, required=False),
        Field("date_of_birth", iso_date(not_future=True), required=False),
        Field("relationship", SHORT, required=False, doc="to the child or children"),
        Field("occupation", SHORT, required=False, doc="role and employer (LADO)"),
        Field("address", text(300), required=False),
    ),
    rules=(_adult_named,),
)

CONTACT_MERGED = Spec(
    (
        Field("contact_id", uuid_text, doc="the duplicate, which leaves the queue"),
        Field("into_contact_id", uuid_text, doc="the contact that stays"),
        Field("reason", REASON),
    ),
    rules=(_not_into_itself,),
)

CONTACT_ENTERED_IN_ERROR = Spec(
    (
        Field("contact_id", uuid_text),
        Field("reason", REASON),
    )
)

CONTACT_TAKEN = Spec((Field("contact_id", uuid_text),))

REFERRER_ACKNOWLEDGED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("kind", one_of([k.value for k in AckKind], "acknowledgement or feedback")),
        Field("method", one_of([m.value for m in AckMethod], "method (letter, email, phone)")),
        Field("to", NAME, required=False),
        Field("sent_at", iso_datetime, required=False),
        Field("note", REASON, required=False),
    )
)

NEXT_STEP_COMPLETED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("decision_id", uuid_text),
        Field("index", integer(0, 49), doc="position in the decision's next steps"),
        Field("note", REASON, required=False),
    )
)

PARTNER_CHECK_CHASED = Spec(
    (
        Field("check_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("note", REASON, required=False),
        Field("due_at", iso_datetime, required=False, doc="the new time the answer is due"),
    )
)

ALLOCATED_WORKER_NOTIFIED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("person_id", uuid_text),
        Field("worker", NAME),
        Field("method", one_of([m.value for m in AckMethod], "method (letter, email, phone)")),
        Field("sent_at", iso_datetime, required=False),
    )
)

ROUTE_EVENTS: Mapping[str, Spec] = {
    "route.opened": ROUTE_OPENED,
    "route.progressed": ROUTE_PROGRESSED,
    "route.transferred": ROUTE_TRANSFERRED,
    "route.transfer_accepted": ROUTE_TRANSFER_ANSWER,
    "route.transfer_returned": ROUTE_TRANSFER_RETURNED,
    "route.closed": ROUTE_CLOSED,
    "strategy.discussed": STRATEGY_DISCUSSED,
    "adult.recorded": ADULT_RECORDED,
    "contact.merged": CONTACT_MERGED,
    "contact.entered_in_error": CONTACT_ENTERED_IN_ERROR,
    "contact.taken": CONTACT_TAKEN,
    "referrer.acknowledged": REFERRER_ACKNOWLEDGED,
    "next_step.completed": NEXT_STEP_COMPLETED,
    "partner_check.chased": PARTNER_CHECK_CHASED,
    "allocated_worker.notified": ALLOCATED_WORKER_NOTIFIED,
}


def step_fits(kind: str, step: str) -> bool:
    """Whether ``step`` belongs on a route of ``kind`` (checked by the service)."""
    return RouteStep(step) in ROUTE_STEPS[RouteKind(kind)]
