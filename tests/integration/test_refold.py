"""Refolding only the scopes a pull disturbed gives what a full rebuild gives, and writes
only the rows that change."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from dutydesk.demo.synthetic import generate
from dutydesk.domain.events import Event
from dutydesk.store.eventstore import OUTBOX, EventStore
from dutydesk.store.refold import Refolded, Scopes, refold, scopes_of
from dutydesk.store.syncstate import ServerFields, SyncState
from tests.factories import contact_payload, decision_payload, event

NOTHING = Refolded(0, 0, 0, 0)


def _give_seqs(store: EventStore, events: list[Event]) -> None:
    """The server's order is ``events``' order."""
    SyncState(store.engine).mark_synced(
        ServerFields(e.id, i, f"2026-11-26T09:00:00.{i:06d}Z", "h", "p")
        for i, e in enumerate(events, start=1)
    )


def test_refolding_a_consistent_store_writes_nothing(tmp_path: Path, now: datetime) -> None:
    """Every kind of row read back from SQL compares equal to the same row folded afresh."""
    store = EventStore.open(tmp_path / "s.sqlite3")
    events = generate(5, 1500, now=now)
    store.import_events(events)
    everything = scopes_of(events)
    assert len(everything.contacts) > 50 and everything.people
    assert refold(store.engine, everything) == NOTHING
    store.close()


def _history(now: datetime, contacts: int, rng: random.Random) -> list[Event]:
    """Contacts each received, rated twice and decided (twice for some: a conflict)."""
    out = []
    for _ in range(contacts):
        received = event("contact.received", contact_payload(), now)
        cid = received.payload["contact_id"]
        out.append(received)
        for rating in rng.sample(["red", "amber", "green", "blue"], 2):
            out.append(
                event(
                    "contact.rated",
                    {
                        "contact_id": cid,
                        "score": 1,
                        "rating": rating,
                        "reasons": [],
                        "policy_version": "t",
                    },
                    now,
                )
            )
        for _ in range(rng.choice([1, 1, 2])):
            out.append(
                event(
                    "decision.recorded",
                    decision_payload(
                        cid, outcome=rng.choice(["nfa", "early_help", "strategy_s47"])
                    ),
                    now,
                )
            )
        # a route with steps and a hand-off (the ``routes`` projection): shuffled, the
        # server's order and the desk's give different states, as for decisions
        rid = str(uuid.uuid4())
        base = {"route_id": rid, "contact_id": cid}
        out.append(
            event(
                "route.opened",
                {**base, "kind": "early_help", "slot": 0, "team": "EH", "family_consent": "given"},
                now,
            )
        )
        for kind, extra in rng.sample(
            [
                ("route.progressed", {"step": "accepted"}),
                ("route.progressed", {"step": "returned", "reason": "no"}),
                ("route.transferred", {"team": "Assessment East"}),
                ("route.transfer_accepted", {"worker": "w.b"}),
                ("route.closed", {"reason": "done"}),
            ],
            rng.randint(1, 4),
        ):
            out.append(event(kind, {**base, **extra}, now))
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000))
def test_refolding_the_disturbed_scopes_equals_a_full_rebuild(
    tmp_path_factory: pytest.TempPathFactory, now: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    store = EventStore.open(tmp_path_factory.mktemp("r") / "s.sqlite3")
    history = _history(now, 6, rng)
    # The desk folded them in one order; the server put them in another.
    local = history[:]
    rng.shuffle(local)
    for e in local:
        store.append([e])
    server = history[:]
    rng.shuffle(server)
    _give_seqs(store, server)
    refold(store.engine, scopes_of(history))
    refolded = store.read_model()
    store.rebuild()
    assert refolded == store.read_model()
    assert refold(store.engine, scopes_of(history)) == NOTHING
    store.close()


def test_a_rejected_event_is_taken_out_of_its_scope_only(store: EventStore, now: datetime) -> None:
    a, b = (event("contact.received", contact_payload(), now) for _ in range(2))
    da = event("decision.recorded", decision_payload(a.payload["contact_id"]), now)
    db_ = event("decision.recorded", decision_payload(b.payload["contact_id"]), now)
    store.append([a, b, da, db_])
    with store.engine.begin() as conn:
        conn.execute(update(OUTBOX).where(OUTBOX.c.event_id == da.id).values(state="rejected"))
    written = refold(store.engine, scopes_of([da]))
    assert written == Refolded(contacts=1, children=0, decisions=1, people=0)
    model = store.read_model()
    assert model.contacts[a.payload["contact_id"]].status == "new"
    assert da.payload["decision_id"] not in model.decisions
    assert model.contacts[b.payload["contact_id"]].status == "decided"
    store.rebuild()
    assert store.read_model() == model


def test_scopes_are_contacts_and_people_named_by_events(now: datetime) -> None:
    e = event(
        "contact.received",
        contact_payload(
            children=[{"person_id": "0190c3a0-0000-7000-8000-000000000001", "given_name": "A"}]
        ),
        now,
    )
    assert scopes_of([e]) == Scopes(
        frozenset({e.payload["contact_id"]}), frozenset({"0190c3a0-0000-7000-8000-000000000001"})
    )
    assert not Scopes() and bool(scopes_of([e]))
