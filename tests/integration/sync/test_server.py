"""The shared server's own guarantees, exercised as ordinary (non-owner) login roles."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.hashchain import event_hash
from dutydesk.domain.permissions import EVENT_ACTIONS
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Login
from tests.permission_doc import documented_matrix

MakeLogin = Callable[[str], Login]
Connect = Callable[[Login], PgTransport]


def _as(login: Login, kind: str, payload: dict[str, object], at: datetime) -> Event:
    return event(kind, payload, at, actor=login.name, role=Role(login.group))


def test_roles_are_plain_logins_and_the_tables_belong_to_the_owner(make_login: MakeLogin) -> None:
    dm = make_login("duty_manager")
    with psycopg.connect(dm.dsn) as conn:
        flags = conn.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        assert flags == (False, False, False)
        owners = {
            r[0]
            for r in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'dutydesk'")
        }
        assert owners == {admin.OWNER}
        forced = conn.execute(
            "SELECT bool_and(relforcerowsecurity) FROM pg_class c JOIN "
            "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
            "'dutydesk' AND c.relkind = 'r'"
        ).fetchone()
        assert forced == (True,)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device, "
        "client_time, payload, payload_text, server_time, hash, prev_hash) VALUES (999999, "
        "gen_random_uuid(), 'note.added', 1, current_user, 'duty_manager', 'x', 'x', '{}', '{}', "
        "'x', 'x', 'x')",
        "UPDATE dutydesk.events SET device = 'changed'",
        "DELETE FROM dutydesk.events",
        "UPDATE dutydesk.counter SET last_seq = 0",
        "TRUNCATE dutydesk.events",
    ],
)
def test_clients_cannot_write_tables_directly(make_login: MakeLogin, statement: str) -> None:
    dm = make_login("duty_manager")
    with psycopg.connect(dm.dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_permission_table_on_the_server_is_the_documented_matrix(make_login: MakeLogin) -> None:
    """Each event type's row: the roles docs/security.md ticks for the action it needs."""
    with psycopg.connect(make_login("auditor").dsn) as conn:
        rows = set(conn.execute("SELECT role, event_type FROM dutydesk.event_permissions"))
    documented = documented_matrix()
    assert rows == {
        (r.value, kind) for kind, action in EVENT_ACTIONS.items() for r in documented[action]
    }


def test_init_twice_is_refused_and_upgrade_is_a_no_op(pg_server: str) -> None:
    with pytest.raises(admin.AdminError, match="already initialised"):
        admin.init(pg_server)
    assert admin.upgrade(pg_server) == []


@pytest.mark.parametrize(
    "login, group, password, message",
    [
        ("postgres", "duty_manager", None, "not allowed"),
        ("duty_manager", "duty_manager", None, "not allowed"),
        ("Robert'); DROP", "duty_manager", None, "not allowed"),
        ("ok.name", "superuser", None, "unknown group"),
        ("ok.name", "practitioner", "short", "at least 12"),
    ],
)
def test_add_user_refuses_bad_input(
    pg_server: str, login: str, group: str, password: str | None, message: str
) -> None:
    with pytest.raises(admin.AdminError, match=message):
        admin.add_user(pg_server, login, group, password)


