"""The shared server attacked by its own logins (issue 12).

Written from the documented security model (docs/security.md), as an attacker with an
ordinary login in each DutyDesk group would try it: temporary objects that shadow the names
the server's functions use, direct writes, forged actors, malformed events, reads and
writes of restricted records, break-glass, link and unlink, and an idle open transaction
that holds the submit lock. Every login here is a plain LOGIN role made by
``dutydesk server add-user``'s code: never superuser, owner or BYPASSRLS. The superuser
connection is used only to set up (granting TEMP back, to prove the functions hold even
then) and to look at what the attack changed.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.event_permissions import ALLOWED
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, reset_server

MakeLogin = Callable[[str], Login]
GROUPS = [r.value for r in Role]
OWNER = admin.OWNER


@pytest.fixture(scope="module")
def crew(make_login: MakeLogin) -> dict[str, Login]:
    """One attacker per group, and the admin and duty manager the scenes need."""
    return {
        **{g: make_login(g) for g in GROUPS},
        "boss": make_login("admin"),
        "dm": make_login("duty_manager"),
    }


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def _as(
    login: Login, kind: str, payload: dict[str, Any], at: datetime, role: str | None = None
) -> Event:
    return event(kind, payload, at, actor=login.name, role=Role(role or login.group))


def _body(*events: Event, **override: Any) -> str:
    return json.dumps(
        [
            {
                "id": e.id,
                "type": e.type,
                "schema_version": e.schema_version,
                "actor": e.actor,
                "actor_role": e.actor_role,
                "device": e.device,
                "client_time": e.client_time,
                "payload_text": canonical_json(e.payload),
                **override,
            }
            for e in events
        ]
    )


def _submit(login: Login, *events: Event) -> list[tuple[str, str | None]]:
    with PgTransport(login.dsn) as t:
        return [(r.status, r.reason) for r in t.submit(list(events))]


def _seen(login: Login) -> set[str]:
    with PgTransport(login.dsn) as t:
        return {e.id for e in t.pull(0, 1_000_000)}


def _permission_rows(admin_dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(admin_dsn) as conn:
        return set(conn.execute("SELECT role, event_type FROM dutydesk.event_permissions"))


def _grant_temp(admin_dsn: str, login: Login) -> None:
    """Give the attacker TEMP back (the hardened server revokes it from PUBLIC): the
    functions must hold on their own, not only because temporary objects are refused."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        db = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        conn.execute(
            psycopg.sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(
                psycopg.sql.Identifier(db), psycopg.sql.Identifier(login.name)
            )
        )


def _restrict(admin_login: Login, person: str, allowed: list[str], now: datetime) -> None:
    assert _submit(
        admin_login,
        _as(
            admin_login,
            "record.restricted",
            {"person_id": person, "allowed": allowed, "reason": "staff member's child"},
            now,
        ),
    ) == [("accepted", None)]


def _restricted_person(dm: Login, boss: Login, now: datetime) -> tuple[str, Event]:
    """A person registered by ``dm``, then restricted by ``boss`` to ``dm`` alone."""
    person = new_id()
    secret = _as(dm, "person.registered", {"person_id": person, "given_name": "Hidden"}, now)
    assert _submit(dm, secret)[0][0] == "accepted"
    _restrict(boss, person, [dm.name], now)
    return person, secret


# ---- 1. definer functions that cannot be hijacked ------------------------------------------

