"""What MI reads: the few fields of each projection row it needs, and what it returns.

Figures take either the projection rows (``ContactRow``, ``ContactChildRow``,
``DecisionRow``, ``PersonRow``), as tests do, or the slimmer records below, which the
store's MI loader builds (the same field names, fewer columns, no rationale or concern
text) for speed on large stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ..domain.projection import ContactChildRow, ContactRow, DecisionRow, PersonRow
from ..domain.routes import RouteRecord, S47Record


@dataclass(frozen=True, slots=True)
class MiContact:
    contact_id: str
    received_at: str
    source_code: str
    office: str | None
    team: str | None
    status: str
    assignee: str | None
    rating: str | None
    due_at: str | None
    outcome: str | None
    is_referral: bool


@dataclass(frozen=True, slots=True)
class MiChild:
    contact_id: str
    slot: int
    person_id: str | None
    date_of_birth: str | None
    expected_date_of_birth: str | None
    sex: str | None
    ethnicity: str | None


@dataclass(frozen=True, slots=True)
class MiDecision:
    contact_id: str
    status: str
    decided_role: str
    decided_at: str
    signed_off_at: str | None
    superseded: bool


@dataclass(frozen=True, slots=True)
class MiPerson:
    person_id: str
    date_of_birth: str | None
    expected_date_of_birth: str | None
    sex: str | None
    ethnicity: str | None
    la_child_id: str | None = None
    date_of_death: str | None = None
    disabilities: tuple[str, ...] = ()


# Figures accept the projection rows (tests) or the slim records (the store's MI loader).
ContactLike = MiContact | ContactRow
ChildLike = MiChild | ContactChildRow
DecisionLike = MiDecision | DecisionRow
PersonLike = MiPerson | PersonRow


@dataclass(frozen=True, slots=True)
class ContactChild:
    """One child of one contact with the contact's receipt and filter fields, and the
    linked person's demographics when the person record exists: what an Annex A List 1
    row reads (``MiQueries.contact_children``), without loading the whole MI dataset."""

    contact_id: str
    received_at: str
    source_code: str
    office: str | None
    team: str | None
    child: MiChild
    person: MiPerson | None


@dataclass(frozen=True, slots=True)
class Supervision:
    """One ``supervision.recorded`` event."""

    worker: str
    supervisor: str
    held_on: date
    next_due: date


@dataclass(frozen=True, slots=True)
class AssessmentCompleted:
    """One ``assessment.completed`` event."""

    contact_id: str
    person_id: str
    completed_on: date


@dataclass(frozen=True, slots=True)
class RouteContact:
    """What the route figures need of a route's contact, whenever it was received: the
    MI load's period window does not limit them (a hand-off may wait on an old contact)."""

    received_at: str
    office: str | None
    team: str | None
    source_code: str


@dataclass(frozen=True, slots=True)
class ReferrerTold:
    """``referrer.acknowledged``: receipt acknowledged, or the decision fed back."""

    contact_id: str
    kind: str  # acknowledgement | feedback
    sent_at: str


@dataclass(frozen=True, slots=True)
class PartnerCheckRecord:
    """One partner check as MI counts it (requested, chased, answered, "no trace")."""

    check_id: str
    contact_id: str
    requested_at: str
    due_at: str | None  # the last one given (asked, or chased)
    answered_at: str | None = None
    no_trace: bool = False


@dataclass(frozen=True, slots=True)
class NextStepRecord:
    """One next step of a standing decision, with its due day and when it was ticked off."""

    contact_id: str
    decision_id: str
    index: int
    due: str | None  # ISO date
    done_at: str | None = None


@dataclass(frozen=True, slots=True)
class ProtectionRecord:
    """Police protection (Children Act 1989 s46) or an emergency protection order (s44)
    recorded at a strategy discussion, for one child."""

    contact_id: str
    slot: int
    person_id: str | None
    kind: str  # police_protection | epo
    started_at: str  # taken into police protection; the EPO granted (or applied for)
    discussion_held_at: str


