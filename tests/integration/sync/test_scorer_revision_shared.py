"""Ratings an older scoring revision made, shared through a real PostgreSQL server.

The model (docs/triage.md "Rated on arrival"): every ``contact.rated`` says the scoring
revision that made it (absent: before revisions, 1); a desk whose code is newer re-rates,
on its window's live poll, every open contact whose recorded rating a lower revision made,
whichever desk made it and however it arrived (a pull into an old store or a new one); a
rating a higher revision made is not rated back, so two desks never answer each other;
a person's override keeps the rating and its due time; a closed contact keeps its rating.
The server takes the field and payloads without it; a server whose rules predate it
stops a desk by name before anything is pushed (docs/sync.md, rules digest)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
import pytest

from dutydesk.domain import server_rules
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Rating, Role
from dutydesk.domain.events import Actor, Event
from dutydesk.domain.ids import new_id
from dutydesk.domain.triage import scoring
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services import triage as triage_service
from dutydesk.services.desk import DeskService
from dutydesk.services.triage import TriageService
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from dutydesk.sync.transport import IncompatibleServer
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Desk, Login
from tests.integration.sync.test_rules_digest import _real_rules, restore_rules  # noqa: F401

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]
NEWER = SCORER_REVISION + 1


def _service(desk: Desk, now: datetime) -> DeskService:
    """The desk's window: its person's triage and queue (``app.main``'s start-up rating
    included)."""
    who = Actor(login=desk.login.name, role=Role(desk.login.group), device="test-desk")
    triage = TriageService(desk.store, who, FixedClock(now))
    triage.rate_all_open()
    return DeskService(desk.store, who, FixedClock(now), triage=triage)


def _poll(service: DeskService) -> int:
    """One live poll of the window; how many events it wrote."""
    before = service.store.event_count()
    service.changes_since(service.last_seq())
    return service.store.event_count() - before


def _row(desk: Desk, cid: str) -> Any:
    return desk.store.read_model().contacts[cid]


def _old_rating(desk: Desk, now: datetime, cid: str, revision: int | None = None) -> str:
    """Record on ``desk`` a rating of ``cid`` the current code would not give, as a desk of
    scoring revision ``revision`` writes it (``None``: before revisions, no field)."""
    who = Actor(login=desk.login.name, role=Role(desk.login.group), device="old-desk")
    payload = TriageService(desk.store, who, FixedClock(now)).score(cid).to_payload()
    wrong = Rating.GREEN.value if payload["rating"] != Rating.GREEN.value else Rating.AMBER.value
    payload.update(rating=wrong, score=int(payload["score"]) + 7)
    del payload["scorer_revision"]
    if revision is not None:
        payload["scorer_revision"] = revision
    desk.store.append(
        [event("contact.rated", payload, now, actor=desk.login.name, role=Role(desk.login.group))]
    )
    return wrong


def _received(desk: Desk, now: datetime) -> str:
    p = contact_payload()
    desk.store.append(
        [event("contact.received", p, now, actor=desk.login.name, role=Role(desk.login.group))]
    )
    return str(p["contact_id"])


def _server_count(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()
    assert row is not None
    return int(row[0])


def _settled(admin_dsn: str, *desks: tuple[Desk, DeskService, int]) -> None:
    """Sync and poll every desk (as code of the given scoring revision) until a whole
    round moves nothing: no event written, sent or pulled (a loop never gets there)."""
    for _ in range(5):
        moved = 0
        for desk, service, revision in desks:
            with _code_of_revision(revision):
                first = desk.engine.sync()
                wrote = _poll(service)
                then = desk.engine.sync()
            moved += first.accepted + first.pulled + wrote + then.accepted + then.pulled
        if not moved:
            return
    pytest.fail(f"the desks still answer each other ({_server_count(admin_dsn)} events)")


@contextmanager
def _code_of_revision(revision: int) -> Iterator[None]:
    """Run as a desk whose scoring code is ``revision`` (the same arithmetic, named so)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scoring, "SCORER_REVISION", revision)
        patch.setattr(triage_service, "SCORER_REVISION", revision)
        yield