# Objects an attacker's session makes in its temporary schema, each calling pg_temp.mark()
# which records, in a session setting, the role it ran as. If any server function resolves
# a name to the temporary schema, mark() runs as the owner and says so.
_MARK = (
    "CREATE FUNCTION pg_temp.mark() RETURNS boolean LANGUAGE sql VOLATILE AS "
    "$$ SELECT pg_catalog.set_config('attack.ran_as', "
    "coalesce(pg_catalog.current_setting('attack.ran_as', true), '') "
    "|| ' ' || current_user, false) IS NOT NULL $$"
)
SHADOWS = {
    # catalogue relations the 0001 functions read unqualified
    "view pg_roles": "CREATE VIEW pg_temp.pg_roles AS SELECT r.* FROM pg_catalog.pg_roles r "
    "WHERE pg_temp.mark()",
    "view pg_auth_members": "CREATE VIEW pg_temp.pg_auth_members AS SELECT m.* FROM "
    "pg_catalog.pg_auth_members m WHERE pg_temp.mark()",
    "view pg_stat_activity": "CREATE VIEW pg_temp.pg_stat_activity AS SELECT a.* FROM "
    "pg_catalog.pg_stat_activity a WHERE pg_temp.mark()",
    "view pg_locks": "CREATE VIEW pg_temp.pg_locks AS SELECT l.* FROM pg_catalog.pg_locks l "
    "WHERE pg_temp.mark()",
    # the server's own table names
    "table restrictions": "CREATE TABLE pg_temp.restrictions AS SELECT pg_temp.mark() AS x",
    "view events": "CREATE VIEW pg_temp.events AS SELECT * FROM dutydesk.events "
    "WHERE pg_temp.mark()",
    "view counter": "CREATE VIEW pg_temp.counter AS SELECT true AS singleton, 0::bigint AS "
    "last_seq, '' AS last_hash WHERE pg_temp.mark()",
    # catalogue functions (PostgreSQL never looks these up in pg_temp; shown, not assumed)
    "function pg_has_role": "CREATE FUNCTION pg_temp.pg_has_role(name, text, text) RETURNS "
    "boolean LANGUAGE sql AS $$ SELECT pg_temp.mark() $$",
    "function current_setting": "CREATE FUNCTION pg_temp.current_setting(text) RETURNS text "
    "LANGUAGE sql AS $$ SELECT pg_temp.mark()::text $$",
    "function has_table_privilege": "CREATE FUNCTION pg_temp.has_table_privilege(text, text) "
    "RETURNS boolean LANGUAGE sql AS $$ SELECT pg_temp.mark() $$",
    "function jsonb_typeof": "CREATE FUNCTION pg_temp.jsonb_typeof(jsonb) RETURNS text "
    "LANGUAGE sql AS $$ SELECT 'object' WHERE pg_temp.mark() $$",
    # types, casts and operators
    "domain text": "CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.mark())",
    "domain jsonb": "CREATE DOMAIN pg_temp.jsonb AS pg_catalog.jsonb CHECK (pg_temp.mark())",
    "domain uuid": "CREATE DOMAIN pg_temp.uuid AS pg_catalog.uuid CHECK (pg_temp.mark())",
    "operator =": "CREATE FUNCTION pg_temp.eq(text, text) RETURNS boolean LANGUAGE sql AS "
    "$$ SELECT pg_temp.mark() AND $1 OPERATOR(pg_catalog.=) $2 $$; "
    "CREATE OPERATOR pg_temp.= (LEFTARG = text, RIGHTARG = text, "
    "FUNCTION = pg_temp.eq)",
    # submit_at (0015) compares a bigint head and reads two definer functions by name
    "operator >= bigint": "CREATE FUNCTION pg_temp.ge(bigint, bigint) RETURNS boolean "
    "LANGUAGE sql AS $$ SELECT pg_temp.mark() AND $1 OPERATOR(pg_catalog.>=) $2 $$; "
    "CREATE OPERATOR pg_temp.>= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = pg_temp.ge)",
    "function server_state": "CREATE FUNCTION pg_temp.server_state() RETURNS TABLE "
    "(epoch uuid, schema_version integer, head_seq bigint) LANGUAGE sql AS "
    "$$ SELECT NULL::uuid, 0, 0::bigint WHERE pg_temp.mark() $$",
    "function rules_digest": "CREATE FUNCTION pg_temp.rules_digest() RETURNS text "
    "LANGUAGE sql AS $$ SELECT pg_temp.mark()::text $$",
}


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("shadow", sorted(SHADOWS))
def test_temporary_objects_never_run_inside_the_server_functions(
    server: str, crew: dict[str, Login], now: datetime, group: str, shadow: str
) -> None:
    attacker, boss, dm = crew[group], crew["boss"], crew["dm"]
    _restrict(boss, new_id(), [dm.name], now)  # so the read check walks its whole path
    _grant_temp(server, attacker)
    before = _permission_rows(server)
    mine = _as(attacker, "record.viewed", {"reason": "looking"}, now)
    with psycopg.connect(attacker.dsn, autocommit=True) as conn:
        conn.execute(_MARK)
        conn.execute(SHADOWS[shadow])
        if shadow.startswith(("view ", "table ")):  # let the owner read it, as an attacker would
            conn.execute(f"GRANT SELECT ON pg_temp.{shadow.split()[1]} TO PUBLIC")
        tries = [
            ("SELECT count(*) FROM dutydesk.events", ()),
            ("SELECT * FROM dutydesk.server_state()", ()),
            ("SELECT dutydesk.hash_at(1)", ()),
            ("SELECT status FROM dutydesk.submit(%s::jsonb)", (_body(mine),)),
            (
                "SELECT status FROM dutydesk.submit_at((SELECT epoch FROM "
                "dutydesk.server_state()), (SELECT schema_version FROM "
                "dutydesk.server_state()), dutydesk.rules_digest(), 0, %s::jsonb)",
                (_body(mine),),
            ),
        ]
        for query, params in tries:
            # refusing is fine; running the attacker's code as the owner is not
            with contextlib.suppress(psycopg.Error):
                conn.execute(query, params).fetchall()
        ran_as = conn.execute("SELECT current_setting('attack.ran_as', true)").fetchone()[0]  # type: ignore[index]
    assert OWNER not in (ran_as or ""), f"{shadow} ran inside a definer function as the owner"
    assert _permission_rows(server) == before


