"""A fix in the scoring code re-rates what older code rated, whichever desk recorded it.

A policy version names the points; ``SCORER_REVISION`` names the arithmetic applying
them (docs/triage.md "Rated on arrival"). Every ``contact.rated`` says the revision that
made it (``scorer_revision``; absent: made before revisions were recorded, 1), the
contact's row keeps it, and the window's live poll (after the first frame, not the
start-up path) re-rates, as a person who may rate, every open contact whose rating a
lower revision made: also where the fixed code says the same, so the row records the
check. A rating a higher revision made is left alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating, Role
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.desk import DeskService
from dutydesk.services.triage import TriageService
from dutydesk.store.database import alembic_config, current_revision, head_revision
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event
from tests.integration.test_triage_service import NOW, actor, child, seed_history

# What a desk still on older code writes: no ``scorer_revision`` at all (before
# revisions), or a lower one.
OLD_DESK = None
NEWER = SCORER_REVISION + 1
BEFORE_THE_COLUMN = "20261202_i19_routes"


def _stale_rating(
    store: EventStore, service: TriageService, cid: str, revision: int | None = OLD_DESK
) -> Rating:
    """Record for ``cid`` a rating the current code would not give (another rating and
    score, the same policy version), made by scoring revision ``revision`` (``None``: the
    payload does not say, as a desk from before revisions writes it)."""
    payload = service.score(cid).to_payload()
    wrong = Rating.GREEN if payload["rating"] != Rating.GREEN.value else Rating.AMBER
    payload.update(rating=wrong.value, score=int(payload["score"]) + 7)
    payload.pop("scorer_revision")
    if revision is not None:
        payload["scorer_revision"] = revision
    store.append([event("contact.rated", payload, NOW - timedelta(minutes=30))])
    assert _rating(service, cid) == wrong.value
    return wrong


def _rating(service: TriageService, cid: str) -> str | None:
    row = service.queries.contact(cid)
    assert row is not None
    return row.rating


def _revision(service: TriageService, cid: str) -> int | None:
    row = service.queries.contact(cid)
    assert row is not None
    return row.scorer_revision


def _rated_store(store: EventStore) -> tuple[TriageService, str, str]:
    """Two open contacts rated by this code: (service, the one with history, the other)."""
    _, cid = seed_history(store)
    other = contact_payload(received_at=(NOW - timedelta(hours=2)).isoformat(), children=[child()])
    store.append([event("contact.received", other, NOW - timedelta(hours=2))])
    service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
    assert service.rate_all_open() == 2
    return service, cid, other["contact_id"]


def _desk(store: EventStore, service: TriageService) -> DeskService:
    return DeskService(store, service.actor, FixedClock(NOW), triage=service)


def test_a_rating_says_the_revision_that_made_it(store: EventStore) -> None:
    service, cid, other = _rated_store(store)
    [rated] = [e for e in store.events_for_contact(cid) if e.type == "contact.rated"]
    assert rated.payload["scorer_revision"] == SCORER_REVISION
    assert _revision(service, cid) == _revision(service, other) == SCORER_REVISION
    assert service.recheck_after_scoring_fix() == 0  # nothing older held


@pytest.mark.parametrize("revision", [OLD_DESK, SCORER_REVISION - 1])
def test_a_rating_an_old_desk_made_is_re_rated_by_the_next_check(
    store: EventStore, revision: int | None
) -> None:
    service, cid, _ = _rated_store(store)
    _stale_rating(store, service, cid, revision)
    assert _revision(service, cid) == (revision or 1)
    assert service.recheck_after_scoring_fix() == 1  # only that contact
    assert _rating(service, cid) == service.score(cid).rating.value
    assert _revision(service, cid) == SCORER_REVISION
    count = store.event_count()
    assert service.recheck_after_scoring_fix() == 0  # recorded: not looked at again
    assert service.rate_all_open(only_unrated=False) == 0  # and nothing else differs
    assert store.event_count() == count


def test_an_old_rating_the_fixed_code_agrees_with_is_recorded_once_as_checked(
    store: EventStore,
) -> None:
    """Left unrecorded, the check would score it again at every poll on every desk."""
    service, cid, _ = _rated_store(store)
    payload = service.score(cid).to_payload()
    del payload["scorer_revision"]
    store.append([event("contact.rated", payload, NOW - timedelta(minutes=5))])
    assert _revision(service, cid) == 1
    before = _rating(service, cid)
    assert service.recheck_after_scoring_fix() == 1
    assert (_rating(service, cid), _revision(service, cid)) == (before, SCORER_REVISION)
    assert service.recheck_after_scoring_fix() == 0


def test_a_higher_revision_s_rating_is_left_alone(store: EventStore) -> None:
    """A desk on older code than the rating's must not rate it back: the two desks would
    answer each other for ever."""
    service, cid, _ = _rated_store(store)
    wrong = _stale_rating(store, service, cid, NEWER)
    desk = _desk(store, service)
    count = store.event_count()
    assert service.recheck_after_scoring_fix() == 0
    assert service.rate_all_open() == 0
    desk.changes_since(desk.last_seq())
    desk.queue()
    assert store.event_count() == count
    assert (_rating(service, cid), _revision(service, cid)) == (wrong.value, NEWER)


def test_start_up_leaves_the_check_to_the_live_poll(store: EventStore) -> None:
    """Start-up and the first queue read leave the check alone (after an upgrade it is
    every open contact: seconds of scoring at 100,000, before the first frame); the
    window's live poll runs it and refreshes the corrected row."""
    service, cid, _ = _rated_store(store)
    wrong = _stale_rating(store, service, cid)
    assert service.rate_all_open() == 0
    desk = _desk(store, service)
    seq = desk.last_seq()
    assert {i.contact_id: i.rating for i in desk.queue()}[cid] == wrong.value
    delta = desk.changes_since(seq)
    fixed = service.score(cid).rating.value
    assert fixed != wrong.value and {i.contact_id: i.rating for i in delta.changed}[cid] == fixed
    count = store.event_count()
    desk.changes_since(delta.seq)
    assert store.event_count() == count


