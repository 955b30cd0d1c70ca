"""The store's bulk operations run with the cyclic garbage collector paused, and leave it
as they found it (``store.gcpause``, issue 19c: 15-20% of a rebuild's, a bulk load's and
an import's CPU). What is stored does not depend on the collector; the rebuild and import
suites check the rows."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.domain import projection
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.store import eventstore
from dutydesk.store.chain import verify_local_chain
from dutydesk.store.eventstore import EventStore
from dutydesk.store.gcpause import collector_paused
from tests.factories import contact_payload, event, importer

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


@pytest.fixture(autouse=True)
def collector_running() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_inside_and_resumed_once_after_nested_uses() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer operation still runs
    assert gc.isenabled()


def test_the_collector_resumes_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_pause_from_another_thread_ending_first_does_not_resume_it_early() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's operation is still running
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def _folds_seen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """``gc.isenabled()`` at every event the store folds."""
    seen: list[bool] = []
    apply = projection.apply

    def spy(model: projection.ReadModel, event: object) -> None:
        seen.append(gc.isenabled())
        apply(model, event)  # type: ignore[arg-type]

    monkeypatch.setattr(projection, "apply", spy)
    return seen


def test_a_bulk_load_and_a_rebuild_fold_with_the_collector_paused(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    importer(store, clock).run(SAMPLES / "fake_CIN_data_first_40.xml")
    events = list(store.events())
    seen = _folds_seen(monkeypatch)
    store.rebuild()
    assert seen and not any(seen)
    assert gc.isenabled()
    seen.clear()
    store.import_events(events, validate=False)  # already stored: refolded only
    assert seen and not any(seen)
    assert gc.isenabled()


def test_an_import_stores_with_the_collector_paused(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    seen: list[bool] = []
    insert = EventStore._insert

    def spy(self: EventStore, *args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return insert(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(eventstore.EventStore, "_insert", spy)
    report = importer(store, clock).run(SAMPLES / "fake_CIN_data_first_40.xml")
    assert report.events_added and seen and not any(seen)
    assert gc.isenabled()
    assert verify_local_chain(store.engine).ok  # linked from what the spy passed on


def test_bulk_scoring_shares_the_stores_pause_across_threads(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, clock: FixedClock, now: datetime
) -> None:
    """Triage's bulk scoring pauses the collector through ``collector_paused`` (one
    definition, one count): a store operation on another thread that paused it first and
    ends while scoring runs no longer turns it back on under the scoring (the services'
    own pause, a second definition since removed, saw it already off, and the other
    thread's end resumed it)."""
    from dutydesk.services import triage

    store.append([event("contact.received", contact_payload(), now) for _ in range(3)])
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    seen: list[bool] = []
    score = triage.score_contact

    def spy(*args: object, **kwargs: object) -> object:
        if not seen:  # the other operation ends while the scoring runs
            leave.set()
            thread.join(5)
        seen.append(gc.isenabled())
        return score(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(triage, "score_contact", spy)
    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    service = triage.TriageService(store, Actor("dm.lee", Role.DUTY_MANAGER, "desk-a"), clock)
    assert len(service.score_open()) == 3
    assert seen == [False, False, False]
    assert gc.isenabled()
