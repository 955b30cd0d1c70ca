"""Shared-mode identity against the real server: whoami and events recorded with it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain.events import make_event
from dutydesk.sync.identity import shared_actor
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from dutydesk.sync.transport import IdentityError
from tests.factories import contact_payload
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]
Connect = Callable[[Login], PgTransport]


def test_whoami_is_the_login_and_its_group(make_login: MakeLogin, connect: Connect) -> None:
    login = make_login("senior_practitioner")
    assert connect(login).whoami() == (login.name, "senior_practitioner")


def test_an_actor_from_whoami_records_events_the_server_accepts(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    transport = connect(make_login("contact_officer"))
    actor = shared_actor(transport.whoami(), "laptop-7")
    e = make_event(
        "contact.received",
        contact_payload(),
        actor=actor.login,
        actor_role=actor.role.value,
        device=actor.device,
        at=now,
    )
    [receipt] = transport.submit([e])
    assert receipt.status == "accepted", receipt.reason


def test_a_login_in_two_groups_must_choose(
    make_login: MakeLogin, pg_server: str, connect: Connect
) -> None:
    login = make_login("duty_manager")
    admin.add_user(pg_server, login.name, "auditor", None)
    transport = connect(login)
    with pytest.raises(IdentityError, match=r"several DutyDesk groups \(duty_manager, auditor\)"):
        transport.whoami()
    assert transport.whoami("auditor") == (login.name, "auditor")
    with pytest.raises(IdentityError, match="not a member of the admin role"):
        transport.whoami("admin")


def test_a_login_in_no_group_is_refused(pg_server: str, pg_dsn: str) -> None:
    name = f"nogroup{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        # Only logins given CONNECT on the database may connect at all (migration 0013).
        db = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(db), sql.Identifier(name)
            )
        )
    try:
        with (
            PgTransport(make_conninfo(pg_dsn, user=name)) as transport,
            pytest.raises(IdentityError, match="in none of the DutyDesk groups"),
        ):
            transport.whoami()
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_a_superuser_is_refused(pg_server: str) -> None:
    with PgTransport(pg_server) as transport, pytest.raises(IdentityError, match="superuser"):
        transport.whoami()
