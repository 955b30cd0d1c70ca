"""Immutable views the services hand to the window: safe to keep on the GUI thread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.projection import decode_sequence


@dataclass(frozen=True, slots=True)
class ChildSummary:
    slot: int
    person_id: str | None
    name: str
    age: str
    date_of_birth: str | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the duty queue. Its categories and reasons stay the JSON text the store
    holds until asked for (``categories``, ``reasons``): the window shows the reasons of
    the rows on screen, not of every open contact (~50 ms of a start at 1M events)."""

    contact_id: str
    rating: str | None
    score: int | None
    due_at: str | None
    decision_due_at: str | None
    received_at: str
    status: str
    assignee: str | None
    source_code: str
    concern: str
    categories_json: str | None
    children: tuple[ChildSummary, ...]
    office: str | None
    team: str | None
    conflict: bool
    immediate_danger: bool | None  # None: not stated (imported history)
    reasons_json: str | None
    # (issue 17) in progress again because a manager returned the proposal, with a reason
    returned: bool = False
    # (issue 17) who has it, by name from the people directory ("Tom Practitioner")
    assignee_name: str | None = None

    @property
    def children_text(self) -> str:
        return ", ".join(f"{c.name} ({c.age})" for c in self.children)

    @property
    def categories(self) -> tuple[str, ...]:
        return decode_sequence(self.categories_json)

    @property
    def reasons(self) -> tuple[Mapping[str, Any], ...]:
        return decode_sequence(self.reasons_json)


@dataclass(frozen=True, slots=True)
class Changes:
    """What an operation changed, so each view refreshes only what it shows."""

    contacts: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    queue: bool = False


# ---- the contact detail pane ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reporter:
    name: str | None
    agency: str | None
    role: str | None
    relationship: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class PastContactView:
    """One earlier contact in a child's chronology."""

    contact_id: str
    received_at: str
    source_code: str
    concern: str
    rating: str | None
    outcome: str | None
    decided_at: str | None
    is_referral: bool
    status: str


@dataclass(frozen=True, slots=True)
class ChildHistory:
    """One child on the contact: who they are, open plans, and their chronology."""

    slot: int
    person_id: str | None
    name: str
    age: str
    date_of_birth: str | None
    nhs_number: str | None
    open_case: bool
    cp_plan: str | None
    looked_after: bool
    earlier: tuple[PastContactView, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PartnerCheckView:
    check_id: str
    agency: str
    question: str
    requested_by: str
    requested_at: str
    answer: str | None = None
    answered_by: str | None = None
    answered_at: str | None = None


@dataclass(frozen=True, slots=True)
class NoteView:
    author: str
    written_at: str
    text: str


@dataclass(frozen=True, slots=True)
class RatingChange:
    """A rating computed by triage or changed by a person, with why."""

    at: str
    by: str
    rating: str
    from_rating: str | None
    reason: str
    policy_version: str | None


@dataclass(frozen=True, slots=True)
class AmendmentView:
    at: str
    by: str
    reason: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ReturnView:
    """A proposal sent back to its author: by whom, when and why."""

    returned_by: str
    returned_at: str
    reason: str


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision as first recorded (``original``) and as it stands after amendments."""

    decision_id: str
    status: str
    outcome: str
    threshold_level: int
    rationale: Mapping[str, Any]
    decided_by: str
    decided_role: str
    decided_at: str
    signed_off_by: str | None
    signed_off_at: str | None
    superseded: bool
    original: Mapping[str, Any]
    amendments: tuple[AmendmentView, ...]
    returned: ReturnView | None = None  # a manager sent this proposal back, with a reason


@dataclass(frozen=True, slots=True)
class ContactDetail:
    contact_id: str
    received_at: str
    channel: str
    source_code: str
    concern: str
    categories: tuple[str, ...]
    consent: str
    consent_notes: str | None
    consent_overridden: bool
    immediate_danger: bool | None  # None: not stated (imported history)
    reporter: Reporter
    status: str
    assignee: str | None
    rating: str | None
    original_rating: str | None
    score: int | None
    reasons: tuple[Mapping[str, Any], ...]
    policy_version: str | None
    due_at: str | None
    office: str | None
    team: str | None
    conflict: bool
    children: tuple[ChildHistory, ...]
    ratings: tuple[RatingChange, ...]
    partner_checks: tuple[PartnerCheckView, ...]
    notes: tuple[NoteView, ...]
    decisions: tuple[DecisionView, ...]
    # issue 21: routes, strategy discussions, hand-offs and corrections, oldest first:
    # (when, who, what) in words (domain.route_text)
    followups: tuple[tuple[str, str, str], ...] = ()
    # Answers to the factor catalogue's questions, by fact name; not asked = absent.
    answers: Mapping[str, Any] = field(default_factory=dict)
    # Display names from the people directory, by login, for showing who did what.
    names: Mapping[str, str] = field(default_factory=dict)
    # Consent recorded after intake and sharing without consent, oldest first.
    consents: tuple[ConsentView, ...] = ()

    def who(self, login: str | None) -> str:
        """ "Tom Okafor (sw.tom)" for a login in the directory, else the login itself."""
        if not login:
            return ""
        name = self.names.get(login)
        return f"{name} ({login})" if name and name != login else login

    @property
    def open_proposal(self) -> DecisionView | None:
        """A practitioner's decision still waiting for a manager's sign-off."""
        return next(
            (d for d in self.decisions if d.status == "proposed" and not d.superseded), None
        )

    @property
    def current_decision(self) -> DecisionView | None:
        """The decision that stands (a returned proposal does not)."""
        live = [d for d in self.decisions if not d.superseded and d.returned is None]
        return live[-1] if live else None


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One consent entry after intake: consent recorded (``status``, who gave or refused
    it, the basis) or information shared without consent (``overridden``: the manager who
    authorised it and why)."""

    at: str
    by: str
    status: str | None
    given_by: str | None
    basis: str | None
    overridden: bool = False
    approver: str | None = None


@dataclass(frozen=True, slots=True)
class HandoverNote:
    handover_id: str
    shift: str
    text: str
    noted_by: str
    noted_at: str
    contact_ids: tuple[str, ...]
    acknowledged_by: tuple[str, ...]
    # Display names from the people directory, by login, for showing who wrote and read it.
    names: Mapping[str, str] = field(default_factory=dict)

    def who(self, login: str) -> str:
        """ "Tom Okafor (sw.tom)" for a login in the directory, else the login itself."""
        name = self.names.get(login)
        return f"{name} ({login})" if name and name != login else login


@dataclass(frozen=True, slots=True)
class MatchSuggestion:
    """A known person who may be the child being entered, and why."""

    person_id: str
    name: str
    date_of_birth: str | None
    nhs_number: str | None
    postcode: str | None
    evidence: tuple[str, ...]
    strength: int
