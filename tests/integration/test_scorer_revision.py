"""A fix in the scoring code re-rates what the older code got wrong, once per store.

A policy version names the points; ``SCORER_REVISION`` names the arithmetic applying
them. Ratings a desk recorded before a scoring fix (here: a rating the current code
would not give, as revision 1 gave near midnight for times written in UTC) are checked
again the first time the store meets the newer revision, by a person who may rate."""

from __future__ import annotations

from datetime import timedelta

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating, Role
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.triage import META_SCORER_REVISION, TriageService
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event
from tests.integration.test_triage_service import NOW, actor, child, seed_history


def _stale_rating(store: EventStore, service: TriageService, cid: str) -> Rating:
    """Record for ``cid`` a rating the current code would not give (another rating and
    score, the same policy version): what an older scoring revision left behind."""
    payload = service.score(cid).to_payload()
    wrong = Rating.GREEN if payload["rating"] != Rating.GREEN.value else Rating.AMBER
    payload.update(rating=wrong.value, score=int(payload["score"]) + 7)
    store.append([event("contact.rated", payload, NOW - timedelta(minutes=30))])
    row = service.queries.contact(cid)
    assert row is not None and row.rating == wrong.value
    return wrong


def _store(store: EventStore) -> tuple[TriageService, str, str]:
    _, cid = seed_history(store)
    other = contact_payload(received_at=(NOW - timedelta(hours=2)).isoformat(), children=[child()])
    store.append([event("contact.received", other, NOW - timedelta(hours=2))])
    service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
    return service, cid, str(other["contact_id"])


def test_a_store_checked_by_an_older_scorer_is_re_rated_once(store: EventStore) -> None:
    service, cid, other = _store(store)
    assert service.rate_all_open() == 2
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    _stale_rating(store, service, cid)
    store.set_meta(META_SCORER_REVISION, str(SCORER_REVISION - 1))  # rated by the older code

    assert service.rate_all_open() == 1  # only the contact whose rating differs
    row = service.queries.contact(cid)
    expected = service.score(cid)
    assert row is not None and (row.rating, row.score) == (expected.rating.value, expected.score)
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION)
    events_before = len(store.events_for_contact(cid)) + len(store.events_for_contact(other))
    assert service.rate_all_open() == 0  # once: the revision is recorded
    after = len(store.events_for_contact(cid)) + len(store.events_for_contact(other))
    assert after == events_before


def test_a_store_never_checked_is_checked_at_its_first_start(store: EventStore) -> None:
    """An upgraded store has no revision recorded: it is one the older code rated."""
    service, cid, _ = _store(store)
    service.rate_all_open()
    _stale_rating(store, service, cid)
    store.set_meta(META_SCORER_REVISION, "")
    assert service.rate_all_open() == 1
    row = service.queries.contact(cid)
    assert row is not None and row.rating == service.score(cid).rating.value


def test_the_revision_gates_the_check(store: EventStore) -> None:
    """With the current revision recorded, start-up rates only the unrated and other
    policies' contacts, as before: the whole check runs once, not at every start."""
    service, cid, _ = _store(store)
    service.rate_all_open()
    wrong = _stale_rating(store, service, cid)
    assert service.rate_all_open() == 0
    row = service.queries.contact(cid)
    assert row is not None and row.rating == wrong.value
    assert service.rate_all_open(only_unrated=False) == 1  # the explicit whole check


def test_a_role_that_may_not_rate_leaves_the_check_to_a_casework_desk(
    store: EventStore,
) -> None:
    service, cid, _ = _store(store)
    service.rate_all_open()
    wrong = _stale_rating(store, service, cid)
    store.set_meta(META_SCORER_REVISION, str(SCORER_REVISION - 1))
    auditor = TriageService(store, actor(Role.AUDITOR), FixedClock(NOW))
    assert auditor.rate_all_open() == 0
    assert store.get_meta(META_SCORER_REVISION) == str(SCORER_REVISION - 1)
    row = service.queries.contact(cid)
    assert row is not None and row.rating == wrong.value
    assert service.rate_all_open() == 1
