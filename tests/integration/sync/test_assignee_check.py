"""Issue 13, people directory: the server assigns a contact only to someone who may hold one.

The desk's Assign refuses an unknown login, an auditor or an administrator
(``PeopleDirectory.require_assignable``), but ``dutydesk.submit`` took any text, so a
modified desk or a direct login assigned contacts to anyone. Written as that attacker: an
ordinary duty-manager login sends ``contact.assigned`` straight to ``submit`` naming a
made-up login, an auditor, an admin-only login and a login removed with
``dutydesk server remove-user``; each is refused with the field named, the rest of the batch
still stored. A practitioner and a duty manager are accepted. A server upgraded from 0006
keeps its old assignments and applies the rule from then on (migration 0007).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain.codes import Role
from dutydesk.domain.directory import DirectoryEntry, PeopleDirectory
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.domain.permissions import PERMISSIONS, Action
from dutydesk.domain.server_rules import policy
from dutydesk.sync.pg import admin, rules_sql
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, reset_server

MakeLogin = Callable[[str], Login]
_serial = itertools.count()


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def _refusal(assignee: str) -> str:
    return (
        f'contact.assigned.assignee: assignee "{assignee}" is not an active DutyDesk '
        "login who may hold contacts"
    )


def _assign(by: Login, assignee: str, at: datetime, contact_id: str | None = None) -> Event:
    return event(
        "contact.assigned",
        {"contact_id": contact_id or new_id(), "assignee": assignee},
        at,
        actor=by.name,
        role=Role(by.group),
    )


def _submit(login: Login, *events: Event) -> list[tuple[str, str | None]]:
    with PgTransport(login.dsn) as t:
        return [(r.status, r.reason) for r in t.submit(list(events))]


def _removed(pg_server: str, make_login: MakeLogin) -> str:
    gone = make_login("practitioner")
    admin.remove_user(pg_server, gone.name)
    return gone.name


@pytest.mark.parametrize(
    "who",
    ["made-up", "auditor", "admin", "removed", "removed-group", "owner", "superuser", "group-role"],
)
def test_a_contact_is_not_assigned_to_someone_who_may_not_hold_it(
    server: str, make_login: MakeLogin, now: datetime, who: str
) -> None:
    dm = make_login("duty_manager")
    if who == "made-up":
        assignee = f"no.such.person{next(_serial)}"
    elif who in ("auditor", "admin"):
        assignee = make_login(who).name
    elif who == "removed":  # `server remove-user LOGIN`: NOLOGIN, kept for the record
        assignee = _removed(server, make_login)
    elif who == "removed-group":  # `server remove-user LOGIN --group practitioner`
        left = make_login("practitioner")
        admin.remove_user(server, left.name, "practitioner")
        assignee = left.name
    elif who == "owner":
        assignee = admin.OWNER
    elif who == "superuser":
        assignee = "postgres"
    else:
        assignee = "practitioner"  # the group role itself is not a person
    good = event("note.added", {"text": "fine"}, now, actor=dm.name, role=Role.DUTY_MANAGER)
    (status, why), (status2, _) = _submit(dm, _assign(dm, assignee, now), good)
    assert (status, why) == ("rejected", _refusal(assignee))
    assert status2 == "accepted"  # one refused event never stops the batch


@pytest.mark.parametrize("group", ["practitioner", "duty_manager", "senior_practitioner"])
def test_a_contact_is_assigned_to_a_practitioner_or_manager(
    server: str, make_login: MakeLogin, now: datetime, group: str
) -> None:
    dm = make_login("duty_manager")
    worker = make_login(group)
    assert _submit(dm, _assign(dm, worker.name, now)) == [("accepted", None)]
    assert _submit(dm, _assign(dm, dm.name, now)) == [("accepted", None)]  # take it


def test_an_auditor_who_also_practises_may_hold_a_contact(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    dm, both = make_login("duty_manager"), make_login("auditor")
    admin.add_user(server, both.name, "practitioner", None)
    assert _submit(dm, _assign(dm, both.name, now)) == [("accepted", None)]


def test_the_server_refuses_exactly_whom_the_desk_refuses(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    """Every group, through the desk's own rule on the server's directory: the server
    accepts an assignment exactly when the desk's Assign would."""
    dm = make_login("duty_manager")
    logins = {g.value: make_login(g.value) for g in Role}
    with PgTransport(dm.dsn) as t:
        rows = t.directory()
    desk = PeopleDirectory(DirectoryEntry(login, name, Role(role)) for login, name, role in rows)
    assert policy()["hold_contacts"] == sorted(r.value for r in PERMISSIONS[Action.TAKE_CONTACT])
    for group, login in logins.items():
        desk_ok = login.name in {e.login for e in desk.assignable()}
        ((status, _),) = _submit(dm, _assign(dm, login.name, now))
        assert (status == "accepted") == desk_ok, group
        assert desk_ok == (Role(group) in PERMISSIONS[Action.TAKE_CONTACT]), group


