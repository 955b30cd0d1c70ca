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

from dutydesk.domain import projection
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store import readmodel
from dutydesk.store.database import alembic_config, current_revision, head_revision
from dutydesk.store.eventstore import EVENTS, OUTBOX, EventStore
from dutydesk.store.readmodel import ROUTES
from tests.factories import contact_payload, event
from tests.integration.test_rebuild_fast_paths import (  # noqa: F401 - a fixture
    _dump,
    _whole_fold,
    model_and_events,
)
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


@pytest.mark.parametrize("stray", ["closed", "progressed", "opened"])
def test_a_route_event_under_another_contact_and_the_sliced_rebuild(
    tmp_path: Path,
    model_and_events: tuple[projection.ReadModel, list],  # type: ignore[type-arg]  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    stray: str,
) -> None:
    """A step or closing naming a route of a contact in another slice changes nothing (the
    one rule), so the rebuild stays in slices (bounded memory) instead of folding the whole
    log; only an opening of the same id under another contact (first opener wins) crosses
    scopes and is folded whole. Either way the rows are one whole fold's."""
    from dutydesk.store import eventstore

    monkeypatch.setattr(eventstore, "SLICE_EVENTS", 300)
    model, events = model_and_events
    log = list(events)
    slices = eventstore._slices_for(len(log) + 1)
    route = min(model.routes.values(), key=lambda r: r.route_id)
    other = next(
        c
        for c in sorted(model.contacts)
        if eventstore._slice_of(c, slices) != eventstore._slice_of(route.contact_id, slices)
    )
    base = {"route_id": route.route_id, "contact_id": other}
    payload = {
        "closed": {**base, "reason": "not this contact's"},
        "progressed": {**base, "step": "accepted"},
        "opened": {**base, "kind": "lado", "adult_slot": 0},
    }[stray]
    log.append(
        dataclasses.replace(
            next(e for e in log if e.type == "route.opened"),
            id="0190a0c0-beef-7000-8000-00000000000b",
            type=f"route.{stray}",
            payload=payload,
        )
    )
    path = tmp_path / "s.sqlite3"
    store = EventStore.open(path)
    store.import_events(log, validate=False)
    with store.engine.connect() as conn:
        readmodel.clear(conn)
        assert store._fold_in_slices(conn, slices) == (stray != "opened")
        conn.rollback()
    store.rebuild()
    rebuilt = _dump(path)
    _whole_fold(store)
    store.close()
    assert rebuilt == _dump(path)
