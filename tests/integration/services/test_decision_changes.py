"""Issue 13, item 6: once a decision stands, changing it is an amendment with a reason,
never a silent second decision; a manager can return a proposal to its author with a
reason (``decision.returned``), and the practitioner sees it.

Before: deciding again on a signed-off section 47 decision recorded an NFA over it with
no reason, and there was no way to send a proposal back.
"""

from __future__ import annotations

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import ContactStatus, Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.event_permissions import ALLOWED
from dutydesk.domain.events import CATALOGUE
from dutydesk.services.desk import DeskService
from dutydesk.store.eventstore import EventStore
from tests.integration.services.test_desk import RATIONALE, desk, manager, rated

__all__ = ["manager"]  # the fixture

RETURN_REASON = "The analysis does not weigh the three earlier police notifications."


def test_a_signed_off_decision_is_not_overwritten_by_deciding_again(
    store: EventStore, clock: FixedClock
) -> None:
    cid = rated(store, clock.now())
    worker = desk(store, clock, Role.PRACTITIONER, "sw.one")
    manager = desk(store, clock, Role.DUTY_MANAGER, "dm.one")
    did, _ = worker.decide(cid, "strategy_s47", 4, RATIONALE)
    manager.sign_off(cid, did)
    with pytest.raises(ValidationError, match="amending it with a reason"):
        manager.decide(cid, "nfa", 1, RATIONALE)
    with pytest.raises(ValidationError, match="amending"):
        worker.decide(cid, "nfa", 1, RATIONALE)
    [decision] = manager.queries.decisions_for(cid)
    assert decision.outcome == "strategy_s47" and decision.status == "signed_off"
    manager.amend_decision(
        cid,
        did,
        "Police now say the father was not at home.",
        outcome="cin_assessment",
        threshold_level=3,
    )
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.current_decision is not None
    assert detail.current_decision.outcome == "cin_assessment"
    assert detail.current_decision.original["outcome"] == "strategy_s47"


def test_a_recorded_decision_or_a_waiting_proposal_is_not_decided_again(
    store: EventStore, clock: FixedClock, manager: DeskService
) -> None:
    cid = rated(store, clock.now())
    manager.decide(cid, "early_help", 2, RATIONALE)
    with pytest.raises(ValidationError, match="recorded by dm.one"):
        manager.decide(cid, "nfa", 1, RATIONALE)
    other = rated(store, clock.now())
    worker = desk(store, clock, Role.PRACTITIONER, "sw.one")
    worker.decide(other, "early_help", 2, RATIONALE)
    with pytest.raises(ValidationError, match="waits for sign-off"):
        worker.decide(other, "nfa", 1, RATIONALE)


def test_a_manager_returns_a_proposal_and_the_practitioner_proposes_again(
    store: EventStore, clock: FixedClock
) -> None:
    cid = rated(store, clock.now())
    worker = desk(store, clock, Role.PRACTITIONER, "sw.one")
    manager = desk(store, clock, Role.DUTY_MANAGER, "dm.one")
    first, _ = worker.decide(cid, "nfa", 1, RATIONALE)
    with pytest.raises(PermissionDenied):
        worker.return_proposal(cid, first, RETURN_REASON)
    manager.return_proposal(cid, first, RETURN_REASON)
    with pytest.raises(ValidationError, match="only a proposed decision"):
        manager.sign_off(cid, first)

    seen = worker.contact_detail(cid)
    assert seen is not None and seen.status == ContactStatus.IN_PROGRESS.value
    [returned] = seen.decisions
    assert returned.status == "returned" and returned.returned is not None
    assert (returned.returned.returned_by, returned.returned.reason) == ("dm.one", RETURN_REASON)
    assert seen.current_decision is None and seen.open_proposal is None

    second, _ = worker.decide(cid, "cin_assessment", 3, RATIONALE)
    manager.sign_off(cid, second)
    after = manager.contact_detail(cid)
    assert after is not None and after.status == ContactStatus.DECIDED.value
    assert after.current_decision is not None and after.current_decision.outcome == (
        "cin_assessment"
    )
    assert not after.conflict
    rebuilt = store.read_model()
    store.rebuild()
    assert store.read_model() == rebuilt


def test_decision_returned_is_in_the_catalogue_and_the_permission_table() -> None:
    assert "decision.returned" in CATALOGUE
    assert ALLOWED["decision.returned"] == frozenset({Role.DUTY_MANAGER, Role.SENIOR_PRACTITIONER})


def test_the_queue_marks_returned_proposals_as_a_scan_of_every_decision_does(
    store: EventStore, clock: FixedClock
) -> None:
    """``with_returned_proposal`` reads only in-progress contacts' decisions (start-up at
    1M events). Oracle: the old whole-table scan, kept to in-progress contacts, which is
    all the queue marks; a returned proposal later decided (no longer in progress) and one
    still waiting are both present."""
    from sqlalchemy import select

    from dutydesk.store.readmodel import DECISIONS

    worker = desk(store, clock, Role.PRACTITIONER, "sw.one")
    manager = desk(store, clock, Role.DUTY_MANAGER, "dm.one")
    waiting, decided, plain = (rated(store, clock.now()) for _ in range(3))
    for cid in (waiting, decided):
        first, _ = worker.decide(cid, "nfa", 1, RATIONALE)
        manager.return_proposal(cid, first, RETURN_REASON)
    again, _ = worker.decide(decided, "cin_assessment", 3, RATIONALE)
    manager.sign_off(decided, again)
    worker.decide(plain, "nfa", 1, RATIONALE)

    with store.engine.connect() as conn:
        scanned = set(
            conn.execute(
                select(DECISIONS.c.contact_id).where(DECISIONS.c.status == "returned")
            ).scalars()
        )
    assert scanned == {waiting, decided}
    contacts = store.read_model().contacts
    in_progress = {c for c, row in contacts.items() if row.status == ContactStatus.IN_PROGRESS}
    assert manager.desk_queries.with_returned_proposal() == scanned & in_progress == {waiting}
    marked = {i.contact_id for i in manager.queue() if i.returned}
    assert marked == {waiting}
