"""The desk service on a real SQLite store: actions write the right events, role rules
refuse what a role may not do, and the detail snapshot shows the record."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.services.intake_rating import POLICY_VERSION, REASON
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event

RATIONALE = {
    "concerns_and_risks": "Bruise to the cheek; child says dad hit her.",
    "analysis": "Reasonable cause to suspect significant harm to the child.",
}


def desk(store: EventStore, clock: FixedClock, role: Role, login: str = "") -> DeskService:
    return DeskService(store, Actor(login or role.value, role, "test-desk"), clock)


@pytest.fixture
def manager(store: EventStore, clock: FixedClock) -> DeskService:
    return desk(store, clock, Role.DUTY_MANAGER, "dm.one")


def rated(store: EventStore, now: datetime, rating: str = "red") -> str:
    body = contact_payload()
    store.append(
        [
            event("contact.received", body, now),
            event(
                "contact.rated",
                {
                    "contact_id": body["contact_id"],
                    "score": 80,
                    "rating": rating,
                    "reasons": [{"text": "Injury to a child under 8", "points": 40}],
                    "policy_version": "test-1",
                },
                now,
            ),
        ]
    )
    return body["contact_id"]


def types(store: EventStore, cid: str) -> list[str]:
    return [e.type for e in store.events_for_contact(cid)]


def test_immediate_danger_is_red_at_the_top_at_once(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    rated(store, clock.now(), "red")
    officer = desk(store, clock, Role.CONTACT_OFFICER)
    cid, changes = officer.record_contact(contact_payload(immediate_danger=True))
    assert changes.queue and cid in changes.contacts
    top = manager.queue()[0]
    assert top.contact_id == cid and top.rating == "red"
    rating = store.events_for_contact(cid)[1]
    assert rating.type == "contact.rated"
    assert rating.payload["policy_version"] == POLICY_VERSION
    assert rating.payload["reasons"][0]["text"] == REASON


def test_no_immediate_danger_no_intake_rating(store, clock) -> None:  # type: ignore[no-untyped-def]
    """No intake-rule Red without immediate danger; the policy rates it at once."""
    cid, _ = desk(store, clock, Role.CONTACT_OFFICER).record_contact(contact_payload())
    assert types(store, cid) == ["contact.received", "contact.rated"]
    rated = [e for e in store.events() if e.type == "contact.rated"]
    assert rated[0].payload["policy_version"] != "intake-rule"
    assert (rated[0].actor, rated[0].actor_role) == ("contact_officer", "contact_officer")


def test_a_replacement_rater_is_used(store, clock) -> None:  # type: ignore[no-untyped-def]
    service = desk(store, clock, Role.CONTACT_OFFICER)
    service.rater = lambda p, at: {
        "contact_id": p["contact_id"],
        "score": 5,
        "rating": "green",
        "reasons": [],
        "policy_version": "t",
    }
    cid, _ = service.record_contact(contact_payload())
    assert store.events_for_contact(cid)[1].payload["rating"] == "green"


def test_lowering_red_needs_a_manager(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now(), "red")
    practitioner = desk(store, clock, Role.PRACTITIONER)
    with pytest.raises(PermissionDenied):
        practitioner.override_rating(cid, "amber", "Police confirm father left the home")
    manager.override_rating(cid, "amber", "Police confirm father left the home")
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.rating == "amber" and detail.original_rating == "red"
    change = detail.ratings[-1]
    assert (change.from_rating, change.rating) == ("red", "amber")
    assert store.events_for_contact(cid)[-1].payload["approver"] == "dm.one"


def test_practitioner_may_raise_a_rating(store, clock) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now(), "green")
    desk(store, clock, Role.PRACTITIONER).override_rating(cid, "red", "New disclosure")
    assert types(store, cid)[-1] == "contact.rating_overridden"


def test_same_rating_is_refused_with_the_field_named(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now(), "amber")
    with pytest.raises(ValidationError, match="to_rating"):
        manager.override_rating(cid, "amber", "no change")


def test_practitioner_proposes_manager_signs_off(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    practitioner = desk(store, clock, Role.PRACTITIONER, "sw.one")
    did, _ = practitioner.decide(cid, "strategy_s47", 4, RATIONALE)
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.status == "awaiting_sign_off"
    assert detail.open_proposal is not None and detail.open_proposal.decision_id == did
    with pytest.raises(PermissionDenied):
        practitioner.sign_off(cid, did)
    manager.sign_off(cid, did, "Agreed")
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.status == "decided"
    assert detail.decisions[0].signed_off_by == "dm.one"
    with pytest.raises(ValidationError):
        manager.sign_off(cid, did)


def test_manager_records_and_amends_keeping_the_original(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    did, _ = manager.decide(cid, "cin_assessment", 3, RATIONALE)
    assert types(store, cid)[-1] == "decision.recorded"
    manager.amend_decision(
        cid,
        did,
        "Strategy discussion needed after police check",
        outcome="strategy_s47",
        threshold_level=4,
    )
    shown = manager.contact_detail(cid).decisions[0]  # type: ignore[union-attr]
    assert shown.outcome == "strategy_s47" and shown.original["outcome"] == "cin_assessment"
    assert shown.amendments[0].reason.startswith("Strategy discussion")
    with pytest.raises(PermissionDenied):
        desk(store, clock, Role.PRACTITIONER).amend_decision(cid, did, "x", outcome="nfa")


def test_contact_officer_cannot_decide(store, clock) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    with pytest.raises(PermissionDenied):
        desk(store, clock, Role.CONTACT_OFFICER).decide(cid, "nfa", 1, RATIONALE)


def test_partner_checks_notes_and_assignment_show_in_the_detail(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    manager.take(cid)
    manager.request_partner_check(cid, "Police", "Any DA call-outs to the address?")
    check = manager.contact_detail(cid).partner_checks[0]  # type: ignore[union-attr]
    assert check.answer is None and check.requested_by == "dm.one"
    clock.advance(hours=1)
    manager.answer_partner_check(cid, check.check_id, "Two call-outs in June.", "PC Jones")
    manager.add_note(cid, "Spoke to the school DSL.")
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.assignee == "dm.one"
    answered = detail.partner_checks[0]
    assert answered.answer == "Two call-outs in June." and answered.answered_by == "PC Jones"
    assert answered.answered_at > answered.requested_at
    assert [n.text for n in detail.notes] == ["Spoke to the school DSL."]
    assert detail.reporter.agency == "St Mary's Primary"
    assert detail.reasons[0]["points"] == 40


def test_assigning_to_someone_else_needs_a_manager(store, clock) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    with pytest.raises(PermissionDenied):
        desk(store, clock, Role.PRACTITIONER).assign(cid, "someone.else")


def test_child_chronology_flags_re_referral(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    pid = "0193a000-0000-7000-8000-000000000001"
    at = clock.now()
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": pid,
                    "given_name": "Amy",
                    "family_name": "Smith",
                    "cp_plan": "past",
                    "date_of_birth": "2019-01-01",
                },
                at,
            )
        ]
    )
    earlier = contact_payload(
        received_at="2026-05-01T09:00:00+00:00", children=[{"person_id": pid, "given_name": "Amy"}]
    )
    store.append(
        [
            event("contact.received", earlier, at),
            event(
                "decision.recorded",
                {
                    "decision_id": "0193a000-0000-7000-8000-0000000000d1",
                    "contact_id": earlier["contact_id"],
                    "outcome": "cin_assessment",
                    "threshold_level": 3,
                    "rationale": RATIONALE,
                },
                at,
            ),
        ]
    )
    now_body = contact_payload(children=[{"person_id": pid, "given_name": "Amy"}])
    store.append([event("contact.received", now_body, at)])
    child = manager.contact_detail(now_body["contact_id"]).children[0]  # type: ignore[union-attr]
    assert child.earlier[0].contact_id == earlier["contact_id"]
    assert child.earlier[0].outcome == "cin_assessment" and child.earlier[0].is_referral
    assert any("re-referral" in f for f in child.flags)
    assert "Previously subject of a child protection plan" in child.flags


def test_changes_since_reports_new_and_closed_contacts(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    cid = rated(store, clock.now())
    manager.keep_ratings_current()  # the test's rating is not the policy's: rated again
    seq = manager.last_seq()
    assert manager.changes_since(seq).empty
    new_cid, _ = manager.record_contact(contact_payload())
    manager.decide(cid, "nfa", 1, RATIONALE)
    delta = manager.changes_since(seq)
    assert {i.contact_id for i in delta.changed} == {new_cid}
    assert delta.removed == {cid} and delta.seq > seq


def test_handover_noted_and_acknowledged(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    edt = desk(store, clock, Role.PRACTITIONER, "edt.worker")
    edt.note_handover("Night 26 Nov", "Police protection used for one child overnight.")
    seq = manager.last_seq()
    note = manager.handovers()[0]
    assert note.acknowledged_by == () and note.noted_by == "edt.worker"
    manager.acknowledge_handover(note.handover_id)
    assert manager.handovers()[0].acknowledged_by == ("dm.one",)
    assert manager.changes_since(seq - 1).handovers


def test_match_suggestions_by_nhs_number_and_name_with_dob(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    pid = "0193a000-0000-7000-8000-000000000002"
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": pid,
                    "given_name": "Zoë",
                    "family_name": "O'Brien",
                    "date_of_birth": "2018-02-03",
                    "nhs_number": "9434765919",
                },
                clock.now(),
            )
        ]
    )
    by_nhs = manager.suggest_matches(nhs_number="943 476 5919")
    assert by_nhs[0].person_id == pid and "same NHS number" in by_nhs[0].evidence
    by_name = manager.suggest_matches(family_name="o'brien", date_of_birth="2018-02-03")
    assert by_name[0].person_id == pid
    assert manager.suggest_matches(family_name="Nobody", date_of_birth="2018-02-03") == []


def test_snapshots_are_immutable(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    detail = manager.contact_detail(rated(store, clock.now()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.rating = "blue"  # type: ignore[misc,union-attr]


class _Stop:
    def __init__(self) -> None:
        self.reports: list[tuple[int, int]] = []

    def report(self, done: int, total: int) -> None:
        self.reports.append((done, total))

    def cancelled(self) -> bool:
        return len(self.reports) >= 1


def test_a_long_queue_load_reports_progress_and_can_be_cancelled(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.services.progress import Cancelled

    for _ in range(3):
        rated(store, clock.now())
    progress = _Stop()
    with pytest.raises(Cancelled):
        manager.queue(progress)
    assert progress.reports == [(0, 3)]


def test_immediate_danger_goes_above_overdue_reds(store, clock, manager) -> None:  # type: ignore[no-untyped-def]
    overdue = rated(store, clock.now(), "red")
    clock.advance(hours=30)  # the earlier Red is now long overdue
    officer = desk(store, clock, Role.CONTACT_OFFICER)
    cid, _ = officer.record_contact(contact_payload(immediate_danger=True))
    order = [i.contact_id for i in manager.queue()]
    assert order.index(cid) == 0 and order.index(overdue) == 1
