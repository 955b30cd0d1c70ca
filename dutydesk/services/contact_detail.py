"""Assembling the contact detail pane: the contact, each child's chronology, partner
checks, notes, ratings and decisions (originals kept beside amendments).

Reads only; the window calls it on the writer thread and gets one immutable snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.events import Event
from ..domain.history import PastContact, build_history, history_messages
from ..domain.people import reported_age_text
from ..domain.projection import (
    RECORDING_TYPES,
    ContactChildRow,
    ContactRow,
    DecisionRow,
    PersonRow,
)
from ..domain.route_text import describe
from ..domain.triage.explain import reason_text
from ..domain.triage.factors import answers
from ..store.eventstore import EventStore
from ..store.queries import Queries
from .snapshots import (
    AmendmentView,
    ChildHistory,
    ConsentView,
    ContactDetail,
    DecisionView,
    NoteView,
    PartnerCheckView,
    PastContactView,
    RatingChange,
    Reporter,
    ReturnView,
)


def build_detail(
    store: EventStore, queries: Queries, contact_id: str, now: datetime
) -> ContactDetail | None:
    contact = queries.contact(contact_id)
    if contact is None or not contact.received_at:
        return None
    events = store.events_for_contact(contact_id)
    received = next((e for e in events if e.type == "contact.received"), None)
    body: Mapping[str, Any] = received.payload if received else {}
    kids = queries.children_of(contact_id)
    people = queries.people([k.person_id for k in kids if k.person_id])
    return ContactDetail(
        contact_id=contact.contact_id,
        received_at=contact.received_at,
        channel=contact.channel,
        source_code=contact.source_code,
        concern=contact.concern,
        categories=contact.categories,
        consent=contact.consent,
        consent_notes=body.get("consent_notes"),
        consent_overridden=contact.consent_overridden,
        immediate_danger=contact.immediate_danger,
        reporter=_reporter(body),
        status=contact.status,
        assignee=contact.assignee,
        rating=contact.rating,
        original_rating=contact.original_rating,
        score=contact.score,
        reasons=contact.reasons,
        policy_version=contact.policy_version,
        due_at=contact.due_at or contact.decision_due_at,
        office=contact.office,
        team=contact.team,
        conflict=contact.conflict,
        children=tuple(
            _child(queries, contact, k, people.get(k.person_id or ""), now) for k in kids
        ),
        ratings=_ratings(events),
        partner_checks=_checks(events),
        notes=_notes(events),
        consents=_consents(events),
        decisions=_decisions(queries.decisions_for(contact_id), events),
        followups=tuple(
            (e.client_time, e.actor, text) for e in events if (text := describe(e)) is not None
        ),
        answers=answers(body),
    )


def _reporter(body: Mapping[str, Any]) -> Reporter:
    r = body.get("reporter") or {}
    return Reporter(
        r.get("name"),
        r.get("agency"),
        r.get("role"),
        r.get("relationship"),
        r.get("phone"),
        r.get("email"),
    )


def _child(
    queries: Queries,
    contact: ContactRow,
    kid: ContactChildRow,
    person: PersonRow | None,
    now: datetime,
) -> ChildHistory:
    earlier: list[ContactRow] = []
    if kid.person_id:
        earlier = [
            c
            for c in queries.contacts_of_person(kid.person_id)
            if c.contact_id != contact.contact_id
            and c.received_at
            and c.received_at < contact.received_at
        ]
    messages: list[str] = []
    if kid.person_id:
        # As the duty manager reads it now: a referral decided since this contact arrived
        # still makes a new referral a re-referral (scoring uses the arrival time instead).
        as_at = max(datetime.fromisoformat(contact.received_at), now)
        history = build_history(
            kid.person_id,
            person,
            map(PastContact.from_row, earlier),
            as_at,
            exclude_contact_id=contact.contact_id,
        )
        messages = history_messages(history)
    dob = (person.date_of_birth if person else None) or kid.date_of_birth
    expected = (person.expected_date_of_birth if person else None) or kid.expected_date_of_birth
    return ChildHistory(
        slot=kid.slot,
        person_id=kid.person_id,
        # The person's record names the child, unless it was made before the child had a
        # given name (an unborn baby) and this contact gives one.
        name=person.display_name
        if person and (person.given_name or not kid.given_name)
        else kid.display_name,
        age=reported_age_text(
            dob,
            expected,
            now.date(),
            kid.age_years,
            kid.date_of_birth_estimated and dob == kid.date_of_birth,
        ),
        date_of_birth=dob,
        nhs_number=(person.nhs_number if person else None) or kid.nhs_number,
        open_case=bool(person and person.open_case),
        cp_plan=person.cp_plan if person else None,
        looked_after=bool(person and person.looked_after),
        earlier=tuple(
            PastContactView(
                c.contact_id,
                c.received_at,
                c.source_code,
                c.concern,
                c.rating,
                c.outcome,
                c.decided_at,
                c.is_referral,
                c.status,
            )
            for c in reversed(earlier)
        ),
        flags=tuple(messages),
    )


def _ratings(events: list[Event]) -> tuple[RatingChange, ...]:
    out = []
    for e in events:
        p = e.payload
        if e.type == "contact.rated":
            reasons = "; ".join(reason_text(r) for r in p.get("reasons", ()))
            out.append(
                RatingChange(
                    e.client_time, e.actor, p["rating"], None, reasons, p.get("policy_version")
                )
            )
        elif e.type == "contact.rating_overridden":
            out.append(
                RatingChange(
                    e.client_time, e.actor, p["to_rating"], p["from_rating"], p["reason"], None
                )
            )
    return tuple(out)


def _checks(events: list[Event]) -> tuple[PartnerCheckView, ...]:
    checks: dict[str, PartnerCheckView] = {}
    answers: dict[str, Event] = {}
    for e in events:
        p = e.payload
        if e.type == "partner_check.requested":
            checks[p["check_id"]] = PartnerCheckView(
                p["check_id"],
                p["agency"],
                p["question"],
                e.actor,
                p.get("requested_at") or e.client_time,
            )
        elif e.type == "partner_check.answered":
            answers[p["check_id"]] = e
    out = []
    for cid, check in checks.items():
        ans = answers.get(cid)
        if ans is not None:
            check = PartnerCheckView(
                check.check_id,
                check.agency,
                check.question,
                check.requested_by,
                check.requested_at,
                ans.payload["answer"],
                ans.payload.get("answered_by") or ans.actor,
                ans.payload.get("answered_at") or ans.client_time,
            )
        out.append(check)
    return tuple(out)


def _consents(events: list[Event]) -> tuple[ConsentView, ...]:
    out = []
    for e in events:
        p = e.payload
        if e.type == "consent.recorded":
            out.append(
                ConsentView(e.client_time, e.actor, p["status"], p.get("given_by"), p.get("basis"))
            )
        elif e.type == "consent.overridden":
            out.append(
                ConsentView(
                    e.client_time,
                    e.actor,
                    None,
                    None,
                    p["basis"],
                    overridden=True,
                    approver=p["approver"],
                )
            )
    return tuple(out)


def _notes(events: list[Event]) -> tuple[NoteView, ...]:
    return tuple(
        NoteView(e.actor, e.client_time, e.payload["text"])
        for e in events
        if e.type == "note.added"
    )


def _decisions(rows: list[DecisionRow], events: list[Event]) -> tuple[DecisionView, ...]:
    # a decision is its id's first recording in the log's order (``projection._decision``):
    # the server's sequence, then this desk's unsent events (``events`` is in local order)
    recordings = sorted(
        (e for e in events if e.type in RECORDING_TYPES),
        key=lambda e: (e.server_seq is None, e.server_seq or 0),
    )
    originals: dict[str, Mapping[str, Any]] = {}
    for e in recordings:
        originals.setdefault(e.payload["decision_id"], e.payload)
    amendments: dict[str, list[AmendmentView]] = {}
    returns = {
        e.payload["decision_id"]: ReturnView(e.actor, e.client_time, e.payload["reason"])
        for e in events
        if e.type == "decision.returned"
    }
    for e in events:
        if e.type == "decision.amended":
            p = e.payload
            changes = {k: p[k] for k in ("outcome", "threshold_level", "rationale") if k in p}
            amendments.setdefault(p["decision_id"], []).append(
                AmendmentView(e.client_time, e.actor, p["reason"], changes)
            )
    return tuple(
        DecisionView(
            decision_id=d.decision_id,
            status=d.status,
            outcome=d.outcome,
            threshold_level=d.threshold_level,
            rationale=d.rationale,
            decided_by=d.decided_by,
            decided_role=d.decided_role,
            decided_at=d.decided_at,
            signed_off_by=d.signed_off_by,
            signed_off_at=d.signed_off_at,
            superseded=d.superseded,
            original=originals.get(d.decision_id, {}),
            amendments=tuple(amendments.get(d.decision_id, ())),
            returned=returns.get(d.decision_id) if d.status == "returned" else None,
        )
        for d in rows
    )
