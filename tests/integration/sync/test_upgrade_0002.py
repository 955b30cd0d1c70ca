"""`dutydesk server upgrade` from a server filled by migration 0001 (issue 12).

A database of its own is created at 0001 only (as servers in use are), filled through the
0001 submit by ordinary logins, including a restriction, a link and an unlink and a
break-glass; then upgraded. Every event keeps its sequence number, hash and content; the
chain still verifies; the side tables are rebuilt from the log with the new rules.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event

_serial = itertools.count()


@pytest.fixture
def old_server(
    pg_admin_dsn: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of a fresh database at migration 0001 only."""
    name = f"dutydesk_upgrade_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    every = admin.migrations()
    with monkeypatch.context() as m:
        m.setattr(admin, "migrations", lambda *a, **k: every[:1])
        assert admin.init(admin_dsn) == ["0001_initial.sql"]
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _login(admin_dsn: str, base: str, group: str) -> tuple[str, str]:
    name = f"u{os.getpid() % 10000}.{group[:5]}{next(_serial)}"
    admin.add_user(admin_dsn, name, group, "a long test password")
    return name, make_conninfo(base, user=name)


def _as(
    who: tuple[str, str], group: str, kind: str, payload: dict[str, object], at: datetime
) -> Event:
    return event(kind, payload, at, actor=who[0], role=Role(group))


def test_upgrade_keeps_every_event_and_sequence_and_applies_the_new_rules(
    old_server: tuple[str, str], now: datetime
) -> None:
    admin_dsn, base = old_server
    dm = _login(admin_dsn, base, "duty_manager")
    colleague = _login(admin_dsn, base, "duty_manager")
    pr = _login(admin_dsn, base, "practitioner")
    boss = _login(admin_dsn, base, "admin")
    person = new_id()
    contact = _as(dm, "duty_manager", "contact.received", contact_payload(), now)
    cid = contact.payload["contact_id"]
    events = [
        (
            dm,
            [contact]
            + [
                _as(dm, "duty_manager", "contact.received", contact_payload(), now)
                for _ in range(20)
            ],
        ),
        (
            boss,
            [
                _as(
                    boss,
                    "admin",
                    "record.restricted",
                    {"person_id": person, "allowed": [dm[0]], "reason": "staff member's child"},
                    now,
                )
            ],
        ),
        (
            dm,
            [
                _as(
                    dm,
                    "duty_manager",
                    "person.linked",
                    {"contact_id": cid, "slot": 0, "person_id": person},
                    now,
                ),
                _as(
                    dm,
                    "duty_manager",
                    "person.unlinked",
                    {"contact_id": cid, "slot": 0, "person_id": person, "reason": "wrong child"},
                    now,
                ),
            ],
        ),
        (
            pr,
            [
                _as(
                    pr,
                    "practitioner",
                    "access.break_glass",
                    {"person_id": person, "reason": "out of hours emergency"},
                    now,
                )
            ],
        ),
    ]
    for who, batch in events:
        with PgTransport(who[1]) as t:
            assert {r.status for r in t.submit(batch)} == {"accepted"}
    with psycopg.connect(admin_dsn) as conn:
        before = conn.execute(
            "SELECT seq, id, hash, prev_hash, payload_text FROM dutydesk.events ORDER BY seq"
        ).fetchall()
        head = conn.execute("SELECT last_seq, last_hash FROM dutydesk.counter").fetchone()
        # 0001's faults, still there before the upgrade
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.contact_people WHERE contact_id = %s", (cid,)
        ).fetchone() == (1,)
        assert conn.execute(
            "SELECT %s = ANY(allowed) FROM dutydesk.restrictions", (pr[0],)
        ).fetchone() == (True,)

    assert admin.upgrade(admin_dsn) == [m.name for m in admin.migrations()[1:]]

    with psycopg.connect(admin_dsn) as conn:
        after = conn.execute(
            "SELECT seq, id, hash, prev_hash, payload_text FROM dutydesk.events ORDER BY seq"
        ).fetchall()
        assert after == before and len(after) == 25
        assert conn.execute("SELECT last_seq, last_hash FROM dutydesk.counter").fetchone() == head
        # rebuilt from the log: the unlink took the link away; break-glass is timed, not a
        # permanent name on the record
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.contact_people WHERE contact_id = %s", (cid,)
        ).fetchone() == (0,)
        assert conn.execute("SELECT allowed FROM dutydesk.restrictions").fetchone() == ([dm[0]],)
        assert conn.execute("SELECT login FROM dutydesk.break_glass").fetchone() == (pr[0],)
        state = conn.execute(
            "SELECT schema_version, head_seq FROM dutydesk.server_state()"
        ).fetchone()
        assert state == (len(admin.migrations()), 25)
    with psycopg.connect(make_conninfo(base, user=dm[0])) as conn:
        assert conn.execute(
            "SELECT checked, problem FROM dutydesk.chain_check(0, 1000)"
        ).fetchone() == (25, None)
    # the colleague sees the contact again; new events get the next sequence numbers
    with PgTransport(colleague[1]) as t:
        assert contact.id in {e.id for e in t.pull(0, 1000)}
        receipt = t.submit([_as(colleague, "duty_manager", "note.added", {"text": "after"}, now)])[
            0
        ]
    assert (receipt.status, receipt.seq) == ("accepted", 26)
    with PgTransport(dm[1]) as t:  # and malformed events are now refused
        bad = Event(
            id=new_id(),
            type="note.added",
            actor=dm[0],
            actor_role="duty_manager",
            device="d",
            client_time=now.isoformat(),
            payload={"text": 5},
        )
        assert t.submit([bad])[0].status == "rejected"
    assert admin.upgrade(admin_dsn) == []  # and again: nothing to do
