"""The check after a scoring fix (``recheck_after_scoring_fix``: open contacts whose
rating a lower scoring revision made), as a careless partner or a bad moment would meet
it: a person's override, a closed contact, a failure halfway through, and a duty manager
not named on a restricted record (derived ratings are never refused for a restriction:
docs/security.md "Derived ratings")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.triage import TriageService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore
from dutydesk.store.queries import OPEN_STATUSES
from tests.factories import decision_payload, event
from tests.integration.test_restricted_records import DM, _seed
from tests.integration.test_scorer_revision import _rated_store, _rating, _revision, _stale_rating
from tests.integration.test_triage_service import NOW


def _desk(store: Any, service: TriageService) -> DeskService:
    return DeskService(store, service.actor, FixedClock(NOW), triage=service)


def _upgraded(store: EventStore) -> tuple[TriageService, str]:
    """Two open contacts, one of them rated wrongly by a desk from before revisions."""
    service, cid, _ = _rated_store(store)
    _stale_rating(store, service, cid)
    return service, cid


def test_the_check_never_undoes_a_person_s_override(store: EventStore) -> None:
    service, cid = _upgraded(store)
    service.override(cid, Rating.RED.value, "Police say the father is released today")
    held = service.queries.contact(cid)
    assert held is not None and held.overridden and held.rating == Rating.RED.value
    desk = _desk(store, service)
    desk.changes_since(desk.last_seq())
    after = service.queries.contact(cid)
    assert after is not None and after.overridden
    assert (after.rating, after.due_at) == (held.rating, held.due_at)
    assert after.scorer_revision == SCORER_REVISION  # checked (score and reasons fixed)
    assert after.score == service.score(cid).score
    store.rebuild()
    assert _rating(service, cid) == Rating.RED.value
    assert service.recheck_after_scoring_fix() == 0


def test_an_override_before_an_old_desk_s_rating_still_stands(store: EventStore) -> None:
    """The old rating pulled after a person's override: the row keeps the override, the
    check re-rates under it, and the override stands after a rebuild."""
    service, cid, _ = _rated_store(store)
    service.override(cid, Rating.RED.value, "Police say the father is released today")
    held = service.queries.contact(cid)
    assert held is not None
    payload = service.score(cid).to_payload()
    del payload["scorer_revision"]
    payload.update(rating=Rating.BLUE.value, due_at=NOW.isoformat())
    store.append([event("contact.rated", payload, NOW)])
    assert service.recheck_after_scoring_fix() == 1
    for _ in range(2):
        row = service.queries.contact(cid)
        assert row is not None and row.overridden
        assert (row.rating, row.due_at, row.scorer_revision) == (
            Rating.RED.value,
            held.due_at,
            SCORER_REVISION,
        )
        store.rebuild()


def test_a_closed_contact_keeps_the_rating_its_manager_saw(store: EventStore) -> None:
    service, cid = _upgraded(store)
    wrong = _rating(service, cid)
    store.append([event("decision.recorded", decision_payload(cid), NOW)])
    row = service.queries.contact(cid)
    assert row is not None and row.status not in OPEN_STATUSES
    count = store.event_count()
    assert service.recheck_after_scoring_fix() == 0
    desk = _desk(store, service)
    desk.changes_since(desk.last_seq())
    assert _rating(service, cid) == wrong and _revision(service, cid) == 1
    assert store.event_count() == count


def test_a_failure_halfway_is_finished_by_the_next_poll(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, cid = _upgraded(store)
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
    assert sorted(_revision(service, c) or 0 for c in (cid, other)) == [1, SCORER_REVISION]
    monkeypatch.setattr(store, "append", real)
    delta = desk.changes_since(seq)  # the window's poll finishes what was left
    assert {
        c for c in (cid, other) if _rating(service, c) != service.score(c).rating.value
    } == set()
    assert {_revision(service, c) for c in (cid, other)} == {SCORER_REVISION}
    assert {cid, other} <= {i.contact_id for i in delta.changed}


def test_a_poll_that_fails_in_the_check_is_retried_by_the_next(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, cid = _upgraded(store)
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
    desk = DeskService(guarded, DM, clock, triage=service)
    delta = desk.changes_since(desk.last_seq())
    assert _rating(service, cid) == service.score(cid).rating.value
    assert _revision(service, cid) == SCORER_REVISION
    assert cid in {i.contact_id for i in delta.changed}
