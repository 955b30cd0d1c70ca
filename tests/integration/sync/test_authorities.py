"""Issue 19, a regional MASH: two authorities' databases in one PostgreSQL cluster.

Authority A is the session's test database; authority B a second database made here and
initialised with ``dutydesk server init``. Roles and group names are cluster-wide, so the
separation rests on CONNECT (migration 0013 and ``admin._harden``/``add_user``): a login is
a login of one database. Written as B's staff trying to reach A's records.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain.codes import Role
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, reset_server

_serial = itertools.count()


@pytest.fixture
def authority_b(pg_admin_dsn: str, pg_server: str, pg_dsn: str) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of authority B's own database in A's cluster."""
    name = f"dutydesk_authority_b_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    admin.init(admin_dsn)
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _b_login(b: tuple[str, str], group: str) -> Login:
    name = f"b{os.getpid() % 10000}.{group[:6]}{next(_serial)}"
    admin.add_user(b[0], name, group, "a long test password")
    return Login(name, group, make_conninfo(b[1], user=name))


def _count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()[0])  # type: ignore[index]


def test_a_login_of_authority_b_can_neither_connect_to_nor_read_authority_a(
    pg_server: str,
    authority_b: tuple[str, str],
    make_login: Callable[[str], Login],
    now: datetime,
) -> None:
    reset_server(pg_server)
    a_manager = make_login("duty_manager")
    with PgTransport(a_manager.dsn) as t:
        assert t.submit([event("contact.received", contact_payload(), now, actor=a_manager.name)])
    assert _count(a_manager.dsn) == 1
    b_manager, b_auditor = _b_login(authority_b, "duty_manager"), _b_login(authority_b, "auditor")
    assert _count(b_manager.dsn) == 0  # B's own, empty log
    for intruder in (b_manager, b_auditor):
        into_a = make_conninfo(a_manager.dsn, user=intruder.name)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(into_a).close()
    into_b = make_conninfo(b_manager.dsn, user=a_manager.name)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(into_b).close()
    # Each authority's people directory lists its own staff only.
    with PgTransport(a_manager.dsn) as t:
        a_people = {login for login, _, _ in t.directory()}
    with PgTransport(b_manager.dsn) as t:
        b_people = {login for login, _, _ in t.directory()}
    assert a_manager.name in a_people and not {b_manager.name, b_auditor.name} & a_people
    assert b_people == {b_manager.name, b_auditor.name}
    reset_server(pg_server)


def test_a_contact_of_authority_a_is_not_assigned_to_authority_b_staff(
    pg_server: str,
    authority_b: tuple[str, str],
    make_login: Callable[[str], Login],
    now: datetime,
) -> None:
    reset_server(pg_server)
    a_manager = make_login("duty_manager")
    b_worker = _b_login(authority_b, "practitioner")
    assign = event(
        "contact.assigned",
        {"contact_id": new_id(), "assignee": b_worker.name},
        now,
        actor=a_manager.name,
        role=Role.DUTY_MANAGER,
    )
    with PgTransport(a_manager.dsn) as t:
        receipt = t.submit([assign])[0]
    assert receipt.status == "rejected"
    assert "is not an active DutyDesk login who may hold contacts" in (receipt.reason or "")
    reset_server(pg_server)


def test_one_authoritys_administration_cannot_take_another_authoritys_login(
    pg_server: str, authority_b: tuple[str, str], make_login: Callable[[str], Login]
) -> None:
    a_worker = make_login("practitioner")
    with pytest.raises(admin.AdminError, match="is a login of database"):
        admin.add_user(authority_b[0], a_worker.name, "duty_manager", None)
    with pytest.raises(admin.AdminError, match="another database in this cluster"):
        admin.remove_user(authority_b[0], a_worker.name)
    with psycopg.connect(a_worker.dsn) as conn:  # untouched: still signs in to A
        assert conn.execute(
            "SELECT pg_has_role(session_user, 'duty_manager', 'MEMBER')"
        ).fetchone() == (False,)


def test_upgrading_to_one_database_per_login_keeps_existing_logins_signing_in(
    pg_admin_dsn: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database in use before 0013, whose logins connected as PUBLIC: the upgrade grants
    each of them CONNECT before PUBLIC loses it."""
    name = f"dutydesk_before_0013_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    try:
        every = admin.migrations()
        assert every[12].name == admin.CONNECT_MIGRATION
        with monkeypatch.context() as m:
            m.setattr(admin, "migrations", lambda *a, **k: every[:12])
            admin.init(admin_dsn)
        login = f"u{os.getpid() % 10000}.old{next(_serial)}"
        admin.add_user(admin_dsn, login, "practitioner", None)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:  # as before 0013: PUBLIC's
            for step in (
                "GRANT CONNECT ON DATABASE {} TO PUBLIC",
                "REVOKE CONNECT ON DATABASE {} FROM {}",
            ):
                conn.execute(sql.SQL(step).format(sql.Identifier(name), sql.Identifier(login)))
        dsn = make_conninfo(pg_dsn, dbname=name, user=login)
        assert _count(dsn) == 0
        assert admin.upgrade(admin_dsn) == [m.name for m in every[12:]]
        assert _count(dsn) == 0  # still connects, by its own grant now
        with psycopg.connect(admin_dsn) as conn:
            assert conn.execute(
                "SELECT has_database_privilege('public', current_database(), 'CONNECT')"
            ).fetchone() == (False,)
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