def test_a_hijack_attempt_cannot_rewrite_the_permission_table(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    """The escalation as reported: an auditor's temporary pg_roles runs its own SQL."""
    auditor, boss, dm = make_login("auditor"), make_login("admin"), make_login("duty_manager")
    person, secret = _restricted_person(dm, boss, now)
    _grant_temp(server, auditor)
    before = _permission_rows(server)
    with psycopg.connect(auditor.dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION pg_temp.grab() RETURNS boolean LANGUAGE sql VOLATILE AS "
            "$$ INSERT INTO dutydesk.event_permissions VALUES ('auditor', "
            "'record.restricted') ON CONFLICT DO NOTHING; SELECT true $$"
        )
        conn.execute(
            "CREATE VIEW pg_temp.pg_roles AS SELECT r.* FROM pg_catalog.pg_roles r "
            "WHERE pg_temp.grab()"
        )
        conn.execute("GRANT SELECT ON pg_temp.pg_roles TO PUBLIC")
        mine = _as(auditor, "record.viewed", {"reason": "looking"}, now)
        for query, params in (
            ("SELECT count(*) FROM dutydesk.events", ()),
            ("SELECT * FROM dutydesk.submit(%s::jsonb)", (_body(mine),)),
        ):
            with contextlib.suppress(psycopg.Error):
                conn.execute(query, params).fetchall()
    assert ("auditor", "record.restricted") not in _permission_rows(server)
    assert _permission_rows(server) == before


@pytest.mark.parametrize("group", GROUPS)
def test_public_keeps_no_temp_or_create_and_clients_execute_only_what_they_call(
    server: str, make_login: MakeLogin, group: str
) -> None:
    login = make_login(group)
    with psycopg.connect(login.dsn) as conn:
        temp, create_db, create_public = conn.execute(
            "SELECT has_database_privilege(current_database(), 'TEMPORARY'), "
            "has_database_privilege(current_database(), 'CREATE'), "
            "has_schema_privilege('public', 'CREATE')"
        ).fetchone()  # type: ignore[misc]
        assert (temp, create_db, create_public) == (False, False, False)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TEMPORARY TABLE t (x int)")
        conn.rollback()
        callable_ = {
            r[0]
            for r in conn.execute(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'dutydesk' AND has_function_privilege(p.oid, 'EXECUTE')"
            )
        }
    expected = {
        "submit",
        "submit_at",
        "server_state",
        "hash_at",
        "may_read",
        "checkpoints",
        "checkpoint_keys",
        "directory",
        "report_quarantine",
        "withheld",
        "withheld_stamp",
        "rules_digest",
    }
    if group in ("auditor", "duty_manager", "admin"):
        expected.add("chain_check")
    if group == "admin":
        expected.add("quarantine_alerts")
    assert callable_ == expected


def test_every_definer_function_pins_its_search_path_with_pg_temp_last(
    server: str, make_login: MakeLogin
) -> None:
    with psycopg.connect(make_login("auditor").dsn) as conn:
        rows = conn.execute(
            "SELECT p.proname, p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'dutydesk'"
        ).fetchall()
    assert rows
    for name, _definer, config in rows:
        assert config is not None and "search_path=pg_catalog, dutydesk, pg_temp" in config, name


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device, "
        "client_time, payload, payload_text, server_time, hash, prev_hash) VALUES (999999, "
        "gen_random_uuid(), 'note.added', 1, current_user, 'duty_manager', 'x', 'x', '{}', '{}', "
        "'x', 'x', 'x')",
        "UPDATE dutydesk.events SET person_ids = '{}'",
        "DELETE FROM dutydesk.events",
        "UPDATE dutydesk.counter SET last_seq = 0",
        "INSERT INTO dutydesk.event_permissions VALUES ('contact_officer', 'record.restricted')",
        "DELETE FROM dutydesk.restrictions",
        "DELETE FROM dutydesk.contact_people",
        "INSERT INTO dutydesk.break_glass VALUES (gen_random_uuid(), current_user, now())",
        'UPDATE dutydesk.event_rules SET rule = \'{"kind": "any"}\'',
        "UPDATE dutydesk.server_policy SET policy = '{}'",
        "SELECT dutydesk.apply_side_tables('record.restricted', '{}', NULL, '{}', 'x', now())",
        "SELECT dutydesk.end_idle_lock_holders()",
        "SELECT dutydesk.check_payload('note.added', '{}', current_date)",
        "INSERT INTO dutydesk.checkpoints VALUES (1, repeat('a', 64), gen_random_uuid(), 'x', "
        "'x', 'x')",
        "DELETE FROM dutydesk.checkpoints",
        # a second trust root, or a key change nobody signed
        "INSERT INTO dutydesk.checkpoint_keys (key_id, public_key, added_at) VALUES "
        "('0123456789abcdef', repeat('A', 43) || '=', 'x')",
        "DELETE FROM dutydesk.checkpoint_keys",
        "UPDATE dutydesk.checkpoint_keys SET public_key = repeat('B', 43) || '='",
    ],
)
def test_clients_write_nothing_directly(
    server: str, make_login: MakeLogin, group: str, statement: str
) -> None:
    with (
        psycopg.connect(make_login(group).dsn) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_a_forged_actor_and_someone_elses_event_id_are_refused(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    dm, co = make_login("duty_manager"), make_login("contact_officer")
    forged = event(
        "note.added",
        {"text": "in someone else's name"},
        now,
        actor=dm.name,
        role=Role.CONTACT_OFFICER,
    )
    assert _submit(co, forged)[0][0] == "rejected"
    # dm's own event, replayed by another login: no "duplicate" answer (that answer would
    # let a login test guesses about an event it cannot read).
    real = _as(dm, "note.added", {"text": "the manager's note"}, now)
    assert _submit(dm, real)[0][0] == "accepted"
    with psycopg.connect(co.dsn, autocommit=True) as conn:
        status, seq = conn.execute(
            "SELECT status, seq FROM dutydesk.submit(%s::jsonb)", (_body(real),)
        ).fetchone()  # type: ignore[misc]
    assert (status, seq) == ("rejected", None)


# ---- 2. malformed events are refused with a reason --------------------------------------


@pytest.mark.parametrize(
    "kind, payload, reason",
    [
        ("note.added", {"text": 12345}, "note.added.text: expected text, got a number"),
        ("note.added", {"text": "ok", "colour": "red"}, 'note.added: unknown field "colour"'),
        ("note.added", {"contact_id": "not-a-uuid", "text": "ok"}, "note.added.contact_id:"),
        ("note.added", {}, "note.added.text: is required"),
        ("note.added", {"text": "x" * 20_001}, "at most 20000 allowed"),
        (
            "contact.assigned",
            {"contact_id": new_id(), "assignee": ["a"]},
            "contact.assigned.assignee: expected text",
        ),
        (
            "consent.recorded",
            {"contact_id": new_id(), "status": "maybe"},
            'consent.recorded.status: "maybe" is not a known consent status',
        ),
        (
            "supervision.recorded",
            {"worker": "a", "supervisor": "b", "held_on": "2030-01-01", "next_due": "2026-12-01"},
            "held_on: 2030-01-01 is in the future",
        ),
        (
            "supervision.recorded",
            {"worker": "a", "supervisor": "b", "held_on": "2026-02-30", "next_due": "2026-12-01"},
            "is not a date",
        ),
        (
            "person.registered",
            {"person_id": new_id(), "nhs_number": "1234567890"},
            'nhs_number: "1234567890" is not a valid NHS number',
        ),
        (
            "person.registered",
            {
                "person_id": new_id(),
                "date_of_birth": "2019-01-01",
                "expected_date_of_birth": "2026-12-01",
            },
            "not both",
        ),
        (
            "contact.rated",
            {
                "contact_id": new_id(),
                "score": 1.5,
                "rating": "red",
                "reasons": [],
                "policy_version": "1",
            },
            "contact.rated.score: expected a whole number",
        ),
        (
            "contact.received",
            contact_payload(children=[{"sex": "b"}]),
            "contact.received.children[0]: a child needs a name",
        ),
        (
            "conflict.resolved",
            {
                "contact_id": new_id(),
                "decision_ids": [new_id()],
                "chosen_decision_id": new_id(),
                "reason": "because",
            },
            "decision_ids: needs at least 2 item(s)",
        ),
    ],
)
def test_a_malformed_payload_is_refused_with_the_field_named(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    kind: str,
    payload: dict[str, Any],
    reason: str,
) -> None:
    dm = make_login("duty_manager")
    good = _as(dm, "note.added", {"text": "fine"}, now)
    bad = Event(
        id=new_id(),
        type=kind,
        actor=dm.name,
        actor_role="duty_manager",
        device="test-desk",
        client_time=now.isoformat(),
        payload=payload,
    )
    (status, why), (status2, _) = _submit(dm, bad, good)
    assert status == "rejected" and why is not None and reason in why, why
    assert status2 == "accepted"  # one bad event never stops the batch


@pytest.mark.parametrize(
    "client_time, reason",
    [
        ("yesterday", 'client_time: "yesterday" is not a date and time'),
        ("2026-11-26T09:30:00", "is not a date and time with a time zone"),
        ("1970-01-01T00:00:00+00:00", "implausibly early"),
        ("2999-01-01T00:00:00+00:00", "ahead of the server's clock"),
    ],
)
def test_client_time_must_be_well_formed_and_plausible(
    server: str, make_login: MakeLogin, now: datetime, client_time: str, reason: str
) -> None:
    dm = make_login("duty_manager")
    bad = Event(
        id=new_id(),
        type="note.added",
        actor=dm.name,
        actor_role="duty_manager",
        device="test-desk",
        client_time=client_time,
        payload={"text": "fine"},
    )
    status, why = _submit(dm, bad)[0]
    assert status == "rejected" and why is not None and reason in why, why


# ---- 4. restrictions as documented --------------------------------------------------------


@pytest.mark.parametrize(
    "group, reason, ok",
    [
        ("contact_officer", "out of hours emergency call", False),  # may not view restricted
        ("admin", "out of hours emergency call", False),  # administers, reads none
        ("practitioner", "", False),
        ("practitioner", "   x     ", False),
        ("practitioner", "too short", False),  # 9 characters
        ("practitioner", "out of hours emergency call", True),
    ],
)
def test_break_glass_needs_a_permitted_role_and_a_real_reason(
    server: str, make_login: MakeLogin, now: datetime, group: str, reason: str, ok: bool
) -> None:
    login, boss, dm = make_login(group), make_login("admin"), make_login("duty_manager")
    person, secret = _restricted_person(dm, boss, now)
    payload = {"person_id": person, "reason": reason}
    glass = Event(
        id=new_id(),
        type="access.break_glass",
        actor=login.name,
        actor_role=group,
        device="test-desk",
        client_time=now.isoformat(),
        payload=payload,
    )
    status, _why = _submit(login, glass)[0]
    assert (status == "accepted") is ok
    assert (secret.id in _seen(login)) is ok


def test_break_glass_lapses_after_the_desks_hours(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    pr, boss, dm = make_login("practitioner"), make_login("admin"), make_login("duty_manager")
    person, secret = _restricted_person(dm, boss, now)
    assert (
        _submit(
            pr,
            _as(
                pr,
                "access.break_glass",
                {"person_id": person, "reason": "out of hours emergency call"},
                now,
            ),
        )[0][0]
        == "accepted"
    )
    assert secret.id in _seen(pr)
    with psycopg.connect(server) as conn:  # nine hours pass
        conn.execute("UPDATE dutydesk.break_glass SET opened_at = opened_at - interval '9 hours'")
    assert secret.id not in _seen(pr)
    note = _as(pr, "note.added", {"person_id": person, "text": "writing after it lapsed"}, now)
    assert _submit(pr, note)[0][0] == "rejected"


def test_writes_into_a_restricted_record_need_access(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    pr, allowed, boss = make_login("practitioner"), make_login("practitioner"), make_login("admin")
    person = new_id()
    _restrict(boss, person, [allowed.name], now)
    note = _as(pr, "note.added", {"person_id": person, "text": "written without access"}, now)
    status, why = _submit(pr, note)[0]
    assert status == "rejected" and why is not None and "no access" in why
    ok = _as(allowed, "note.added", {"person_id": person, "text": "written with access"}, now)
    assert _submit(allowed, ok)[0][0] == "accepted"
    # a new contact about the child is never refused (safeguarding first)
    contact = _as(
        pr,
        "contact.received",
        contact_payload(children=[{"person_id": person, "given_name": "Hidden"}]),
        now,
    )
    assert _submit(pr, contact)[0][0] == "accepted"


def test_an_admin_reads_no_restricted_content(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    dm, boss = make_login("duty_manager"), make_login("admin")
    person = new_id()
    secret = _as(
        dm,
        "contact.received",
        contact_payload(children=[{"person_id": person, "given_name": "Hidden"}]),
        now,
    )
    assert _submit(dm, secret)[0][0] == "accepted"
    assert secret.id in _seen(boss)
    _restrict(boss, person, [dm.name, boss.name], now)  # even when named on the record
    assert secret.id not in _seen(boss)
    with psycopg.connect(boss.dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE id = %s", (secret.id,)
        ).fetchone() == (0,)


def test_unlinking_a_restricted_child_uncovers_the_contact(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    dm, colleague, boss = (
        make_login("duty_manager"),
        make_login("duty_manager"),
        make_login("admin"),
    )
    person = new_id()
    _restrict(boss, person, [dm.name], now)
    contact = _as(dm, "contact.received", contact_payload(), now)
    cid = contact.payload["contact_id"]
    assert _submit(dm, contact)[0][0] == "accepted"
    assert contact.id in _seen(colleague)
    link = _as(dm, "person.linked", {"contact_id": cid, "slot": 0, "person_id": person}, now)
    assert _submit(dm, link)[0][0] == "accepted"
    assert contact.id not in _seen(colleague)  # wrongly linked to the restricted child
    unlink = _as(
        dm,
        "person.unlinked",
        {"contact_id": cid, "slot": 0, "person_id": person, "reason": "wrong child"},
        now,
    )
    assert _submit(dm, unlink)[0][0] == "accepted"
    assert contact.id in _seen(colleague)  # the contact is visible again
    assert link.id not in _seen(colleague)  # the link names the restricted child


def test_no_function_tells_whether_a_person_is_restricted(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    co, boss, dm = make_login("contact_officer"), make_login("admin"), make_login("duty_manager")
    restricted, unknown = new_id(), new_id()
    _restrict(boss, restricted, [dm.name], now)

    def probe(person: str) -> list[str]:
        answers = []
        with psycopg.connect(co.dsn, autocommit=True) as conn:
            for query in (
                "SELECT dutydesk.may_see(ARRAY[%s]::uuid[], NULL)",
                "SELECT count(*) FROM dutydesk.events WHERE %s = ANY (person_ids)",
                "SELECT count(*) FROM dutydesk.restrictions WHERE person_id = %s",
            ):
                try:
                    answers.append(repr(conn.execute(query, (person,)).fetchall()))
                except psycopg.Error as err:
                    answers.append(type(err).__name__)
        return answers

    assert probe(restricted) == probe(unknown)


def test_an_idle_open_transaction_cannot_block_every_submit(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    attacker, victim = make_login("contact_officer"), make_login("duty_manager")
    holder = psycopg.connect(attacker.dsn)  # not autocommit: submit stays inside a transaction
    try:
        holder.execute("SET idle_in_transaction_session_timeout = 0")  # its own limit: off
        held = _as(attacker, "note.added", {"text": "held open"}, now)
        assert holder.execute(
            "SELECT status FROM dutydesk.submit(%s::jsonb)", (_body(held),)
        ).fetchone() == ("accepted",)
        result: dict[str, Any] = {}

        def submit() -> None:
            try:
                with psycopg.connect(victim.dsn, autocommit=True) as conn:
                    conn.execute("SET statement_timeout = '60s'")
                    result["row"] = conn.execute(
                        "SELECT status FROM dutydesk.submit(%s::jsonb)",
                        (_body(_as(victim, "note.added", {"text": "urgent"}, now)),),
                    ).fetchone()
            except psycopg.Error as err:
                result["error"] = err

        worker = threading.Thread(target=submit)
        worker.start()
        worker.join(90)
        assert not worker.is_alive()
        assert result.get("row") == ("accepted",), result.get("error")
        with pytest.raises(psycopg.OperationalError):  # the idle holder was ended
            holder.execute("SELECT 1")
    finally:
        holder.close()  # (on a server that did not end it, release the lock for later tests)
    assert held.id not in _seen(victim)  # and what it held was never committed


def test_an_expired_break_glass_is_counted_from_the_server_clock_not_the_client(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    """A client time in the future does not stretch the eight hours."""
    pr, boss, dm = make_login("practitioner"), make_login("admin"), make_login("duty_manager")
    person, secret = _restricted_person(dm, boss, now)
    later = datetime.now(now.tzinfo) + timedelta(minutes=30)
    assert (
        _submit(
            pr,
            _as(
                pr,
                "access.break_glass",
                {"person_id": person, "reason": "out of hours emergency call"},
                later,
            ),
        )[0][0]
        == "accepted"
    )
    with psycopg.connect(server) as conn:
        opened = conn.execute("SELECT opened_at FROM dutydesk.break_glass").fetchone()[0]  # type: ignore[index]
    assert opened <= datetime.now(opened.tzinfo) + timedelta(seconds=5)


def test_the_permission_table_still_matches_after_attacks(
    server: str, make_login: MakeLogin
) -> None:
    with psycopg.connect(make_login("auditor").dsn) as conn:
        rows = set(conn.execute("SELECT role, event_type FROM dutydesk.event_permissions"))
    assert rows == {(r.value, kind) for kind, roles in ALLOWED.items() for r in roles}
