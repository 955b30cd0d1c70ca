"""The once-per-store check after a scoring fix (``recheck_after_scoring_fix``), as a
careless partner or a bad moment would meet it: a person's override, a closed contact, a
failure halfway through, and a duty manager not named on a restricted record (derived
ratings are never refused for a restriction: docs/security.md "Derived ratings")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.triage import META_SCORER_REVISION, TriageService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore
from dutydesk.store.queries import OPEN_STATUSES
from tests.factories import decision_payload, event
from tests.integration.test_restricted_records import DM, _seed
from tests.integration.test_scorer_revision import OLDER, _rating, _stale_rating, _upgraded_store
from tests.integration.test_triage_service import NOW


def _desk(store: Any, service: TriageService) -> DeskService:
    return DeskService(store, service.actor, FixedClock(NOW), triage=service)


def test_the_check_never_undoes_a_person_s_override(store: EventStore) -> None:
    service, cid = _upgraded_store(store)
    service.override(cid, Rating.RED.value, "Police say the father is released today")
    held = service.queries.contact(cid)
    assert held is not None and held.overridden and held.rating == Rating.RED.value
    desk = _desk(store, service)
    desk.changes_since(desk.last_seq())
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    after = service.queries.contact(cid)
    assert after is not None and after.overridden
    assert (after.rating, after.due_at) == (held.rating, held.due_at)
    store.rebuild()
    assert _rating(service, cid) == Rating.RED.value


def test_a_closed_contact_keeps_the_rating_its_manager_saw(store: EventStore) -> None:
    service, cid = _upgraded_store(store)
    wrong = _rating(service, cid)
    store.append([event("decision.recorded", decision_payload(cid), NOW)])
    row = service.queries.contact(cid)
    assert row is not None and row.status not in OPEN_STATUSES
    count = store.event_count()
    assert service.recheck_after_scoring_fix() == 0
    assert _rating(service, cid) == wrong and store.event_count() == count
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)


def test_a_failure_halfway_records_no_revision_and_the_next_poll_finishes(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, cid = _upgraded_store(store)
    other = next(c for c in _desk(store, service).desk_queries.open_contact_ids() if c != cid)
    _stale_rating(store, service, other)
    desk = _desk(store, service)
    seq = desk.last_seq()
    real, calls = store.append, []

    def fails_second_batch(events: Any, **kw: Any) -> Any:
        calls.append(len(events))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(events, **kw)

    monkeypatch.setattr(store, "append", fails_second_batch)
    with pytest.raises(OSError):
        service.recheck_after_scoring_fix(batch=1)
    assert store.get_meta(META_SCORER_REVISION) == OLDER  # not recorded: not all checked
    monkeypatch.setattr(store, "append", real)
    delta = desk.changes_since(seq)  # the window's poll finishes what was left
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    assert {
        c for c in (cid, other) if _rating(service, c) != service.score(c).rating.value
    } == set()
    assert cid in {i.contact_id for i in delta.changed}


def test_a_poll_that_fails_in_the_check_is_retried_by_the_next(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, cid = _upgraded_store(store)
    desk = _desk(store, service)
    seq = desk.last_seq()
    real = store.append

    def refuses(events: Any, **kw: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", refuses)
    with pytest.raises(OSError):
        desk.changes_since(seq)
    monkeypatch.setattr(store, "append", real)
    desk.changes_since(seq)
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    assert _rating(service, cid) == service.score(cid).rating.value


def test_a_restricted_contact_is_checked_by_a_manager_not_named_on_it(
    tmp_path: Path, clock: FixedClock
) -> None:
    """A derived rating is never refused for a restriction (``RESTRICTION_EXEMPT``): the
    check rates the restricted contact through the guarded store of a duty manager not
    named on it, without a refusal stopping the window's poll."""
    chained = ChainedEventStore.open(tmp_path / "restricted.sqlite3")
    try:
        _check_restricted(chained, clock)
    finally:
        chained.close()


def _check_restricted(chained: ChainedEventStore, clock: FixedClock) -> None:
    _, cid = _seed(chained, clock)
    guarded = GuardedStore(chained, DM, clock)
    service = TriageService(guarded, DM, clock)
    assert service.rate_all_open() == 1
    _stale_rating(chained, service, cid)
    chained.set_meta(META_SCORER_REVISION, OLDER)
    desk = DeskService(guarded, DM, clock, triage=service)
    delta = desk.changes_since(desk.last_seq())
    assert chained.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    assert _rating(service, cid) == service.score(cid).rating.value
    assert cid in {i.contact_id for i in delta.changed}
