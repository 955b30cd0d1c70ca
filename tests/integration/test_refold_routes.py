"""Refolding some contacts keeps the ``routes`` rows a full rebuild gives when a route id is
named under two contacts (review of revision i19_routes).

A route belongs to the contact whose ``route.opened`` comes first in server order; a later
``route.opened`` of the same id under another contact changes nothing (``apply_route_event``).
So a route's row depends on the opening events of every contact that opens its id, not only
on its own contact's events: a refold of one of those contacts alone folded the route from
that contact's events only and overwrote the row the other contact holds. The service never
writes such an event, but the server takes any valid payload from any desk, and every desk
must still show the same rows as a rebuild."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.eventstore import EventStore
from dutydesk.store.refold import Scopes, refold, scopes_of
from tests.factories import contact_payload, event
from tests.integration.test_refold import NOTHING, _give_seqs


def _opened(cid: str, rid: str, now: datetime, team: str) -> Event:
    payload = {"route_id": rid, "contact_id": cid, "kind": "early_help", "slot": 0}
    return event("route.opened", {**payload, "team": team, "family_consent": "given"}, now)


def _two_contacts_one_route(now: datetime) -> tuple[str, str, list[Event]]:
    """(the contact that opens the route first, the one that opens it again, the log)."""
    a, b = (event("contact.received", contact_payload(), now) for _ in range(2))
    ca, cb = a.payload["contact_id"], b.payload["contact_id"]
    rid = new_id()
    return cb, ca, [a, b, _opened(cb, rid, now, "B's team"), _opened(ca, rid, now, "A's team")]


@pytest.mark.parametrize("which", ["first opener", "second opener"])
def test_refolding_one_of_two_contacts_sharing_a_route_id_writes_nothing(
    tmp_path: Path, now: datetime, which: str
) -> None:
    """A consistent store (rebuilt in server order) refolded for either contact alone is
    left as it is, as ``test_refold``'s consistent store is."""
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        first, second, log = _two_contacts_one_route(now)
        store.append(log)
        _give_seqs(store, log)
        store.rebuild()
        rebuilt = store.read_model()
        (route,) = rebuilt.routes.values()
        assert route.contact_id == first and route.team == "B's team"
        cid = first if which == "first opener" else second
        refold(store.engine, Scopes(contacts=frozenset({cid})))
        assert store.read_model() == rebuilt
    finally:
        store.close()


def test_a_pulled_opening_under_another_contact_after_a_local_one(
    tmp_path: Path, now: datetime
) -> None:
    """This desk opened the route; another desk's opening of the same id, earlier in server
    order, is pulled: the refold of the pulled event's contact gives the rebuild's row, and
    a later refold of this desk's contact alone keeps it."""
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        pulled_cid, own_cid, log = _two_contacts_one_route(now)
        received_a, received_b, theirs, ours = log
        store.append([received_a, received_b, ours])
        store.append([theirs], outbox=False)
        server = [received_a, received_b, theirs, ours]
        _give_seqs(store, server)
        refold(store.engine, scopes_of([theirs]))
        refolded = store.read_model()
        refold(store.engine, scopes_of([ours]))
        assert store.read_model() == refolded
        store.rebuild()
        assert store.read_model() == refolded
    finally:
        store.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000))
def test_refolding_any_contacts_of_a_consistent_store_with_shared_route_ids(
    tmp_path_factory: pytest.TempPathFactory, now: datetime, seed: int
) -> None:
    """Route ids opened under several contacts (and steps, hand-offs and closings under
    each), folded in one order, rebuilt in the server's: refolding any subset of the
    contacts changes nothing."""
    rng = random.Random(seed)
    store = EventStore.open(tmp_path_factory.mktemp("r") / "s.sqlite3")
    try:
        received = [event("contact.received", contact_payload(), now) for _ in range(5)]
        cids = [e.payload["contact_id"] for e in received]
        rids = [new_id() for _ in range(4)]
        log = list(received)
        for _ in range(14):
            cid, rid = rng.choice(cids), rng.choice(rids)
            base = {"route_id": rid, "contact_id": cid}
            kind, extra = rng.choice(
                [
                    ("route.opened", {"kind": "early_help", "slot": 0, "team": cid[-4:]}),
                    ("route.opened", {"kind": "early_help", "slot": 0, "team": cid[-4:]}),
                    ("route.progressed", {"step": "accepted"}),
                    ("route.transferred", {"team": "Assessment East"}),
                    ("route.closed", {"reason": "done"}),
                ]
            )
            if kind == "route.opened":
                extra["family_consent"] = "given"
            log.append(event(kind, {**base, **extra}, now))
        local = log[:]
        rng.shuffle(local)
        store.append(local)
        server = log[:]
        rng.shuffle(server)
        _give_seqs(store, server)
        store.rebuild()
        rebuilt = store.read_model()
        some = frozenset(rng.sample(cids, rng.randint(1, len(cids))))
        refold(store.engine, Scopes(contacts=some))
        assert store.read_model() == rebuilt
        assert refold(store.engine, scopes_of(log)) == NOTHING
    finally:
        store.close()
