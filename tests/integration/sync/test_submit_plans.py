"""Submit's and the read policy's look-ups stay index look-ups however the table grew.

plpgsql keeps a plan for each statement of a function for the rest of the session, made
the first times it ran. A login's first submit on a nearly empty server made a plan that
read the whole event partition to find one id (cheapest on a few rows), and kept it: every
later event of that session read every row stored since, so a desk's submit grew slower
with the log (0.35 -> 1.1 ms per contact over 5,000 events, docs/sync.md). Migration 0014
makes those functions plan without sequential scans, so what they were planned on no
longer matters. Asserted on what the server did (its per-transaction scan counters), not on
timing.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event

_serial = itertools.count()

# Rows this transaction read by sequential scans of the event table's partitions and the key
# table, and the index scans it made of them. (A sequential scan of an empty partition reads
# nothing and may be the planner's right choice; reading stored rows whole is the fault.)
_SCANS = """SELECT coalesce(sum(s.seq_tup_read), 0), coalesce(sum(s.idx_scan), 0)
              FROM pg_catalog.pg_stat_xact_user_tables s
             WHERE s.schemaname = 'dutydesk'
               AND (s.relname = 'event_keys' OR s.relname LIKE 'events%')"""


@pytest.fixture
def fresh_server(pg_admin_dsn: str, pg_dsn: str) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of a new database at the newest migration: no
    event stored yet, as a server on its first day."""
    name = f"dutydesk_plans_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    admin.init(admin_dsn)
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _login(admin_dsn: str, base: str, group: str) -> tuple[str, str]:
    name = f"q{os.getpid() % 10000}.{group[:5]}{next(_serial)}"
    admin.add_user(admin_dsn, name, group, "a long test password")
    return name, make_conninfo(base, user=name)


def _body(events: list[Event]) -> str:
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
            }
            for e in events
        ]
    )


def _contacts(name: str, n: int, now: datetime) -> list[Event]:
    return [
        event("contact.received", contact_payload(), now, actor=name, role=Role.DUTY_MANAGER)
        for _ in range(n)
    ]


def _fill(admin_dsn: str, base: str, n: int, now: datetime) -> None:
    """``n`` contacts stored by another login, on its own connection."""
    other = _login(admin_dsn, base, "duty_manager")
    with PgTransport(other[1]) as t:
        for _ in range(n // 250):
            assert {r.status for r in t.submit(_contacts(other[0], 250, now))} == {"accepted"}


def test_a_session_that_first_submitted_to_an_empty_server_finds_ids_by_index_later(
    fresh_server: tuple[str, str], now: datetime
) -> None:
    admin_dsn, base = fresh_server
    name, dsn = _login(admin_dsn, base, "duty_manager")
    with psycopg.connect(dsn) as conn:
        # The session's first submit, on an empty log: more than five events, so each
        # statement of submit has run often enough for its plan to be kept.
        first = _contacts(name, 12, now)
        with conn.transaction():
            rows = conn.execute(
                "SELECT status FROM dutydesk.submit(%s::jsonb)", (_body(first),)
            ).fetchall()
        assert {r[0] for r in rows} == {"accepted"}

        _fill(admin_dsn, base, 1500, now)  # the log grows under the open session

        later = _contacts(name, 40, now)
        with conn.transaction():
            rows = conn.execute(
                "SELECT status FROM dutydesk.submit(%s::jsonb)", (_body([*later, first[0]]),)
            ).fetchall()
            rows_read_whole, index_scans = conn.execute(_SCANS).fetchone()  # type: ignore[misc]
        assert [r[0] for r in rows] == ["accepted"] * 40 + ["duplicate"]
        # Each event's id looked up by index (41 events), no event table read whole.
        assert rows_read_whole == 0
        assert index_scans >= 41


def test_a_restricted_server_reads_each_row_by_index_for_a_session_planned_early(
    fresh_server: tuple[str, str], now: datetime
) -> None:
    """The read policy (``dutydesk.may_read``, run for every row a login reads once any
    record is restricted) looks its event up by sequence number: by index, even in a
    session whose first read was of a nearly empty log."""
    admin_dsn, base = fresh_server
    dm = _login(admin_dsn, base, "duty_manager")
    boss = _login(admin_dsn, base, "admin")
    with PgTransport(boss[1]) as t:
        restrict = {"person_id": new_id(), "allowed": [dm[0]], "reason": "staff member's child"}
        r = t.submit([event("record.restricted", restrict, now, actor=boss[0], role=Role.ADMIN)])
        assert r[0].status == "accepted", r[0].reason
    with PgTransport(dm[1]) as t:
        assert {x.status for x in t.submit(_contacts(dm[0], 10, now))} == {"accepted"}
    reader = _login(admin_dsn, base, "practitioner")
    pull = "SELECT seq FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT 200"
    with psycopg.connect(reader[1]) as conn:
        with conn.transaction():
            assert (
                len(conn.execute(pull, (0,)).fetchall()) == 10
            )  # plans made on 11 rows (one hidden)
        _fill(admin_dsn, base, 1500, now)
        with conn.transaction():
            seen = conn.execute(pull, (1000,)).fetchall()
            rows_read_whole, index_scans = conn.execute(_SCANS).fetchone()  # type: ignore[misc]
        assert len(seen) == 200
        assert rows_read_whole == 0
        assert index_scans >= 200  # the policy's own look-up, row by row


def _plans_of(admin_dsn: str, statement: str) -> list[str]:
    """The plan of every statement ``statement`` ran, nested ones included, as the server
    executed them (auto_explain with ANALYZE, sent to this superuser session)."""
    plans: list[str] = []
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_analyze = on",
            "SET client_min_messages = log",
        ):
            conn.execute(setting)
        conn.execute(statement).fetchall()
    return plans


def test_submit_and_the_read_policy_compile_nothing_per_call(
    fresh_server: tuple[str, str], now: datetime
) -> None:
    """With sequential scans planned at PostgreSQL's "disabled" cost (0014), a read of a
    one-row table without a WHERE costs ten billion, over jit_above_cost: every call of
    submit JIT-compiled it (6.5 ms server CPU, an empty batch included), and so did the
    read policy for every row a login read once a record was restricted. Migration 0015
    turns JIT off inside them; a redefinition must keep it (and enable_seqscan = off)."""
    admin_dsn, base = fresh_server
    boss = _login(admin_dsn, base, "admin")
    with PgTransport(boss[1]) as t:
        restrict = {"person_id": new_id(), "allowed": [boss[0]], "reason": "staff member's child"}
        r = t.submit([event("record.restricted", restrict, now, actor=boss[0], role=Role.ADMIN)])
        assert r[0].status == "accepted", r[0].reason
    for statement, reads in (
        ("SELECT * FROM dutydesk.submit('[]'::jsonb)", "server_policy"),
        ("SELECT dutydesk.may_read(1)", "server_policy"),
    ):
        plans = [p for p in _plans_of(admin_dsn, statement) if "Query Text" in p]
        assert any(reads in p for p in plans), statement  # the policy read ran
        assert not [p for p in plans if "JIT:" in p], statement
    with psycopg.connect(admin_dsn) as conn:
        settings = dict(
            conn.execute(
                "SELECT p.proname, p.proconfig FROM pg_proc p "
                "WHERE p.pronamespace = 'dutydesk'::regnamespace "
                "AND p.proname IN ('submit', 'may_read', 'submit_at')"
            ).fetchall()
        )
    for name in ("submit", "may_read", "submit_at"):
        assert "jit=off" in settings[name], name
    for name in ("submit", "may_read"):
        assert "enable_seqscan=off" in settings[name], name
