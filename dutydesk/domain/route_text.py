"""One line of plain words for each follow-through event: the case log, the duty log and
the contact's history show these (no personal data beyond what the record already shows
to its reader)."""

from __future__ import annotations

from datetime import datetime

from .events import Event
from .route_codes import (
    ADULT_ROLE_LABELS,
    ROUTE_LABELS,
    STEP_LABELS,
    STRATEGY_DECISION_LABELS,
    AdultRole,
    RouteKind,
    RouteStep,
    StrategyDecision,
)
from .route_events import ROUTE_EVENTS


def _time(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%d %b %Y %H:%M")


def _child(p: dict[str, object]) -> str:
    slot = p.get("slot")
    return f"child {slot + 1}" if isinstance(slot, int) else "the contact"


def describe(e: Event) -> str | None:
    """What happened, in words, or None for an event type this module does not cover."""
    if e.type not in ROUTE_EVENTS:
        return None
    p = dict(e.payload)
    t = e.type
    if t == "route.opened":
        label = ROUTE_LABELS[RouteKind(p["kind"])]
        extra = [
            f"to {p['to']}" if p.get("to") else "",
            f"team {p['team']}" if p.get("team") else "",
            f"family consent {p['family_consent'].replace('_', ' ')}"
            if p.get("family_consent")
            else "",
            ("already known to MARAC" if p.get("marac") == "already_known" else "MARAC referral")
            if p.get("marac")
            else "",
            f"adult {p['adult_slot'] + 1}" if "adult_slot" in p else "",
        ]
        words = "; ".join(x for x in extra if x)
        return f"Route opened for {_child(p)}: {label}" + (f" ({words})" if words else "")
    if t == "route.progressed":
        when = f" at {_time(p['at'])}" if p.get("at") else ""
        why = f". Reason: {p['reason']}" if p.get("reason") else ""
        return f"Route step: {STEP_LABELS[RouteStep(p['step'])]}{when}{why}"
    if t == "route.transferred":
        worker = f", worker {p['worker']}" if p.get("worker") else ""
        return f"Transferred to {p['team']}{worker}, awaiting acceptance"
    if t == "route.transfer_accepted":
        worker = f" ({p['worker']})" if p.get("worker") else ""
        return f"Transfer accepted{worker}"
    if t == "route.transfer_returned":
        return f"Transfer returned. Reason: {p['reason']}"
    if t == "route.closed":
        return f"Route closed. Reason: {p['reason']}"
    if t == "strategy.discussed":
        agencies = ", ".join(a["agency"] for a in p["attendees"])
        s47 = f"; s47 started {p['s47_started_on']}" if p.get("s47_started_on") else ""
        pp = p.get("police_protection")
        protection = f"; police protection from {_time(pp['started_at'])}" if pp else ""
        epo = "; EPO applied for" if p.get("epo") else ""
        return (
            f"Strategy discussion held {_time(p['held_at'])} with {agencies}: "
            f"{STRATEGY_DECISION_LABELS[StrategyDecision(p['decision'])]}"
            f"{s47}{protection}{epo}"
        )
    if t == "adult.recorded":
        return (
            f"Adult {p['adult_slot'] + 1} recorded: "
            f"{ADULT_ROLE_LABELS[AdultRole(p['role'])]}"
            + (f", {p['relationship']}" if p.get("relationship") else "")
        )
    if t == "contact.merged":
        return f"Merged into contact {p['into_contact_id']} as a duplicate. Reason: {p['reason']}"
    if t == "contact.entered_in_error":
        return f"Marked entered in error. Reason: {p['reason']}"
    if t == "contact.taken":
        return f"Taken by {e.actor}"
    if t == "referrer.acknowledged":
        what = "Receipt acknowledged" if p["kind"] == "acknowledgement" else "Feedback given"
        to = f" to {p['to']}" if p.get("to") else " to the referrer"
        return f"{what}{to} by {p['method']}"
    if t == "next_step.completed":
        return f"Next step {p['index'] + 1} done" + (f": {p['note']}" if p.get("note") else "")
    if t == "partner_check.chased":
        return "Partner check chased" + (f": {p['note']}" if p.get("note") else "")
    if t == "allocated_worker.notified":
        return f"Allocated worker {p['worker']} told by {p['method']}"
    return None