@pytest.mark.parametrize("revision", [None, SCORER_REVISION - 1])
def test_an_old_desk_s_rating_pulled_into_a_new_store_is_corrected_once(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime, revision: Any
) -> None:
    old = make_desk(make_login("practitioner"))
    cid = _received(old, now)
    wrong = _old_rating(old, now, cid, revision)
    assert old.engine.sync().accepted == 2

    new = make_desk(make_login("duty_manager"))  # a new store, after the rating is there
    assert new.engine.sync().pulled == 2
    assert (_row(new, cid).rating, _row(new, cid).scorer_revision) == (wrong, revision or 1)
    window = _service(new, now)
    assert _row(new, cid).rating == wrong  # start-up leaves it (off the first-frame path)
    assert _poll(window) == 1
    fixed = window.triage.score(cid).rating.value
    assert fixed != wrong
    assert (_row(new, cid).rating, _row(new, cid).scorer_revision) == (fixed, SCORER_REVISION)

    # the old desk's store holds the correction after its next pull; nobody answers it
    _settled(
        empty_server, (new, window, SCORER_REVISION), (old, _service(old, now), SCORER_REVISION)
    )
    assert _server_count(empty_server) == 3
    for desk in (old, new):
        assert (_row(desk, cid).rating, _row(desk, cid).scorer_revision) == (
            fixed,
            SCORER_REVISION,
        )


