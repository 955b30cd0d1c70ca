"""The routes a front-door decision can take for each child, and the words for them.

A contact has one main outcome (``codes.Outcome``); each child on it may also take one or
more *routes* beside it: a signpost, early help, an s17 assessment, a strategy discussion
and s47 enquiry, emergency protection, a LADO referral, a MARAC referral, a private
fostering visit or a transfer to another authority. Sources are in docs/workflow.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class RouteKind(StrEnum):
    SIGNPOST = "signpost"
    EARLY_HELP = "early_help"
    S17_ASSESSMENT = "s17_assessment"
    STRATEGY_S47 = "strategy_s47"
    EMERGENCY_PROTECTION = "emergency_protection"
    LADO = "lado"
    MARAC = "marac"
    PRIVATE_FOSTERING = "private_fostering"
    TRANSFER_OUT = "transfer_out"


ROUTE_LABELS: Mapping[RouteKind, str] = MappingProxyType(
    {
        RouteKind.SIGNPOST: "Signpost",
        RouteKind.EARLY_HELP: "Early help",
        RouteKind.S17_ASSESSMENT: "Child-in-need assessment (s17)",
        RouteKind.STRATEGY_S47: "Strategy discussion / section 47 enquiry",
        RouteKind.EMERGENCY_PROTECTION: "Emergency protection (police protection / EPO)",
        RouteKind.LADO: "LADO (allegation against a person working with children)",
        RouteKind.MARAC: "MARAC (high-risk domestic abuse)",
        RouteKind.PRIVATE_FOSTERING: "Private fostering notification",
        RouteKind.TRANSFER_OUT: "Transfer to another local authority",
    }
)


class RouteStep(StrEnum):
    """Things that happen on a route after it is opened (``route.progressed``)."""

    ACCEPTED = "accepted"  # early help team accepted the request
    RETURNED = "returned"  # early help team returned it (reason required)
    REFERRED = "referred"  # LADO / MARAC referral sent
    VISITED = "visited"  # private fostering visit made
    CHILD_SEEN = "child_seen"  # s47 / s17: the child seen
    ICPC_HELD = "icpc_held"  # initial child protection conference held
    ICPC_NOT_REQUIRED = "icpc_not_required"
    CPP_STARTED = "cpp_started"  # the ICPC made a child protection plan
    PROTECTION_ENDED = "protection_ended"  # police protection / EPO ended
    EPO_GRANTED = "epo_granted"  # the court granted the emergency protection order


STEP_LABELS: Mapping[RouteStep, str] = MappingProxyType(
    {
        RouteStep.ACCEPTED: "Accepted",
        RouteStep.RETURNED: "Returned",
        RouteStep.REFERRED: "Referral sent",
        RouteStep.VISITED: "Visit made",
        RouteStep.CHILD_SEEN: "Child seen",
        RouteStep.ICPC_HELD: "ICPC held",
        RouteStep.ICPC_NOT_REQUIRED: "ICPC not required",
        RouteStep.CPP_STARTED: "Child protection plan started",
        RouteStep.PROTECTION_ENDED: "Protection ended",
        RouteStep.EPO_GRANTED: "Emergency protection order granted",
    }
)

# Which steps make sense on which route (a step on another route is refused).
ROUTE_STEPS: Mapping[RouteKind, frozenset[RouteStep]] = MappingProxyType(
    {
        RouteKind.SIGNPOST: frozenset(),
        RouteKind.EARLY_HELP: frozenset({RouteStep.ACCEPTED, RouteStep.RETURNED}),
        RouteKind.S17_ASSESSMENT: frozenset({RouteStep.CHILD_SEEN}),
        RouteKind.STRATEGY_S47: frozenset(
            {
                RouteStep.CHILD_SEEN,
                RouteStep.ICPC_HELD,
                RouteStep.ICPC_NOT_REQUIRED,
                RouteStep.CPP_STARTED,
            }
        ),
        RouteKind.EMERGENCY_PROTECTION: frozenset(
            {RouteStep.PROTECTION_ENDED, RouteStep.EPO_GRANTED}
        ),
        RouteKind.LADO: frozenset({RouteStep.REFERRED}),
        RouteKind.MARAC: frozenset({RouteStep.REFERRED}),
        RouteKind.PRIVATE_FOSTERING: frozenset({RouteStep.VISITED}),
        RouteKind.TRANSFER_OUT: frozenset({RouteStep.ACCEPTED, RouteStep.RETURNED}),
    }
)


class AdultRole(StrEnum):
    """An adult named on a contact (domestic abuse, LADO)."""

    VICTIM = "victim"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    PARENT_CARER = "parent_carer"
    WORKS_WITH_CHILDREN = "works_with_children"  # the subject of a LADO allegation
    OTHER = "other"


ADULT_ROLE_LABELS: Mapping[AdultRole, str] = MappingProxyType(
    {
        AdultRole.VICTIM: "Victim",
        AdultRole.ALLEGED_PERPETRATOR: "Alleged perpetrator",
        AdultRole.PARENT_CARER: "Parent or carer",
        AdultRole.WORKS_WITH_CHILDREN: "Works with children (subject of an allegation)",
        AdultRole.OTHER: "Other adult",
    }
)


class StrategyDecision(StrEnum):
    """What a strategy discussion decided (WT 2023 chapter 3, flowchart 3)."""

    S47_SINGLE = "s47_single"  # section 47 enquiry led by children's social care
    S47_JOINT = "s47_joint"  # joint enquiry with the police
    NO_S47_S17 = "no_s47_s17"  # no s47: continue the s17 assessment
    NO_S47_NFA = "no_s47_nfa"  # no s47: no further action
    RECONVENE = "reconvene"  # another strategy discussion needed


STRATEGY_DECISION_LABELS: Mapping[StrategyDecision, str] = MappingProxyType(
    {
        StrategyDecision.S47_SINGLE: "Section 47 enquiry (single agency)",
        StrategyDecision.S47_JOINT: "Section 47 enquiry (joint with police)",
        StrategyDecision.NO_S47_S17: "No s47: continue child-in-need assessment (s17)",
        StrategyDecision.NO_S47_NFA: "No s47: no further action",
        StrategyDecision.RECONVENE: "Reconvene: a further strategy discussion",
    }
)

S47_DECISIONS = frozenset({StrategyDecision.S47_SINGLE, StrategyDecision.S47_JOINT})

# Agencies WT 2023 expects at a strategy discussion (chapter 3, para 143 onwards):
# children's social care, the police, health, and the referring agency where it can.
AGENCIES = ("Children's social care", "Police", "Health", "Education", "Referrer", "Other")
STRATEGY_REQUIRED_AGENCIES = ("Children's social care", "Police", "Health")


class AckKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # receipt acknowledged to the referrer
    FEEDBACK = "feedback"  # the decision fed back to the referrer


class AckMethod(StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    PHONE = "phone"
