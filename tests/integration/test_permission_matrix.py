"""Every role x every action, through the services (DeskService on a GuardedStore, the
audit and account services), allowed or refused exactly as the permission table says.
A refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.domain.permissions import Action, allows
from dutydesk.services.accounts import AccountService
from dutydesk.services.audit import AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload, decision_payload, event

AT = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
LOGINS = {r: f"user.{r.value}" for r in Role}


@dataclass
class World:
    store: ChainedEventStore
    contact_id: str
    person_id: str
    named_person: str  # restricted, every test login named
    closed_person: str  # restricted, nobody named


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    store = ChainedEventStore.open(Path(tmp_path_factory.mktemp("matrix")) / "s.sqlite3")
    contact = contact_payload()
    pid, named, closed = new_id(), new_id(), new_id()
    seed = [
        event("contact.received", contact, AT),
        event("person.registered", {"person_id": pid, "given_name": "Ann"}, AT),
        event(
            "person.linked", {"contact_id": contact["contact_id"], "slot": 0, "person_id": pid}, AT
        ),
    ]
    for person, allowed in ((named, list(LOGINS.values())), (closed, [])):
        seed += [
            event("person.registered", {"person_id": person, "given_name": "Bea"}, AT),
            event(
                "record.restricted",
                {"person_id": person, "allowed": allowed, "reason": "staff relative"},
                AT,
                actor="admin",
                role=Role.ADMIN,
            ),
        ]
    store.import_events(seed)
    return World(store, contact["contact_id"], pid, named, closed)


Perform = Callable[[DeskService, AuditService, AccountService, World], Any]


def _write(kind: str, payload: Callable[[World], dict[str, Any]]) -> Perform:
    def perform(desk: DeskService, audit: AuditService, accounts: AccountService, w: World) -> Any:
        return desk.store.append([desk.event(kind, payload(w))])

    return perform


def _decision(kind: str) -> Perform:
    return _write(kind, lambda w: decision_payload(w.contact_id))


PERFORM: dict[Action, Perform] = {
    Action.RECORD_CONTACT: lambda d, a, s, w: d.record_contact(contact_payload()),
    Action.LINK_PERSON: _write(
        "person.linked", lambda w: {"contact_id": w.contact_id, "slot": 0, "person_id": w.person_id}
    ),
    Action.RATE: _write(
        "contact.rated",
        lambda w: {
            "contact_id": w.contact_id,
            "score": 50,
            "rating": "amber",
            "reasons": [],
            "policy_version": "test",
        },
    ),
    Action.OVERRIDE_RATING: _write(
        "contact.rating_overridden",
        lambda w: {
            "contact_id": w.contact_id,
            "from_rating": "amber",
            "to_rating": "red",
            "reason": "new information from police",
        },
    ),
    Action.LOWER_RED: _write(
        "contact.rating_overridden",
        lambda w: {
            "contact_id": w.contact_id,
            "from_rating": "red",
            "to_rating": "amber",
            "reason": "child seen safe by police",
        },
    ),
    Action.ASSIGN: _write(
        "contact.assigned", lambda w: {"contact_id": w.contact_id, "assignee": "sw.practitioner"}
    ),
    Action.PARTNER_CHECK: _write(
        "partner_check.requested",
        lambda w: {
            "check_id": new_id(),
            "contact_id": w.contact_id,
            "agency": "Health",
            "question": "Is the child known to the health visitor?",
        },
    ),
    Action.ADD_NOTE: _write(
        "note.added", lambda w: {"contact_id": w.contact_id, "text": "Called school back."}
    ),
    Action.RECORD_CONSENT: _write(
        "consent.recorded",
        lambda w: {"contact_id": w.contact_id, "status": "given", "given_by": "Mother"},
    ),
    Action.PROPOSE_DECISION: _decision("decision.proposed"),
    Action.RECORD_DECISION: _decision("decision.recorded"),
    Action.SIGN_OFF: _write(
        "decision.signed_off", lambda w: {"decision_id": new_id(), "contact_id": w.contact_id}
    ),
    Action.AMEND_DECISION: _write(
        "decision.amended",
        lambda w: {
            "decision_id": new_id(),
            "contact_id": w.contact_id,
            "threshold_level": 3,
            "reason": "new information",
        },
    ),
    Action.RESOLVE_CONFLICT: _write(
        "conflict.resolved",
        lambda w: {
            "contact_id": w.contact_id,
            "decision_ids": [a := new_id(), new_id()],
            "chosen_decision_id": a,
            "reason": "the later information is right",
        },
    ),
    Action.CONSENT_OVERRIDE: _write(
        "consent.overridden",
        lambda w: {
            "contact_id": w.contact_id,
            "basis": "risk of significant harm",
            "approver": "dm.manager",
        },
    ),
    Action.HANDOVER: _write(
        "handover.noted",
        lambda w: {"handover_id": new_id(), "shift": "day", "text": "Three reds waiting."},
    ),
    Action.SUPERVISION: _write(
        "supervision.recorded",
        lambda w: {
            "worker": "sw.practitioner",
            "supervisor": "dm.manager",
            "held_on": "2026-11-20",
            "next_due": "2026-12-20",
        },
    ),
    Action.VIEW_RECORD: lambda d, a, s, w: a.record_view(contact_id=w.contact_id),
    Action.VIEW_RESTRICTED: lambda d, a, s, w: a.record_view(person_id=w.named_person),
    Action.GRANT_ACCESS: lambda d, a, s, w: a.grant(w.closed_person, "someone", "allocated worker"),
    Action.BREAK_GLASS: lambda d, a, s, w: a.break_glass(
        w.closed_person, "Police called out of hours about this child"
    ),
    Action.PRINT: lambda d, a, s, w: a.record_print("decision log", contact_id=w.contact_id),
    Action.EXPORT: lambda d, a, s, w: a.record_export("decision log", contact_id=w.contact_id),
    Action.VIEW_AUDIT: lambda d, a, s, w: a.query(),
    # issue 21: routes, strategy discussions, hand-offs, corrections, follow-through
    Action.TAKE_CONTACT: _write("contact.taken", lambda w: {"contact_id": w.contact_id}),
    Action.OPEN_ROUTE: _write(
        "route.opened",
        lambda w: {
            "route_id": new_id(),
            "contact_id": w.contact_id,
            "kind": "signpost",
            "to": "Family Hub",
        },
    ),
    Action.STRATEGY_DISCUSSION: _write(
        "strategy.discussed",
        lambda w: {
            "discussion_id": new_id(),
            "contact_id": w.contact_id,
            "slots": [0],
            "held_at": AT.isoformat(),
            "decision": "no_s47_s17",
            "attendees": [{"agency": "Police"}],
        },
    ),
    Action.TRANSFER: _write(
        "route.transferred",
        lambda w: {"route_id": new_id(), "contact_id": w.contact_id, "team": "Assessment 2"},
    ),
    Action.ACCEPT_TRANSFER: _write(
        "route.transfer_accepted", lambda w: {"route_id": new_id(), "contact_id": w.contact_id}
    ),
    Action.CORRECT_RECORD: _write(
        "contact.entered_in_error",
        lambda w: {"contact_id": new_id(), "reason": "typed on the wrong family"},
    ),
    Action.FOLLOW_UP: _write(
        "referrer.acknowledged",
        lambda w: {"contact_id": w.contact_id, "kind": "acknowledgement", "method": "email"},
    ),
    Action.ADMINISTER: lambda d, a, s, w: s.create_user(
        d.actor,
        f"new.{new_id()[-8:]}",
        "New Person",
        Role.PRACTITIONER,
        "correct horse battery staple",
    ),
}


def test_every_action_has_a_service_path() -> None:
    assert set(PERFORM) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_role_action(world: World, role: Role, action: Action) -> None:
    actor = Actor(LOGINS[role], role, "test-desk")
    clock = FixedClock(AT)
    guarded = GuardedStore(world.store, actor, clock)
    desk = DeskService(guarded, actor, clock)
    audit, accounts = AuditService(guarded), AccountService(world.store, clock)
    before = world.store.event_count()
    if allows(role, action):
        PERFORM[action](desk, audit, accounts, world)
        if action not in (Action.VIEW_AUDIT, Action.ADMINISTER):
            # a new contact comes with the rating derived from it, in the same name
            added = 2 if action is Action.RECORD_CONTACT else 1
            assert world.store.event_count() == before + added
    else:
        with pytest.raises(PermissionDenied, match=LOGINS[role]):
            PERFORM[action](desk, audit, accounts, world)
        assert world.store.event_count() == before
