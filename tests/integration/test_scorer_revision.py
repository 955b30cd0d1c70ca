"""A fix in the scoring code re-rates what the older code got wrong, once per store.

A policy version names the points; ``SCORER_REVISION`` names the arithmetic applying
them. Ratings a desk recorded before a scoring fix (here: a rating the current code
would not give, as revision 1 gave near midnight for times written in UTC) are checked
again the first time the store meets the newer revision, by a person who may rate, on
the window's live poll after its first frame (not in the start-up path)."""

from __future__ import annotations

from datetime import timedelta

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating, Role
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.desk import DeskService
from dutydesk.services.triage import TriageService
from dutydesk.store.database import META_SCORER_REVISION
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event
from tests.integration.test_triage_service import NOW, actor, child, seed_history

OLDER = str(SCORER_REVISION - 1)


def _stale_rating(store: EventStore, service: TriageService, cid: str) -> Rating:
    """Record for ``cid`` a rating the current code would not give (another rating and
    score, the same policy version): what an older scoring revision left behind."""
    payload = service.score(cid).to_payload()
    wrong = Rating.GREEN if payload["rating"] != Rating.GREEN.value else Rating.AMBER
    payload.update(rating=wrong.value, score=int(payload["score"]) + 7)
    store.append([event("contact.rated", payload, NOW - timedelta(minutes=30))])
    assert _rating(service, cid) == wrong.value
    return wrong


def _rating(service: TriageService, cid: str) -> str | None:
    row = service.queries.contact(cid)
    assert row is not None
    return row.rating


def _upgraded_store(store: EventStore, revision: str | None = OLDER) -> tuple[TriageService, str]:
    """Two open contacts rated, one of them wrongly by the older code, and the revision
    the store was last checked against (``None``: a store from before revisions)."""
    _, cid = seed_history(store)
    other = contact_payload(received_at=(NOW - timedelta(hours=2)).isoformat(), children=[child()])
    store.append([event("contact.received", other, NOW - timedelta(hours=2))])
    service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
    assert service.rate_all_open() == 2
    _stale_rating(store, service, cid)
    if revision is not None:
        store.set_meta(META_SCORER_REVISION, revision)
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM store_meta WHERE key = ?", (META_SCORER_REVISION,))
    return service, cid


def test_a_new_store_is_checked_against_the_current_revision(store: EventStore) -> None:
    """A store this code made holds no rating an older scoring revision made."""
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)


def test_a_store_checked_by_an_older_scorer_is_re_rated_once(store: EventStore) -> None:
    service, cid = _upgraded_store(store)
    assert service.recheck_after_scoring_fix() == 1  # only the contact whose rating differs
    assert _rating(service, cid) == service.score(cid).rating.value
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    count = store.event_count()
    assert service.recheck_after_scoring_fix() == 0  # once: the revision is recorded
    assert service.rate_all_open(only_unrated=False) == 0  # and nothing else differs
    assert store.event_count() == count


def test_a_store_from_before_revisions_is_checked(store: EventStore) -> None:
    service, cid = _upgraded_store(store, revision=None)
    assert store.get_meta(META_SCORER_REVISION) is None
    assert service.recheck_after_scoring_fix() == 1
    assert _rating(service, cid) == service.score(cid).rating.value


def test_start_up_rates_only_the_unrated_and_the_live_poll_runs_the_check(
    store: EventStore,
) -> None:
    """Start-up and the first queue read leave the whole check alone (at 100,000 open
    contacts it is seconds of scoring before the first frame); the window's first live
    poll runs it once and refreshes the corrected row."""
    service, cid = _upgraded_store(store)
    wrong = _rating(service, cid)
    assert service.rate_all_open() == 0
    desk = DeskService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW), triage=service)
    seq = desk.last_seq()
    assert {i.contact_id: i.rating for i in desk.queue()}[cid] == wrong
    delta = desk.changes_since(seq)
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    fixed = service.score(cid).rating.value
    assert fixed != wrong and {i.contact_id: i.rating for i in delta.changed}[cid] == fixed
    count = store.event_count()
    store.set_meta(META_SCORER_REVISION, OLDER)  # checked once per window, not per poll
    desk.changes_since(delta.seq)
    assert store.event_count() == count


def test_a_role_that_may_not_rate_leaves_the_check_to_a_casework_desk(
    store: EventStore,
) -> None:
    service, cid = _upgraded_store(store)
    auditor = TriageService(store, actor(Role.AUDITOR), FixedClock(NOW))
    assert auditor.recheck_after_scoring_fix() == 0
    assert store.get_meta(META_SCORER_REVISION) == OLDER
    assert _rating(service, cid) != service.score(cid).rating.value
    assert service.recheck_after_scoring_fix() == 1
