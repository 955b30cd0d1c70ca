"""The event table partitioned by server time (migration 0012, issue 19).

An upgraded server keeps every event exactly (sequence, id, hash, previous hash, content,
server time), its chain, its row-level security and its checks; new events land in the
partition of their year; the database itself refuses a reused sequence number or id in any
partition; a year without a partition falls into the default partition and moves out when
its partition is made; logins can neither read a partition directly nor make one.
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
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login

_serial = itertools.count()
_COLUMNS = (
    "seq, id, type, schema_version, actor, actor_role, device, client_time, payload_text, "
    "contact_id, person_ids, server_time, hash, prev_hash, submitted_by"
)


@pytest.fixture
def server_before_partitions(
    pg_admin_dsn: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of a fresh database at migration 0011, as servers in
    use before partitioning are."""
    name = f"dutydesk_partitions_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    every = admin.migrations()
    with monkeypatch.context() as m:
        m.setattr(admin, "migrations", lambda *a, **k: every[:11])
        admin.init(admin_dsn)
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _login(admin_dsn: str, base: str, group: str) -> tuple[str, str]:
    name = f"p{os.getpid() % 10000}.{group[:5]}{next(_serial)}"
    admin.add_user(admin_dsn, name, group, "a long test password")
    return name, make_conninfo(base, user=name)


def _as(
    who: tuple[str, str], group: str, kind: str, payload: dict[str, object], now: datetime
) -> Event:
    return event(kind, payload, now, actor=who[0], role=Role(group))


def _visible(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()[0])  # type: ignore[index]


def test_upgrading_a_filled_server_keeps_every_event_hash_and_sequence(
    server_before_partitions: tuple[str, str], now: datetime
) -> None:
    admin_dsn, base = server_before_partitions
    dm = _login(admin_dsn, base, "duty_manager")
    co = _login(admin_dsn, base, "contact_officer")
    boss = _login(admin_dsn, base, "admin")
    person = new_id()
    contacts = [
        _as(dm, "duty_manager", "contact.received", contact_payload(), now) for _ in range(30)
    ]
    cid = contacts[0].payload["contact_id"]
    with PgTransport(dm[1]) as t:
        assert {r.status for r in t.submit(contacts)} == {"accepted"}
    with PgTransport(boss[1]) as t:
        restrict = {"person_id": person, "allowed": [dm[0]], "reason": "staff member's child"}
        assert (
            t.submit([_as(boss, "admin", "record.restricted", restrict, now)])[0].status
            == "accepted"
        )
    with PgTransport(dm[1]) as t:
        link = {"contact_id": cid, "slot": 0, "person_id": person}
        assert (
            t.submit([_as(dm, "duty_manager", "person.linked", link, now)])[0].status == "accepted"
        )
    # Same content, same order, same chain: every column the hash or a desk depends on.
    with psycopg.connect(admin_dsn) as conn:
        before = conn.execute(f"SELECT {_COLUMNS} FROM dutydesk.events ORDER BY seq").fetchall()
        head = conn.execute("SELECT last_seq, last_hash FROM dutydesk.counter").fetchone()
    seen_before = (_visible(dm[1]), _visible(co[1]))
    assert seen_before[0] == 32 and seen_before[1] < 32  # the restriction hides from co

    assert admin.upgrade(admin_dsn) == [m.name for m in admin.migrations()[11:]]

    with psycopg.connect(admin_dsn) as conn:
        after = conn.execute(f"SELECT {_COLUMNS} FROM dutydesk.events ORDER BY seq").fetchall()
        assert after == before and len(after) == 32
        assert conn.execute("SELECT last_seq, last_hash FROM dutydesk.counter").fetchone() == head
        assert conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = 'dutydesk.events'::regclass"
        ).fetchone() == ("p",)
        year = int(conn.execute("SELECT date_part('year', now() AT TIME ZONE 'UTC')").fetchone()[0])  # type: ignore[index]
        parts = {
            r[0]
            for r in conn.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'dutydesk.events'::regclass"
            )
        }
        assert {
            f"dutydesk.events_{year}",
            f"dutydesk.events_{year + 1}",
            "dutydesk.events_default",
        } <= parts
        assert conn.execute("SELECT count(*), max(seq) FROM dutydesk.event_keys").fetchone() == (
            32,
            32,
        )
        assert conn.execute("SELECT to_regclass('dutydesk.events_unpartitioned')").fetchone() == (
            None,
        )
    # Row-level security answers as before; the chain still checks.
    assert (_visible(dm[1]), _visible(co[1])) == seen_before
    with psycopg.connect(dm[1]) as conn:
        assert conn.execute(
            "SELECT checked, problem FROM dutydesk.chain_check(0, 1000)"
        ).fetchone() == (
            32,
            None,
        )
    # The next event chains on, lands in this year's partition, and is keyed.
    note = _as(dm, "duty_manager", "note.added", {"contact_id": cid, "text": "after"}, now)
    with PgTransport(dm[1]) as t:
        receipt = t.submit([note])[0]
        assert (receipt.status, receipt.seq, receipt.prev_hash) == ("accepted", 33, head[1])  # type: ignore[index]
        assert t.submit([note])[0].status == "duplicate"
        bad = Event(
            id=new_id(),
            type="note.added",
            actor=dm[0],
            actor_role="duty_manager",
            device="d",
            client_time=now.isoformat(),
            payload={"contact_id": cid, "text": 5},
        )
        assert t.submit([bad])[0].status == "rejected"  # check_payload still runs
    with psycopg.connect(admin_dsn) as conn:
        assert conn.execute(
            "SELECT tableoid::regclass::text FROM dutydesk.events WHERE seq = 33"
        ).fetchone() == (f"dutydesk.events_{year}",)
        assert conn.execute(
            "SELECT id::text FROM dutydesk.event_keys WHERE seq = 33"
        ).fetchone() == (note.id,)
    assert admin.upgrade(admin_dsn) == []


