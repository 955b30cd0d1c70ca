"""Triage against a real SQLite store: history from linked records, rating events,
overrides and their permissions, demo data rated, evaluation rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dutydesk.demo.loader import load_demo
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor, check_envelope
from dutydesk.domain.ids import new_id
from dutydesk.domain.queue import order_key
from dutydesk.services.desk import DeskService
from dutydesk.services.triage import TriageService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.history_queries import HistoryQueries, evaluation_contacts
from tests.factories import contact_payload, decision_payload, event

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
PID = "0192f7a0-0000-7000-8000-00000000aaaa"


def actor(role: Role) -> Actor:
    return Actor(login=f"u.{role.value}", role=role, device="test-desk")


def child(**extra: object) -> dict[str, object]:
    return {
        "person_id": PID,
        "given_name": "Seán",
        "family_name": "O'Brien",
        "date_of_birth": "2019-04-03",
        **extra,
    }


def seed_history(store: EventStore) -> tuple[str, str]:
    """An earlier referral (March 2026) and a new open contact for the same child."""
    at = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
    earlier = contact_payload(received_at=at.isoformat(), children=[child()])
    new = contact_payload(
        received_at=(NOW - timedelta(hours=1)).isoformat(), children=[child()], categories=["16A"]
    )
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": PID,
                    "given_name": "Seán",
                    "family_name": "O'Brien",
                    "date_of_birth": "2019-04-03",
                    "cp_plan": "past",
                },
                at,
            ),
            event("contact.received", earlier, at),
            event(
                "decision.recorded",
                decision_payload(
                    earlier["contact_id"], outcome="cin_assessment", threshold_level=3
                ),
                at + timedelta(hours=3),
            ),
            event("contact.received", new, NOW - timedelta(hours=1)),
        ]
    )
    return earlier["contact_id"], new["contact_id"]


def test_rating_reads_linked_history_and_records_an_event(store: EventStore) -> None:
    _, cid = seed_history(store)
    service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
    result = service.rate(cid)
    factors = {r["factor"] for r in result.reasons}
    assert {"history:re_referral", "history:cp_plan_past", "history:contacts_12m"} <= factors
    row = service.queries.contact(cid)
    assert row is not None
    assert (row.rating, row.original_rating, row.score) == (
        result.rating.value,
        result.rating.value,
        result.score,
    )
    assert row.policy_version == service.policy.version
    stored = [e for e in store.events_for_contact(cid) if e.type == "contact.rated"]
    assert len(stored) == 1 and stored[0].payload["reasons"][0]["text"].startswith("Score")


def test_rate_all_open_rates_each_unrated_contact_once(store: EventStore) -> None:
    seed_history(store)
    for _ in range(3):
        payload = contact_payload(received_at=(NOW - timedelta(hours=2)).isoformat())
        store.append([event("contact.received", payload, NOW - timedelta(hours=2))])
    service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
    assert service.rate_all_open() == 4
    assert service.rate_all_open() == 0
    queue = DeskService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW)).queue()
    assert all(item.rating for item in queue)
    assert queue == sorted(queue, key=order_key)


def test_history_for_many_children_in_one_read(store: EventStore) -> None:
    earlier, new = seed_history(store)
    records = HistoryQueries(store.engine).linked_records([PID, new_id()])
    assert {c.contact_id for c in records.contacts[PID]} == {earlier, new}
    assert records.people[PID].cp_plan == "past"
    past = next(c for c in records.contacts[PID] if c.contact_id == earlier)
    assert past.is_referral and past.outcome == "cin_assessment"


def test_override_keeps_original_and_lowering_red_needs_a_manager(store: EventStore) -> None:
    payload = contact_payload(
        received_at=(NOW - timedelta(hours=1)).isoformat(), immediate_danger=True
    )
    store.append([event("contact.received", payload, NOW - timedelta(hours=1))])
    cid = payload["contact_id"]
    TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW)).rate(cid)
    practitioner = TriageService(store, actor(Role.PRACTITIONER), FixedClock(NOW))
    with pytest.raises(PermissionDenied, match="duty manager or a senior practitioner"):
        practitioner.override(cid, "amber", "Child is now with grandparents.")
    officer = TriageService(store, actor(Role.CONTACT_OFFICER), FixedClock(NOW))
    with pytest.raises(PermissionDenied):
        officer.override(cid, "amber", "x")
    senior = TriageService(store, actor(Role.SENIOR_PRACTITIONER), FixedClock(NOW))
    with pytest.raises(ValidationError, match="reason is required"):
        senior.override(cid, "amber", "  ")
    with pytest.raises(ValidationError, match="already red"):
        senior.override(cid, "red", "no change")
    ev = senior.override(cid, "amber", "Police confirm child is safe with grandparents.")
    assert ev.payload["approver"] == "u.senior_practitioner"
    row = senior.queries.contact(cid)
    assert row is not None
    assert (row.rating, row.original_rating, row.overridden) == ("amber", "red", True)
    assert row.due_at == ev.payload["due_at"]
    # Raising is open to a practitioner.
    practitioner.override(cid, "red", "Grandparent reports father has returned.")


def test_demo_data_is_rated_with_history(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = EventStore.open(tmp_path / "demo.sqlite3")
    try:
        load_demo(store, seed=7, events=1500, clock=FixedClock(NOW))
        model = store.read_model()
        assert all(c.original_rating for c in model.contacts.values())
        assert any(
            r["factor"].startswith("history:") for c in model.contacts.values() for r in c.reasons
        )
        rows = evaluation_contacts(store.engine)
        assert len(rows) == len(model.contacts)
        assert any(r.serious for r in rows)
    finally:
        store.close()


def test_bulk_rating_records_what_one_contact_at_a_time_gives_and_validation_would_keep(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 19: rating in bulk (one read of the open contacts, ratings compared on the
    rows scored, events validated once when made) records, for every open contact, the
    rating the one-contact path gives, in events the store's validation leaves as they
    are; the open queue's bulk scores agree too."""
    store = EventStore.open(tmp_path / "bulk.sqlite3")
    try:
        gen = Generator(5, now=NOW, open_contacts=160)
        store.import_events(gen.events(1800), validate=False)
        service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
        expected = {
            c.contact_id: service.score(c.contact_id).to_payload()
            for c in service.queries.open_contacts()[0]
        }
        assert len(expected) == 160
        assert service.rate_all_open(batch=70) == 160  # three appends
        rated = [
            e
            for cid in expected
            for e in store.events_for_contact(cid)
            if e.type == "contact.rated"
        ]
        assert {e.payload["contact_id"]: dict(e.payload) for e in rated} == expected
        assert all(check_envelope(e) == e for e in rated)
        assert {r.contact_id: r.to_payload() for r in service.score_open()} == expected
        assert service.rate_all_open(only_unrated=False) == 0  # nothing differs now
    finally:
        store.close()
