"""docs/deploy.md's backup and restore, done with PostgreSQL's own tools as it says: a
``pg_dump --format=custom`` of the shared database, restored with ``pg_restore`` into an
empty database, then ``dutydesk server upgrade`` (puts back the database-level hardening
that a dump without ``--create`` does not carry) and ``dutydesk server new-epoch``. A desk
that recorded events after the backup sends them again; nothing it holds is lost."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.store.chain import ChainedEventStore, verify_local_chain
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login


def _made_by(login: Login, n: int, now: datetime) -> list[Event]:
    return [
        event("contact.received", contact_payload(), now, actor=login.name, role=Role(login.group))
        for _ in range(n)
    ]


def _server_ids(admin_dsn: str) -> set[str]:
    with psycopg.connect(admin_dsn) as conn:
        return {str(i) for (i,) in conn.execute("SELECT id FROM dutydesk.events")}


def _epoch(admin_dsn: str) -> str:
    with psycopg.connect(admin_dsn) as conn:
        return str(conn.execute("SELECT epoch FROM dutydesk.server_info").fetchone()[0])  # type: ignore[index]


def test_a_dump_restored_with_postgres_tools_brings_every_desk_event_back(
    pg_server: str,
    make_login: Callable[[str], Login],
    now: datetime,
    clock: FixedClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    me, peer = make_login("duty_manager"), make_login("duty_manager")
    with PgTransport(peer.dsn) as t:
        t.submit(_made_by(peer, 3, now))
    store = ChainedEventStore.open(tmp_path / "desk.sqlite3")
    before = _made_by(me, 2, now)
    store.append(before)
    with PgTransport(me.dsn) as transport:
        assert SyncEngine(store, transport, clock, login=me.name).sync().waiting == 0

    # The nightly dump; then the desk goes on working and sends two more.
    dump = tmp_path / "dutydesk.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", pg_server], check=True, capture_output=True
    )
    after = _made_by(me, 2, now)
    store.append(after)
    with PgTransport(me.dsn) as transport:
        assert SyncEngine(store, transport, clock, login=me.name).sync().waiting == 0

    # The server is lost; the dump is restored into an empty database (the same cluster,
    # so the logins and groups, which pg_dumpall --roles-only would carry, are there).
    restored_db = f"dutydesk_restored_{tmp_path.name[-12:].replace('-', '_')}"
    restored = make_conninfo(pg_server, dbname=restored_db)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(restored_db)
            )
        )
    try:
        done = subprocess.run(
            ["pg_restore", f"--dbname={restored}", str(dump)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert _server_ids(restored) == _server_ids(pg_server) - {e.id for e in after}
        old_epoch = _epoch(restored)
        assert main(["server", "upgrade", "--dsn", restored]) == 0
        assert main(["server", "new-epoch", "--dsn", restored]) == 0
        assert "desks will download the log again" in capsys.readouterr().out
        assert _epoch(restored) != old_epoch
        # The hardening the dump does not carry is back: no login makes temporary objects.
        with (
            psycopg.connect(make_conninfo(me.dsn, dbname=restored_db)) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute("CREATE TEMP TABLE t (x int)")

        # The desk reconnects to the restored server: it sees the new epoch, sends its
        # events again (those the dump kept come back "duplicate"), and downloads the log.
        with PgTransport(make_conninfo(me.dsn, dbname=restored_db)) as transport:
            report = SyncEngine(store, transport, clock, login=me.name).sync()
        assert report.reset and report.online and report.waiting == 0, report
        assert {e.id for e in before + after} <= _server_ids(restored)
        assert verify_local_chain(store.engine).ok
        for e in before + after:
            assert store.get_event(e.id).server_seq is not None  # type: ignore[union-attr]
        assert (
            main(
                ["audit", "verify", "--server", "--dsn", make_conninfo(me.dsn, dbname=restored_db)]
            )
            == 0
        )
    finally:
        store.close()
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(restored_db)
                )
            )