def _raw_row(conn: psycopg.Connection, seq: int, ident: str, server_time: str) -> None:
    conn.execute(
        "INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device, "
        "client_time, payload, payload_text, server_time, hash, prev_hash) VALUES (%s, %s, "
        "'note.added', 1, 'x', 'duty_manager', 'd', 't', '{}', '{}', %s, 'h', 'p')",
        (seq, ident, server_time),
    )


def test_the_database_refuses_a_reused_sequence_or_id_in_another_partition(
    pg_server: str, make_login: Callable[[str], Login], now: datetime
) -> None:
    dm = make_login("duty_manager")
    with PgTransport(dm.dsn) as t:
        stored = t.submit([event("contact.received", contact_payload(), now, actor=dm.name)])[0]
    assert stored.status == "accepted"
    with psycopg.connect(pg_server) as conn:
        for seq, ident in ((stored.seq, str(new_id())), (10**15, stored.event_id)):
            with pytest.raises(psycopg.errors.UniqueViolation):
                _raw_row(conn, seq, ident, "2031-06-01T00:00:00.000000Z")  # another partition
            conn.rollback()
        with pytest.raises(psycopg.errors.CheckViolation):  # not the form submit writes
            _raw_row(conn, 10**15, str(new_id()), "2031-06-01 00:00")
        conn.rollback()
        # the keys follow the rows: a deleted event's number and id are free again (what
        # the tampering tests do, as someone holding the database would)
        conn.execute("DELETE FROM dutydesk.events WHERE seq = %s", (stored.seq,))
        _raw_row(conn, stored.seq, stored.event_id, "2031-06-01T00:00:00.000000Z")  # type: ignore[arg-type]
        conn.execute(
            "UPDATE dutydesk.events SET server_time = %s WHERE seq = %s",
            ("2032-01-01T00:00:00.000000Z", stored.seq),
        )
        assert conn.execute(
            "SELECT server_time FROM dutydesk.event_keys WHERE seq = %s", (stored.seq,)
        ).fetchone() == ("2032-01-01T00:00:00.000000Z",)
        conn.execute("TRUNCATE dutydesk.events")
        assert conn.execute("SELECT count(*) FROM dutydesk.event_keys").fetchone() == (0,)
        conn.rollback()


def test_a_year_without_a_partition_falls_into_the_default_and_moves_when_it_is_made(
    pg_server: str,
) -> None:
    ident = str(new_id())
    with psycopg.connect(pg_server) as conn:  # one transaction, rolled back
        assert conn.execute("SELECT to_regclass('dutydesk.events_2093')").fetchone() == (None,)
        _raw_row(conn, 10**15 + 1, ident, "2093-03-01T10:00:00.000000Z")
        where = "SELECT tableoid::regclass::text FROM dutydesk.events WHERE id = %s"
        assert conn.execute(where, (ident,)).fetchone() == ("dutydesk.events_default",)
        conn.execute("SET ROLE dutydesk_owner")
        assert conn.execute("SELECT dutydesk.add_event_partition(2093)").fetchone() == (
            "events_2093",
        )
        assert conn.execute("SELECT dutydesk.add_event_partition(2093)").fetchone() == (None,)
        conn.execute("RESET ROLE")
        assert conn.execute(where, (ident,)).fetchone() == ("dutydesk.events_2093",)
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.event_keys WHERE id = %s", (ident,)
        ).fetchone() == (1,)
        # the new partition has the parent's indexes and the key trigger
        _raw_row(conn, 10**15 + 2, str(new_id()), "2093-04-01T10:00:00.000000Z")
        with pytest.raises(psycopg.errors.UniqueViolation):
            _raw_row(conn, 10**15 + 3, ident, "2093-05-01T10:00:00.000000Z")
        conn.rollback()


@pytest.mark.parametrize("group", [r.value for r in Role])
def test_logins_cannot_read_a_partition_directly_nor_make_one(
    pg_server: str, make_login: Callable[[str], Login], group: str
) -> None:
    login = make_login(group)
    with psycopg.connect(pg_server) as conn:
        year = int(conn.execute("SELECT date_part('year', now() AT TIME ZONE 'UTC')").fetchone()[0])  # type: ignore[index]
    for statement in (
        f"SELECT count(*) FROM dutydesk.events_{year}",
        "SELECT count(*) FROM dutydesk.events_default",
        "SELECT count(*) FROM dutydesk.event_keys",
        "SELECT dutydesk.add_event_partitions(1)",
        "SELECT dutydesk.add_event_partition(2094)",
    ):
        with (
            psycopg.connect(login.dsn) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)
