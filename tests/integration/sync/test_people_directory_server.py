"""Issue 13, item 7 in shared mode: the server's people directory.

Before, a shared-mode desk showed people by login only (the actor's display name was the
login) and had no list of who exists. Now ``server add-user --name`` gives a display name,
``dutydesk.directory()`` lists every login in a DutyDesk group with its name and role to
any signed-in member (and nothing else), and a desk signing in takes its name from it.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.shared_mode import connect_shared
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]
Connect = Callable[[Login], PgTransport]

PASSWORD = "a long test password"


def test_directory_lists_logins_with_names_and_roles(
    pg_server: str, make_login: MakeLogin, connect: Connect
) -> None:
    named = make_login("practitioner")
    admin.add_user(pg_server, named.name, "practitioner", None, display_name="Siân O'Neill")
    other = make_login("auditor")
    rows = connect(other).directory()
    assert (named.name, "Siân O'Neill", "practitioner") in rows
    assert (other.name, other.name, "auditor") in rows  # no name given: the login
    assert all(
        role
        in (
            "contact_officer",
            "practitioner",
            "senior_practitioner",
            "duty_manager",
            "auditor",
            "admin",
        )
        for _, _, role in rows
    )


def test_only_the_owner_writes_the_directory(make_login: MakeLogin) -> None:
    login = make_login("duty_manager")
    with psycopg.connect(login.dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO dutydesk.people_directory (login, display_name) "
            "VALUES (%s, 'Someone Else')",
            (login.name,),
        )


def test_a_desk_signing_in_is_named_from_the_directory(
    pg_server: str, make_login: MakeLogin, store: EventStore, clock: FixedClock
) -> None:
    login = make_login("duty_manager")
    admin.add_user(pg_server, login.name, "duty_manager", None, display_name="Dana Manager")
    shared = connect_shared(login.dsn, PASSWORD, store, clock)
    try:
        assert shared.actor.display_name == "Dana Manager"
        assert shared.directory.name_of(login.name) == "Dana Manager"
        assert login.name in [e.login for e in shared.directory.assignable()]
    finally:
        shared.engine.transport.close()


def test_a_bad_display_name_is_refused(pg_server: str, make_login: MakeLogin) -> None:
    login = make_login("practitioner")
    with pytest.raises(admin.AdminError, match="one line"):
        admin.add_user(pg_server, login.name, "practitioner", None, display_name="a\nb")
