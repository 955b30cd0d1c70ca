"""``dutydesk.submit_at`` (migration 0015): the submit with the desk's state check inside it.

A desk's fast path used to ask for the server's state, compare it, then submit: two round
trips. ``submit_at`` takes the state the desk last checked (epoch, schema version, rules
digest, its cursor) and is refused whole, storing nothing and poking nobody, unless the
server is still in it. Written as an attacker with an ordinary login: it must refuse every
mismatch the desk's own check refused, and it must not store anything ``submit`` would
refuse (it is ``submit`` that stores), answering exactly as ``submit`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import psycopg
import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.engine import SUPPORTED_SCHEMA
from dutydesk.sync.pg.transport import SERVER_MOVED, PgTransport, _submit_body
from dutydesk.sync.transport import ServerState
from tests.factories import decision_payload, event
from tests.integration.sync.conftest import Login, reset_server

MakeLogin = Callable[[str], Login]


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def _state(login: Login) -> ServerState:
    with PgTransport(login.dsn) as t:
        return t.state()


def _note(login: Login, now: datetime, text: str = "a note", **kw: Any) -> Event:
    return event(
        "note.added",
        {"text": text},
        now,
        actor=kw.get("actor", login.name),
        role=Role(kw.get("role", login.group)),
    )


def _unchecked(login: Login, now: datetime, payload: dict[str, Any]) -> Event:
    """A note whose payload the desk would have refused (the server must too)."""
    return Event(
        id=new_id(),
        type="note.added",
        actor=login.name,
        actor_role=login.group,
        device="test-desk",
        client_time=now.isoformat(),
        payload=payload,
    )


def _submit_at(login: Login, state: ServerState, e: Event) -> list[tuple[Any, ...]]:
    with psycopg.connect(login.dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT status, seq, hash, reason FROM dutydesk.submit_at(%s, %s, %s, %s, %s::jsonb)",
            (
                state.epoch,
                state.schema_version,
                state.rules_digest,
                state.head_seq,
                _submit_body([e]),
            ),
        ).fetchall()


def _stored(admin_dsn: str) -> tuple[int, int]:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM dutydesk.events), last_seq FROM dutydesk.counter"
        ).fetchone()
    return int(row[0]), int(row[1])  # type: ignore[index]


@pytest.mark.parametrize(
    "what",
    ["epoch", "schema older", "schema newer", "rules digest", "no rules digest", "head ahead"],
)
def test_a_server_not_in_the_state_the_desk_checked_stores_nothing_and_pokes_nobody(
    server: str, make_login: MakeLogin, now: datetime, what: str
) -> None:
    dm = make_login("duty_manager")
    state = _state(dm)
    assert state.schema_version == SUPPORTED_SCHEMA
    stale = {
        "epoch": ServerState(
            "00000000-0000-4000-8000-000000000000",
            state.schema_version,
            state.head_seq,
            state.rules_digest,
        ),
        "schema older": ServerState(
            state.epoch, state.schema_version - 1, state.head_seq, state.rules_digest
        ),
        "schema newer": ServerState(
            state.epoch, state.schema_version + 1, state.head_seq, state.rules_digest
        ),
        "rules digest": ServerState(state.epoch, state.schema_version, state.head_seq, "a" * 64),
        "no rules digest": ServerState(state.epoch, state.schema_version, state.head_seq, None),
        "head ahead": ServerState(
            state.epoch, state.schema_version, state.head_seq + 1, state.rules_digest
        ),
    }[what]
    before = _stored(server)
    with psycopg.connect(make_login("auditor").dsn, autocommit=True) as listener:
        listener.execute("LISTEN dutydesk_events")
        with pytest.raises(psycopg.Error) as raised:
            _submit_at(dm, stale, _note(dm, now))
        assert raised.value.sqlstate == SERVER_MOVED
        assert list(listener.notifies(timeout=0.3)) == []
    assert _stored(server) == before
    with PgTransport(dm.dsn) as t:  # the desk's transport: None, nothing stored
        assert t.submit_at(stale, [_note(dm, now)]) is None
    assert _stored(server) == before


def test_in_the_state_the_desk_checked_it_answers_and_stores_as_submit_does(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    """The oracle is ``submit``: the same events, sent to each, get the same verdicts and
    reasons; the accepted ones are chained and replay as duplicates alike."""
    dm, co = make_login("duty_manager"), make_login("contact_officer")
    kinds: list[tuple[Login, Callable[[], Event]]] = [
        (dm, lambda: _note(dm, now)),
        (co, lambda: _note(co, now, actor=dm.name, role=Role.CONTACT_OFFICER)),  # forged
        (
            co,
            lambda: event(
                "decision.recorded",
                decision_payload(new_id()),
                now,
                actor=co.name,
                role=Role.CONTACT_OFFICER,
            ),
        ),  # not a contact officer's
        (co, lambda: _unchecked(co, now, {"text": 12345})),  # breaks a payload rule
    ]
    for sender, make in kinds:
        via_at = _submit_at(sender, _state(sender), make())
        with psycopg.connect(sender.dsn, autocommit=True) as conn:
            via_submit = conn.execute(
                "SELECT status, seq, hash, reason FROM dutydesk.submit(%s::jsonb)",
                (_submit_body([make()]),),
            ).fetchall()
        assert [(r[0], r[3]) for r in via_at] == [(r[0], r[3]) for r in via_submit]
        assert via_at[0][0] == ("accepted" if sender is dm else "rejected")
    accepted = _note(dm, now)
    [(status, seq, hash_, _)] = _submit_at(dm, _state(dm), accepted)
    assert status == "accepted"
    with psycopg.connect(server) as conn:
        assert conn.execute(
            "SELECT seq, hash, prev_hash = (SELECT hash FROM dutydesk.events WHERE seq = %s) "
            "FROM dutydesk.events WHERE id = %s",
            (seq - 1, accepted.id),
        ).fetchone() == (seq, hash_, True)
    assert _submit_at(dm, _state(dm), accepted)[0][:3] == ("duplicate", seq, hash_)


@pytest.mark.parametrize("what", ["restricted record", "client time", "hidden event's id"])
def test_submit_at_refuses_what_submit_refuses_about_records_it_may_not_touch(
    server: str, make_login: MakeLogin, now: datetime, what: str
) -> None:
    """Review rev3, as an ordinary login: a write into a record restricted from it, a
    client time from the far future, and the id of an event it cannot read (with its own
    content) get from submit_at what submit answers, word for word, and store nothing."""
    pr, dm, boss = make_login("practitioner"), make_login("duty_manager"), make_login("admin")
    person = new_id()
    hidden = Event(
        id=new_id(),
        type="person.registered",
        actor=dm.name,
        actor_role=dm.group,
        device="test-desk",
        client_time=now.isoformat(),
        payload={"person_id": person, "given_name": "Hidden"},
    )
    restrict = Event(
        id=new_id(),
        type="record.restricted",
        actor=boss.name,
        actor_role=boss.group,
        device="test-desk",
        client_time=now.isoformat(),
        payload={"person_id": person, "allowed": [dm.name], "reason": "staff member's child"},
    )
    for login, e in ((dm, hidden), (boss, restrict)):
        with PgTransport(login.dsn) as t:
            assert [r.status for r in t.submit([e])] == ["accepted"]

    def attempt() -> Event:
        base = Event(
            id=new_id(),
            type="note.added",
            actor=pr.name,
            actor_role=pr.group,
            device="test-desk",
            client_time=now.isoformat(),
            payload={"person_id": person, "text": "written without access"},
        )
        if what == "client time":
            return replace(
                base, client_time="2999-01-01T00:00:00+00:00", payload={"text": "from the future"}
            )
        if what == "hidden event's id":
            return replace(base, id=hidden.id, payload={"text": "probe"})
        return base

    before = _stored(server)
    via_at = _submit_at(pr, _state(pr), attempt())
    with psycopg.connect(pr.dsn, autocommit=True) as conn:
        via_submit = conn.execute(
            "SELECT status, seq, hash, reason FROM dutydesk.submit(%s::jsonb)",
            (_submit_body([attempt()]),),
        ).fetchall()
    assert via_at[0][0] == "rejected" and via_at[0][1:3] == (None, None)
    assert [(r[0], r[3]) for r in via_at] == [(r[0], r[3]) for r in via_submit]
    assert _stored(server) == before


@pytest.mark.parametrize("how", ["2,001 events", "one event of 5 MB"])
@pytest.mark.parametrize("call", ["submit", "submit_at"])
def test_a_call_too_big_to_hold_the_counter_row_is_refused_before_the_lock(
    server: str, make_login: MakeLogin, now: datetime, how: str, call: str
) -> None:
    """Review rev3: a login that switched its statement_timeout off held the counter row
    with one ~20 MB call for longer than any other submit waits (5 s + 20 s), busy, so not
    ended as an idle holder. Migration 0016 refuses such a call whole before the lock;
    while another session holds the row, the refusal comes at once."""
    co = make_login("contact_officer")
    if how == "2,001 events":
        events = [_note(co, now) for _ in range(2001)]
    else:
        events = [_unchecked(co, now, {"text": "x", "a": [0] * 2_600_000})]
    body = _submit_body(events)
    state = _state(co)
    before = _stored(server)
    with psycopg.connect(server) as holder:  # holds the counter row meanwhile
        holder.execute("SELECT 1 FROM dutydesk.counter FOR UPDATE")
        with psycopg.connect(co.dsn, autocommit=True) as conn:
            conn.execute("SET statement_timeout = 0")
            conn.execute("SET lock_timeout = 0")
            sql, args = (
                ("SELECT * FROM dutydesk.submit(%s::jsonb)", (body,))
                if call == "submit"
                else (
                    "SELECT * FROM dutydesk.submit_at(%s, %s, %s, %s, %s::jsonb)",
                    (state.epoch, state.schema_version, state.rules_digest, state.head_seq, body),
                )
            )
            with pytest.raises(psycopg.Error) as raised:
                conn.execute(sql, args)
            assert raised.value.sqlstate == "54000", raised.value
    assert _stored(server) == before