def test_an_old_desk_s_rating_pulled_into_a_checked_store_is_corrected_too(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """The gap before: a store that had run its once-per-store check never looked again."""
    old, new = make_desk(make_login("practitioner")), make_desk(make_login("duty_manager"))
    cid = _received(old, now)
    old.engine.sync()
    new.engine.sync()
    window = _service(new, now)  # rated at start-up (pulled unrated)
    assert _row(new, cid).scorer_revision == SCORER_REVISION and _poll(window) == 0
    new.engine.sync()
    old.engine.sync()
    wrong = _old_rating(old, now, cid)  # the old desk rates it after all that
    old.engine.sync()
    assert new.engine.sync().pulled == 1
    assert _row(new, cid).rating == wrong
    assert _poll(window) == 1
    assert _row(new, cid).rating == window.triage.score(cid).rating.value != wrong


def test_a_desk_on_an_older_revision_leaves_a_newer_desk_s_rating(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    newer, this = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    cid = _received(newer, now)
    theirs = _old_rating(newer, now, cid, NEWER)  # what this code would call wrong
    newer.engine.sync()
    this.engine.sync()
    window = _service(this, now)
    count = _server_count(empty_server)
    _settled(empty_server, (this, window, SCORER_REVISION))
    assert _server_count(empty_server) == count
    assert (_row(this, cid).rating, _row(this, cid).scorer_revision) == (theirs, NEWER)


def test_desks_on_two_revisions_do_not_answer_each_other(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """Through a rating of each, and a change to the child's history that both re-rate
    for (an earlier contact recorded late): the newer desk's rating stands each time."""
    older, newer = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    pid = new_id()
    kid = {**contact_payload()["children"][0], "person_id": pid}
    person = {k: kid[k] for k in ("given_name", "family_name", "date_of_birth")}
    x = contact_payload(children=[kid])
    who: dict[str, Any] = {"actor": older.login.name, "role": Role.DUTY_MANAGER}
    older.store.append(
        [
            event("person.registered", {"person_id": pid, **person}, now, **who),
            event("contact.received", x, now, **who),
        ]
    )
    older.engine.sync()
    newer.engine.sync()
    older_window = _service(older, now)
    with _code_of_revision(NEWER):
        newer_window = _service(newer, now)
    both = ((older, older_window, SCORER_REVISION), (newer, newer_window, NEWER))
    _settled(empty_server, *both)
    cid = x["contact_id"]
    assert {_row(d, cid).scorer_revision for d in (older, newer)} == {NEWER}

    earlier = contact_payload(children=[kid], received_at="2026-10-01T10:00:00+00:00")
    older.store.append([event("contact.received", earlier, now, **who)])
    before = _row(older, cid).score
    assert _poll(older_window) >= 1  # the history changed: the older desk re-rates
    assert (_row(older, cid).scorer_revision, _row(older, cid).score != before) == (
        SCORER_REVISION,
        True,
    )
    _settled(empty_server, *both)
    rows = [_row(d, cid) for d in (older, newer)]
    assert {r.scorer_revision for r in rows} == {NEWER} and rows[0] == rows[1]


def test_an_override_is_kept_through_the_other_desk_s_check(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    old, new = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    cid = _received(old, now)
    _old_rating(old, now, cid)
    who = Actor(login=old.login.name, role=Role.DUTY_MANAGER, device="old-desk")
    TriageService(old.store, who, FixedClock(now)).override(
        cid, Rating.RED.value, "The school rang: she is afraid to go home"
    )
    held = _row(old, cid)
    old.engine.sync()
    new.engine.sync()
    window = _service(new, now)
    assert _poll(window) == 1  # the score and reasons are checked ...
    _settled(
        empty_server, (new, window, SCORER_REVISION), (old, _service(old, now), SCORER_REVISION)
    )
    for desk in (old, new):
        row = _row(desk, cid)  # ... the person's rating and due time stand
        assert row.overridden and (row.rating, row.due_at) == (Rating.RED.value, held.due_at)
        assert row.scorer_revision == SCORER_REVISION
        desk.store.rebuild()
        assert _row(desk, cid) == row


def test_a_closed_contact_keeps_the_old_desk_s_rating(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    old, new = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    cid = _received(old, now)
    wrong = _old_rating(old, now, cid)
    old.store.append([event("decision.recorded", decision_payload(cid), now, actor=old.login.name)])
    old.engine.sync()
    new.engine.sync()
    assert _poll(_service(new, now)) == 0
    assert (_row(new, cid).rating, _row(new, cid).scorer_revision) == (wrong, 1)


# ---- the server ------------------------------------------------------------------------


def _rules_before_the_field() -> dict[str, dict[str, Any]]:
    """The server's rules as the release before this one wrote them."""
    rules = _real_rules()  # (the real ones: taken before any test replaces them)
    del rules["contact.rated"]["fields"]["scorer_revision"]
    return rules


def _rated(login: Login, now: datetime, cid: str, **extra: Any) -> Event:
    payload = {
        "contact_id": cid,
        "score": 10,
        "rating": "green",
        "reasons": [],
        "policy_version": "2026-11",
        **extra,
    }
    return event("contact.rated", payload, now, actor=login.name, role=Role(login.group))


def test_the_server_takes_the_revision_and_payloads_without_it(
    empty_server: str, make_login: MakeLogin, connect: Callable[[Login], PgTransport], now: datetime
) -> None:
    login = make_login("practitioner")
    t = connect(login)
    cid = str(contact_payload()["contact_id"])
    received = event(
        "contact.received",
        {**contact_payload(), "contact_id": cid},
        now,
        actor=login.name,
        role=Role.PRACTITIONER,
    )
    sent = [received, _rated(login, now, cid), _rated(login, now, cid, scorer_revision=2)]
    assert [r.status for r in t.submit(sent)] == ["accepted"] * 3
    for bad in (0, "2", True, 10_001):  # as a desk's own check would never send them
        valid = _rated(login, now, cid)
        forged = dataclasses.replace(valid, payload={**valid.payload, "scorer_revision": bad})
        [r] = t.submit([forged])
        assert r.status == "rejected" and "scorer_revision" in (r.reason or ""), r


@pytest.mark.usefixtures("restore_rules")
def test_a_server_whose_rules_predate_the_field_stops_the_desk_by_name(
    pg_server: str,
    empty_server: str,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    connect: Callable[[Login], PgTransport],
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not refused event by event, not quarantined: the desk stops before pushing, its
    ratings wait, and sync resumes once the server is upgraded with this version."""
    monkeypatch.setattr(server_rules, "rules", _rules_before_the_field)
    assert admin.upgrade(pg_server) == []  # no migration: only the rules differ
    monkeypatch.undo()
    desk = make_desk(make_login("duty_manager"))
    cid = _received(desk, now)
    window = _service(desk, now)
    assert _poll(window) == 0 and _row(desk, cid).scorer_revision == SCORER_REVISION
    with pytest.raises(IncompatibleServer, match="written by a different DutyDesk version"):
        desk.engine.sync()
    assert _server_count(pg_server) == 0 and desk.engine.state.waiting_count() == 2
    # and that server would refuse the field by name, never store it unchecked
    login = make_login("practitioner")
    [r] = connect(login).submit([_rated(login, now, cid, scorer_revision=SCORER_REVISION)])
    assert r.status == "rejected" and "scorer_revision" in (r.reason or ""), r

    assert admin.upgrade(pg_server) == []
    report = desk.engine.sync()
    assert report.online and report.accepted == 2 and report.waiting == 0