def test_a_rating_arriving_after_the_first_poll_is_checked_by_the_next(store: EventStore) -> None:
    """The check is not once per window: a pull may bring an old desk's rating at any
    time (before, a store checked once never looked again)."""
    service, cid, _ = _rated_store(store)
    desk = _desk(store, service)
    seq = desk.changes_since(desk.last_seq()).seq
    _stale_rating(store, service, cid)
    delta = desk.changes_since(seq)
    assert {i.contact_id: i.rating for i in delta.changed}[cid] == service.score(cid).rating.value


def test_a_role_that_may_not_rate_leaves_the_check_to_a_casework_desk(
    store: EventStore,
) -> None:
    service, cid, _ = _rated_store(store)
    wrong = _stale_rating(store, service, cid)
    auditor = TriageService(store, actor(Role.AUDITOR), FixedClock(NOW))
    count = store.event_count()
    assert auditor.recheck_after_scoring_fix() == 0
    desk = _desk(store, auditor)
    desk.changes_since(desk.last_seq())
    assert store.event_count() == count and _rating(service, cid) == wrong.value
    assert service.recheck_after_scoring_fix() == 1


def test_a_rebuild_gives_each_row_the_revision_its_rating_said(store: EventStore) -> None:
    service, cid, other = _rated_store(store)
    _stale_rating(store, service, cid, NEWER)
    _stale_rating(store, service, other)
    unrated = contact_payload(received_at=(NOW - timedelta(hours=3)).isoformat())
    store.append([event("contact.received", unrated, NOW - timedelta(hours=3))])
    before = store.read_model().contacts
    assert {c: before[c].scorer_revision for c in (cid, other, unrated["contact_id"])} == {
        cid: NEWER,
        other: 1,
        unrated["contact_id"]: None,
    }
    store.rebuild()
    assert store.read_model().contacts == before
    assert service.recheck_after_scoring_fix() == 1  # ``other`` only, after the rebuild too


def test_a_standalone_store_upgraded_to_the_column_checks_its_ratings_once(
    tmp_path: Path,
) -> None:
    """A store from before this revision: every rating it holds was made before ratings
    said their revision (1), whatever its old store-wide mark said; the mark goes, the
    rows are what a rebuild gives, and the first check re-rates each open contact once."""
    path = tmp_path / "old.sqlite3"
    store = EventStore.open(path)
    try:
        service, cid, other = _rated_store(store)
        unrated = contact_payload(received_at=(NOW - timedelta(hours=3)).isoformat())
        store.append([event("contact.received", unrated, NOW - timedelta(hours=3))])
        command.downgrade(alembic_config(store.engine), BEFORE_THE_COLUMN)
        with store.engine.begin() as conn:
            # what that code's store held: ratings without a revision (the events here are
            # this code's, so the field is taken out of the log as the old desk wrote it),
            # and its mark "all checked against 2"
            conn.exec_driver_sql(
                "UPDATE events SET payload = json_remove(payload, '$.scorer_revision') "
                "WHERE type = 'contact.rated'"
            )
            conn.exec_driver_sql(
                "INSERT INTO store_meta (key, value) VALUES ('triage_scorer_revision', ?)",
                (str(SCORER_REVISION),),
            )
    finally:
        store.close()
    store = EventStore.open(path)
    try:
        assert current_revision(store.engine) == head_revision()
        assert store.get_meta("triage_scorer_revision") is None
        migrated = store.read_model().contacts
        assert {c: migrated[c].scorer_revision for c in (cid, other, unrated["contact_id"])} == {
            cid: 1,
            other: 1,
            unrated["contact_id"]: None,
        }
        store.rebuild()
        assert store.read_model().contacts == migrated
        service = TriageService(store, actor(Role.DUTY_MANAGER), FixedClock(NOW))
        assert service.rate_all_open() == 1  # start-up: the unrated one only
        assert service.recheck_after_scoring_fix() == 2
        assert service.recheck_after_scoring_fix() == 0
    finally:
        store.close()