def test_the_refusal_says_nothing_about_the_contact(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    """A restricted contact the attacker cannot read and a contact that never existed get
    the same answer: it names only the assignee."""
    dm, boss, insider = make_login("duty_manager"), make_login("admin"), make_login("duty_manager")
    person = new_id()
    received = event(
        "contact.received",
        contact_payload(
            children=[
                {
                    "given_name": "Hidden",
                    "family_name": "Child",
                    "date_of_birth": "2019-04-03",
                    "sex": "b",
                    "person_id": person,
                }
            ]
        ),
        now,
        actor=insider.name,
        role=Role.DUTY_MANAGER,
    )
    assert _submit(insider, received)[0][0] == "accepted"
    assert (
        _submit(
            boss,
            event(
                "record.restricted",
                {"person_id": person, "allowed": [insider.name], "reason": "staff member's child"},
                now,
                actor=boss.name,
                role=Role.ADMIN,
            ),
        )[0][0]
        == "accepted"
    )
    hidden = received.payload["contact_id"]
    answers = {
        _submit(dm, _assign(dm, "made.up", now, contact))[0] for contact in (hidden, new_id())
    }
    assert answers == {("rejected", _refusal("made.up"))}
    # and a good assignee on the restricted contact is still refused for want of access
    ((status, why),) = _submit(dm, _assign(dm, insider.name, now, hidden))
    assert status == "rejected" and why is not None and "restricted" in why
    assert "Hidden" not in why and "Child" not in why


def test_nobody_but_the_owner_may_call_the_check(make_login: MakeLogin) -> None:
    login = make_login("duty_manager")
    with psycopg.connect(login.dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT dutydesk.may_hold_contacts('x')")
    with psycopg.connect(login.dsn) as conn:
        row = conn.execute(
            "SELECT p.prosecdef, p.proconfig, p.proacl FROM pg_proc p "
            "WHERE p.oid = 'dutydesk.may_hold_contacts(text)'::regprocedure"
        ).fetchone()
    assert row is not None
    secdef, config, acl = row
    assert not secdef and config == ["search_path=pg_catalog, dutydesk, pg_temp"]
    assert not any(str(a).startswith("=") for a in acl or [])  # nothing for PUBLIC


# ---- a server upgraded from 0006 ------------------------------------------------------------


@pytest.fixture
def server_at_0006(
    pg_admin_dsn: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of a fresh database at migration 0006, with the
    payload check 0006 had (no assignee rule)."""
    name = f"dutydesk_assignee_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    every = admin.migrations()
    assert every[6].name == "0007_assignee_check.sql"
    with monkeypatch.context() as m:
        m.setattr(admin, "migrations", lambda *a, **k: every[:6])
        m.setattr(rules_sql, "SERVER_CHECKS", {})
        assert admin.init(admin_dsn)[-1] == "0006_withheld.sql"
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _login(admin_dsn: str, base: str, group: str) -> Login:
    name = f"a{os.getpid() % 10000}.{group[:5]}{next(_serial)}"
    admin.add_user(admin_dsn, name, group, "a long test password")
    return Login(name, group, make_conninfo(base, user=name))


def test_an_upgraded_server_keeps_its_assignments_and_applies_the_rule(
    server_at_0006: tuple[str, str], now: datetime
) -> None:
    admin_dsn, base = server_at_0006
    dm = _login(admin_dsn, base, "duty_manager")
    pr = _login(admin_dsn, base, "practitioner")
    au = _login(admin_dsn, base, "auditor")
    old: list[Any] = [
        _assign(dm, "no.such.person", now),
        _assign(dm, au.name, now),
        _assign(dm, pr.name, now),
    ]
    assert [s for s, _ in _submit(dm, *old)] == ["accepted"] * 3  # 0006 took anyone

    # 0007 and any later migration
    assert admin.upgrade(admin_dsn) == [m.name for m in admin.migrations()[6:]]

    with PgTransport(dm.dsn) as t:
        assert {e.id for e in old} <= {e.id for e in t.pull(0, 1000)}  # history kept
        assert t.state().schema_version == len(admin.migrations())
    with psycopg.connect(make_conninfo(base, user=dm.name)) as conn:
        assert conn.execute(
            "SELECT checked, problem FROM dutydesk.chain_check(0, 1000)"
        ).fetchone() == (3, None)
    assert _submit(
        dm, _assign(dm, "no.such.person", now), _assign(dm, au.name, now), _assign(dm, pr.name, now)
    ) == [
        ("rejected", _refusal("no.such.person")),
        ("rejected", _refusal(au.name)),
        ("accepted", None),
    ]
    assert admin.upgrade(admin_dsn) == []
