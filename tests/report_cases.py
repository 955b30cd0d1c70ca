"""A complete front-door history for one child, for the document tests: two contacts,
ratings with reasons, an override, decisions with every rationale field, a sign-off, an
amendment, partner checks, consent and a sibling with diacritics in every name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.eventstore import EventStore
from tests.factories import VALID_NHS, contact_payload, event

FULL_RATIONALE = {
    "concerns_and_risks": "CONCERNS-1: facial bruising on a seven-year-old after disclosure.",
    "strengths_and_protective_factors": "STRENGTHS-1: mother protective, grandmother nearby.",
    "childs_voice": "VOICE-1: Siobhán said she is frightened when dad shouts.",
    "consent_and_information_sharing": "CONSENT-1: shared without consent; risk of harm.",
    "analysis": "ANALYSIS-1: reasonable cause to suspect significant harm.",
    "next_steps": [
        {
            "action": "STEP-1 convene strategy discussion",
            "owner": "Zoë Wiśniewski",
            "due": "2026-11-27",
        }
    ],
    "feedback_to_referrer": "FEEDBACK-1: school told a strategy discussion is being held.",
}


@dataclass
class Case:
    person_id: str
    sibling_id: str
    contact_ids: list[str]
    decision_ids: list[str]
    events: list[Event] = field(default_factory=list)


def build_case(at: datetime) -> Case:
    pid, sib = new_id(), new_id()
    c1, c2 = new_id(), new_id()
    d1, d2 = new_id(), new_id()
    t = at - timedelta(days=30)
    ev: list[Event] = []

    def add(
        kind: str,
        payload: dict,
        when: datetime,
        role: Role = Role.DUTY_MANAGER,
        actor: str = "dm.manager",
    ) -> None:
        ev.append(event(kind, payload, when, actor=actor, role=role))

    add(
        "person.registered",
        {
            "person_id": pid,
            "given_name": "Siobhán",
            "family_name": "Wiśniewski",
            "date_of_birth": "2019-04-03",
            "sex": "b",
            "nhs_number": VALID_NHS,
            "address": "4 Łódź Row",
            "postcode": "LS1 4AB",
        },
        t,
        Role.CONTACT_OFFICER,
        "cc.officer",
    )
    add(
        "person.registered",
        {
            "person_id": sib,
            "given_name": "Zoë",
            "family_name": "Wiśniewski",
            "date_of_birth": "2021-06-10",
        },
        t,
        Role.CONTACT_OFFICER,
        "cc.officer",
    )
    add(
        "contact.received",
        contact_payload(
            contact_id=c1,
            received_at=t.isoformat(),
            office="Leeds North",
            team="MASH A",
            children=[
                {"person_id": pid, "given_name": "Siobhán", "family_name": "Wiśniewski"},
                {"person_id": sib, "given_name": "Zoë", "family_name": "Wiśniewski"},
            ],
            concern="CONCERN-A: Siobhán arrived with a bruise and said dad hit her.",
        ),
        t,
        Role.CONTACT_OFFICER,
        "cc.officer",
    )
    add(
        "contact.rated",
        {
            "contact_id": c1,
            "score": 85,
            "rating": "amber",
            "reasons": [
                {"text": "REASON-TEXT injury with disclosure", "points": 40},
                {"factor": "REASON-FACTOR-18C", "points": 25},
            ],
            "policy_version": "2026.1",
            "due_at": (t + timedelta(hours=24)).isoformat(),
        },
        t + timedelta(seconds=1),
        Role.CONTACT_OFFICER,
        "cc.officer",
    )
    add(
        "contact.rating_overridden",
        {
            "contact_id": c1,
            "from_rating": "amber",
            "to_rating": "red",
            "reason": "OVERRIDE-REASON disclosure of hitting",
            "approver": "Sam Senior",
        },
        t + timedelta(minutes=10),
    )
    add(
        "partner_check.requested",
        {
            "check_id": (chk := new_id()),
            "contact_id": c1,
            "agency": "Police",
            "question": "CHECK-Q any call-outs?",
        },
        t + timedelta(minutes=20),
        Role.PRACTITIONER,
        "sw.practitioner",
    )
    add(
        "partner_check.answered",
        {
            "check_id": chk,
            "contact_id": c1,
            "answer": "CHECK-A two call-outs this year",
            "answered_by": "PC Nowak",
        },
        t + timedelta(minutes=50),
        Role.PRACTITIONER,
        "sw.practitioner",
    )
    add(
        "consent.overridden",
        {"contact_id": c1, "basis": "CONSENT-BASIS risk of harm", "approver": "Dan Manager"},
        t + timedelta(minutes=55),
    )
    add(
        "decision.proposed",
        {
            "decision_id": d1,
            "contact_id": c1,
            "outcome": "strategy_s47",
            "threshold_level": 4,
            "rationale": FULL_RATIONALE,
            "primary_need": "N1",
        },
        t + timedelta(hours=1),
        Role.PRACTITIONER,
        "sw.practitioner",
    )
    add(
        "decision.signed_off",
        {"decision_id": d1, "contact_id": c1, "comment": "SIGNOFF-COMMENT agreed"},
        t + timedelta(hours=2),
    )
    amended = dict(FULL_RATIONALE, analysis="ANALYSIS-AMENDED police confirm history.")
    add(
        "decision.amended",
        {
            "decision_id": d1,
            "contact_id": c1,
            "rationale": amended,
            "threshold_level": 4,
            "outcome": "immediate_protection",
            "reason": "AMEND-REASON police information arrived",
        },
        t + timedelta(hours=3),
    )
    t2 = at - timedelta(days=2)
    add(
        "contact.received",
        contact_payload(
            contact_id=c2,
            received_at=t2.isoformat(),
            source_code="3B",
            office="Leeds North",
            team="MASH A",
            children=[{"person_id": pid, "given_name": "Siobhán", "family_name": "Wiśniewski"}],
            concern="CONCERN-B: health visitor worried about home conditions.",
            consent="given",
        ),
        t2,
        Role.CONTACT_OFFICER,
        "cc.officer",
    )
    add(
        "consent.recorded",
        {
            "contact_id": c2,
            "status": "given",
            "given_by": "Mother",
            "basis": "CONSENT-GIVEN verbal",
        },
        t2 + timedelta(minutes=5),
        Role.PRACTITIONER,
        "sw.practitioner",
    )
    add(
        "decision.recorded",
        {
            "decision_id": d2,
            "contact_id": c2,
            "outcome": "early_help",
            "threshold_level": 2,
            "rationale": {
                "concerns_and_risks": "CONCERNS-2 home conditions",
                "analysis": "ANALYSIS-2 needs met by early help",
            },
        },
        t2 + timedelta(hours=4),
        Role.SENIOR_PRACTITIONER,
        "sp.senior",
    )
    return Case(pid, sib, [c1, c2], [d1, d2], ev)


def stored_case(store: EventStore, at: datetime) -> Case:
    case = build_case(at)
    store.append(case.events)
    return case
