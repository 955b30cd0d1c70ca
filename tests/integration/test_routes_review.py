"""The ``routes`` projection (revision i19_routes) against awkward stores: the migration
of a store whose log the server ordered differently from this desk and rejected some of,
and an append that fails part way (review of i19_routes)."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, update

from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.database import alembic_config, current_revision, head_revision
from dutydesk.store.eventstore import EVENTS, OUTBOX, EventStore
from dutydesk.store.readmodel import ROUTES
from tests.factories import contact_payload, event
from tests.integration.test_refold import _give_seqs


def _route_log(now: datetime, rng: random.Random) -> list[Event]:
    """Contacts with routes whose state depends on the order of their events (steps,
    hand-offs and their answers, closing, opening again)."""
    out: list[Event] = []
    for _ in range(6):
        received = event("contact.received", contact_payload(), now)
        cid = received.payload["contact_id"]
        out.append(received)
        for _ in range(2):
            base = {"route_id": new_id(), "contact_id": cid}
            opened = {**base, "kind": "early_help", "slot": 0, "family_consent": "given"}
            out.append(event("route.opened", {**opened, "team": "EH"}, now))
            for kind, extra in rng.sample(
                [
                    ("route.progressed", {"step": "referred", "reason": "rang"}),
                    ("route.progressed", {"step": "accepted"}),
                    ("route.transferred", {"team": "Assessment East", "worker": "w.a"}),
                    ("route.transfer_accepted", {"worker": "w.b"}),
                    ("route.transfer_returned", {"reason": "not ours"}),
                    ("route.closed", {"reason": "done"}),
                    ("route.opened", {**opened, "team": "EH again"}),
                ],
                5,
            ):
                out.append(event(kind, {**base, **extra}, now))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_migration_folds_in_server_order_without_rejected_events(
    tmp_path: Path, now: datetime, seed: int
) -> None:
    """Appended in this desk's order; the server ordered most of them otherwise and
    rejected a few; the rest wait to be sent. The migration's rows are a rebuild's."""
    rng = random.Random(seed)
    log = _route_log(now, rng)
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        local = log[:]
        rng.shuffle(local)
        for e in local:
            store.append([e])
        routed = [e for e in log if e.type.startswith("route.")]
        rejected = rng.sample(routed, 4)
        sent = [e for e in log if e not in rejected and rng.random() < 0.7]
        rng.shuffle(sent)
        _give_seqs(store, sent)
        with store.engine.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.event_id.in_([e.id for e in rejected]))
                .values(state="rejected")
            )
        store.rebuild()
        rebuilt = store.read_model().routes
        assert len(rebuilt) == 12
        config = alembic_config(store.engine)
        command.downgrade(config, "20261201_i21_allocated")
        command.upgrade(config, "head")
        assert current_revision(store.engine) == head_revision()
        assert store.read_model().routes == rebuilt
    finally:
        store.close()


@pytest.mark.parametrize("inside", [False, True])
def test_an_append_that_fails_part_way_writes_no_route(
    tmp_path: Path, now: datetime, inside: bool
) -> None:
    """A batch whose last event cannot be folded: nothing of it is kept, neither the
    events nor the route rows the events before it made (``append``, or ``append_in`` in
    the caller's transaction, which rolls back)."""
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        received = event("contact.received", contact_payload(), now)
        cid = received.payload["contact_id"]
        store.append([received])
        base = {"route_id": new_id(), "contact_id": cid}
        opened = event(
            "route.opened",
            {**base, "kind": "early_help", "slot": 0, "team": "EH", "family_consent": "given"},
            now,
        )
        step = event("route.progressed", {**base, "step": "referred"}, now)
        broken = dataclasses.replace(step, payload=base)  # no step: the fold cannot apply it
        with pytest.raises(KeyError):
            if inside:  # in the caller's transaction (``append_in``)
                with store.engine.begin() as conn:
                    store.append_in(conn, [opened, broken], outbox=False, validate=False)
            else:
                store.append([opened, broken], validate=False)
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ROUTES)).scalar() == 0
            assert conn.execute(select(func.count()).select_from(EVENTS)).scalar() == 1
            assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar() == 1
        store.append([opened])
        assert list(store.read_model().routes) == [base["route_id"]]
    finally:
        store.close()