@dataclass(frozen=True, slots=True)
class MiInput:
    """Everything the figures read, as loaded from the store (or built by a test)."""

    contacts: Sequence[ContactLike]
    children: Sequence[ChildLike]
    decisions: Sequence[DecisionLike]
    people: Mapping[str, PersonLike] = field(default_factory=dict)
    supervisions: Sequence[Supervision] = ()
    assessments: Sequence[AssessmentCompleted] = ()
    # contact id -> earliest time anyone acted on it (assigned, partner check, note,
    # decision): the "response" for rating timescales.
    first_actions: Mapping[str, str] = field(default_factory=dict)
    # The route parts below hold what docs/mi.md ("What a load holds of routes") states:
    # each route as it stands now, and records of the loaded contacts only.
    # The s47 record (issue 21): one row per child per strategy discussion that started a
    # section 47 enquiry (``domain.routes.s47_records``), and the contacts with any
    # strategy discussion recorded, whose s47 enquiries come from that record alone.
    s47_records: Sequence[S47Record] = ()
    s47_discussed: frozenset[str] = frozenset()
    # (contact id, slot) -> (team, worker) that accepted the child's hand-off
    # (``domain.routes.allocations``): Annex A's allocated team and worker in Lists 3-4.
    allocations: Mapping[tuple[str, int], tuple[str, str | None]] = field(default_factory=dict)
    # The routes MI counts (``domain.routes.route_records``): LADO, MARAC and private
    # fostering routes and every handed-off route, of contacts that are not void, with
    # the clock the follow-through view shows; and the children (person ids, linked now)
    # of the contacts with a MARAC route, for the repeat criterion.
    routes: Sequence[RouteRecord] = ()
    route_children: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Their contacts (not void), read without the period window; a test may leave this
    # out, and the contacts above are used.
    route_contacts: Mapping[str, RouteContact] = field(default_factory=dict)
    # The front door's follow-through on the loaded contacts (issue 21): referrers told,
    # partner checks, next steps of standing decisions, police protection and EPOs.
    told: Sequence[ReferrerTold] = ()
    partner_checks: Sequence[PartnerCheckRecord] = ()
    next_steps: Sequence[NextStepRecord] = ()
    protections: Sequence[ProtectionRecord] = ()


# The parts of ``MiInput`` beyond the contacts, children, decisions and people, by field
# name: a load may read only some of them (``MiQueries.load(reads=...)``); the fields it
# leaves out stay empty. The figures read them all; an Annex A list only a few
# (``annex_a.LIST_READS``).
OPTIONAL_READS: frozenset[str] = frozenset(
    {
        "supervisions",
        "assessments",
        "first_actions",
        "s47_records",
        "s47_discussed",
        "allocations",
        "routes",
        "route_children",
        "route_contacts",
        "told",
        "partner_checks",
        "next_steps",
        "protections",
    }
)


class Ref(NamedTuple):
    """One thing behind a figure: a child on a contact, a contact, or a worker."""

    contact_id: str | None
    person_id: str | None = None
    worker: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One bar, row or slice of a figure's breakdown, with what lies behind it."""

    label: str
    value: float
    refs: tuple[Ref, ...] = ()
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    title: str
    value: float | None
    unit: str  # "count", "percent", "working days"
    refs: tuple[Ref, ...] = ()
    parts: tuple[Part, ...] = ()
    numerator: int | None = None
    denominator: int | None = None
    chart: str = "bar"  # "bar", "line" or "none"
    note: str = ""
    part_unit: str = ""  # what a part's value is, when not the headline's unit
    # Shown beside a completion rate: how many are still open past their deadline (a rate
    # of completed work alone hides them).
    overdue: int | None = None
    overdue_label: str = ""
    aside: str = ""  # any other few words shown beside the headline ("oldest 4 WD")

    @property
    def parts_unit(self) -> str:
        return self.part_unit or self.unit

    def display(self) -> str:
        """The headline as text: ``83.3% (10/12)``, ``42``, ``n/a``."""
        return (
            self._headline()
            + (f" · {self.overdue} {self.overdue_label}" if self.overdue is not None else "")
            + (f" · {self.aside}" if self.aside else "")
        )

    def _headline(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "percent":
            text = f"{self.value:.1f}%"
            if self.denominator is not None:
                text += f" ({self.numerator}/{self.denominator})"
            return text
        if self.unit == "working days":
            return f"{self.value:g} WD"
        if self.unit in ("per day", "per week"):
            return f"{self.value:.1f} {self.unit}"
        return f"{self.value:g}"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which records a figure counts. Dates are inclusive London dates."""

    date_from: date
    date_to: date
    office: str | None = None
    team: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Configurable standards (the statutory values are the defaults)."""

    decision_working_days: int = 1
    assessment_working_days: int = 45
    rereferral_months: int = 12
    caseload_cap: int = 20