def test_replaying_a_batch_changes_nothing(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    dm = make_login("duty_manager")
    received = _as(dm, "contact.received", contact_payload(), now)
    decided = _as(dm, "decision.recorded", decision_payload(received.payload["contact_id"]), now)
    t = connect(dm)
    first = t.submit([received, decided])
    assert [r.status for r in first] == ["accepted", "accepted"]
    head = t.state().head_seq
    again = t.submit([received, decided])
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert [(r.seq, r.hash) for r in again] == [(r.seq, r.hash) for r in first]
    assert t.state().head_seq == head


def test_a_changed_payload_under_a_known_id_is_rejected(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    dm = make_login("duty_manager")
    received = _as(dm, "contact.received", contact_payload(), now)
    t = connect(dm)
    t.submit([received])
    changed = dataclasses.replace(received, payload={**received.payload, "concern": "edited"})
    [r] = t.submit([changed])
    assert r.status == "rejected" and r.reason == (
        "this event id is already stored with different content"
    )
    [pulled] = [e for e in t.pull(0, 100_000) if e.id == received.id]
    assert pulled.payload["concern"] == received.payload["concern"]


def test_contact_officer_decision_is_rejected_even_through_raw_sql(
    make_login: MakeLogin, now: datetime
) -> None:
    co = make_login("contact_officer")
    received = _as(co, "contact.received", contact_payload(), now)
    decision = event(
        "decision.recorded",
        decision_payload(received.payload["contact_id"]),
        now,
        actor=co.name,
        role=Role.CONTACT_OFFICER,
    )
    as_manager = dataclasses.replace(
        decision, id=received.id[:-4] + "beef", actor_role="duty_manager"
    )
    body = json.dumps(
        [
            {
                "id": e.id,
                "type": e.type,
                "schema_version": 1,
                "actor": e.actor,
                "actor_role": e.actor_role,
                "device": e.device,
                "client_time": e.client_time,
                "payload_text": canonical_json(e.payload),
            }
            for e in (received, decision, as_manager)
        ]
    )
    with psycopg.connect(co.dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT status, reason FROM dutydesk.submit(%s::jsonb)", (body,)
        ).fetchall()
        stored = conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE id = ANY(%s::uuid[])",
            ([decision.id, as_manager.id],),
        ).fetchone()
    assert rows == [
        ("accepted", None),
        ("rejected", "the contact_officer role may not record decision.recorded"),
        ("rejected", f"login {co.name} is not a member of the duty_manager role"),
    ]
    assert stored == (0,)


def test_an_event_naming_another_actor_is_rejected(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    dm, other = make_login("duty_manager"), make_login("duty_manager")
    forged = _as(other, "contact.received", contact_payload(), now)
    [r] = connect(dm).submit([forged])
    assert r.status == "rejected" and "was sent by login" in (r.reason or "")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=60,
    ).filter(lambda s: s.strip()),
    key=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=8,
    ),
)
def test_server_and_python_hash_the_same_text(
    connect: Connect, make_login: MakeLogin, now: datetime, text: str, key: str
) -> None:
    """Any Unicode text (controls, quotes, astral planes) hashes identically on both sides."""
    dm = _shared_manager(make_login)
    note = _as(dm, "note.added", {"text": text}, now)
    # A free-form object reaches the server with arbitrary keys: key order must agree too.
    rated = _as(
        dm,
        "contact.rated",
        {
            "contact_id": "0190c3a0-0000-7000-8000-000000000abc",
            "score": 5,
            "rating": "red",
            "policy_version": "t",
            "reasons": [{key: text, "z": 1, "A": [True, None]}],
        },
        now,
    )
    t = connect(dm)
    receipts = t.submit([note, rated])
    assert [r.status for r in receipts] == ["accepted", "accepted"]
    for e, r in zip((note, rated), receipts, strict=True):
        synced = dataclasses.replace(e, server_seq=r.seq, server_time=r.server_time)
        assert event_hash(r.prev_hash or "", synced) == r.hash


_MANAGER: list[Login] = []


def _shared_manager(make_login: MakeLogin) -> Login:
    if not _MANAGER:
        _MANAGER.append(make_login("duty_manager"))
    return _MANAGER[0]


def test_a_payload_not_in_canonical_form_is_rejected(make_login: MakeLogin, now: datetime) -> None:
    dm = make_login("duty_manager")
    note = _as(dm, "note.added", {"text": "hello"}, now)
    body = json.dumps(
        [
            {
                "id": note.id,
                "type": note.type,
                "schema_version": 1,
                "actor": dm.name,
                "actor_role": "duty_manager",
                "device": "d",
                "client_time": "t",
                "payload_text": '{"text": "hello"}',
            }
        ]
    )
    with psycopg.connect(dm.dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT status, reason FROM dutydesk.submit(%s::jsonb)", (body,)
        ).fetchone()
    assert row == ("rejected", "the payload is not in canonical form")


def test_a_restricted_childs_events_are_invisible_without_access(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    dm, pr, allowed_pr, boss = (
        make_login("duty_manager"),
        make_login("practitioner"),
        make_login("practitioner"),
        make_login("admin"),
    )
    person = "0190c3a0-0000-7000-8000-" + dm.name.encode().hex()[-12:].rjust(12, "0")
    received = _as(
        dm,
        "contact.received",
        contact_payload(children=[{"person_id": person, "given_name": "Hidden"}]),
        now,
    )
    cid = received.payload["contact_id"]
    rated = _as(
        dm,
        "contact.rated",
        {"contact_id": cid, "score": 90, "rating": "red", "reasons": [], "policy_version": "t"},
        now,
    )
    registered = _as(dm, "person.registered", {"person_id": person, "given_name": "Hidden"}, now)
    restricted = _as(
        boss,
        "record.restricted",
        {"person_id": person, "allowed": [allowed_pr.name], "reason": "staff member's child"},
        now,
    )
    assert all(r.status == "accepted" for r in connect(dm).submit([registered, received, rated]))
    assert connect(boss).submit([restricted])[0].status == "accepted"
    ids = {registered.id, received.id, rated.id, restricted.id}

    def seen_by(login: Login) -> set[str]:
        return {e.id for e in connect(login).pull(0, 1_000_000)} & ids

    assert seen_by(pr) == set()  # not even the contact's rating, which names no one
    assert seen_by(dm) == set()  # recorded them, but is not on the allowed list
    assert seen_by(allowed_pr) == ids
    assert seen_by(boss) == set()  # administers, reads no restricted content
    with psycopg.connect(pr.dsn) as conn:  # direct SQL sees no more than the transport
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE contact_id = %s", (cid,)
        ).fetchone() == (0,)
    glass = _as(
        pr, "access.break_glass", {"person_id": person, "reason": "out of hours emergency"}, now
    )
    assert connect(pr).submit([glass])[0].status == "accepted"
    assert seen_by(pr) == ids
