"""Pulled events go through the local chained store: the desk's audit chain covers them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import func, select

from dutydesk.app import STORE_FILE
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor, Event
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import CHAIN, ChainedEventStore, verify_local_chain
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]


def _made_by(login: Login, n: int, now: datetime) -> list[Event]:
    return [
        event("contact.received", contact_payload(), now, actor=login.name, role=Role(login.group))
        for _ in range(n)
    ]


def _chained(store: ChainedEventStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CHAIN)).scalar_one())


def _push(login: Login, events: list[Event]) -> None:
    with PgTransport(login.dsn) as t:
        assert {r.status for r in t.submit(events)} == {"accepted"}


def test_pulled_events_extend_the_local_chain_even_behind_the_guard(
    make_login: MakeLogin, now: datetime, clock: FixedClock, tmp_path: Path
) -> None:
    me, peer = make_login("duty_manager"), make_login("senior_practitioner")
    store = ChainedEventStore.open(tmp_path / "desk.sqlite3")
    actor = Actor(me.name, Role.DUTY_MANAGER, "laptop-7")
    guarded = GuardedStore(store, actor, clock)  # the window's store: refuses others' writes
    theirs = _made_by(peer, 4, now)
    _push(peer, theirs)
    guarded.append(_made_by(me, 2, now))
    with PgTransport(me.dsn) as transport:
        report = SyncEngine(guarded, transport, clock, login=me.name).sync()
    assert report.online and report.pulled >= 4 and not report.warnings
    held = list(store.events())
    assert {e.id for e in theirs} <= {e.id for e in held}
    assert _chained(store) == len(held)  # every event, pulled or own, has its link
    verdict = verify_local_chain(store.engine)
    assert verdict.ok and verdict.checked == len(held)
    store.close()
    # A pulled event removed from the file afterwards is named by the local chain.
    with sqlite3.connect(tmp_path / "desk.sqlite3") as db:
        db.execute("DELETE FROM events WHERE id = ?", (theirs[1].id,))
    store = ChainedEventStore.open(tmp_path / "desk.sqlite3")
    verdict = verify_local_chain(store.engine)
    store.close()
    assert verdict.problem is not None and verdict.problem.event_id == theirs[1].id


def test_a_restored_server_leaves_the_local_chain_intact(
    pg_server: str, make_login: MakeLogin, now: datetime, clock: FixedClock, tmp_path: Path
) -> None:
    me, peer = make_login("duty_manager"), make_login("duty_manager")
    store = ChainedEventStore.open(tmp_path / "desk.sqlite3")
    theirs, mine = _made_by(peer, 3, now), _made_by(me, 2, now)
    _push(peer, theirs)
    store.append(mine)
    with PgTransport(me.dsn) as transport:
        engine = SyncEngine(store, transport, clock, login=me.name)
        engine.sync()
        with psycopg.connect(pg_server, autocommit=True) as conn:  # a backup without mine
            conn.execute(
                "DELETE FROM dutydesk.events WHERE id = ANY(%s::uuid[])", ([e.id for e in mine],)
            )
        admin.new_epoch(pg_server)
        report = engine.sync()
    assert report.reset and report.online and report.waiting == 0 and not report.warnings
    assert verify_local_chain(store.engine).ok  # nothing was deleted to re-download
    for e in theirs + mine:
        assert store.get_event(e.id).server_seq is not None  # type: ignore[union-attr]
    store.close()


def test_the_sync_command_pulls_into_the_chained_store(
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    me, peer = make_login("auditor"), make_login("duty_manager")
    _push(peer, _made_by(peer, 3, now))
    existing = ChainedEventStore.open(tmp_path / STORE_FILE)  # a store with a chain already
    existing.append(_made_by(peer, 1, now), outbox=False)
    existing.close()
    where = conninfo_to_dict(me.dsn)
    monkeypatch.setenv("DUTYDESK_PASSWORD", "a long test password")
    assert (
        main(
            [
                "sync",
                "--data-dir",
                str(tmp_path),
                "--settings",
                str(tmp_path / "none"),
                "--host",
                str(where["host"]),
                "--port",
                str(where["port"]),
                "--database",
                str(where["dbname"]),
                "--user",
                me.name,
            ]
        )
        == 0
    )
    assert "received" in capsys.readouterr().out
    store = ChainedEventStore.open(tmp_path / STORE_FILE)
    held = sum(1 for _ in store.events())
    assert held >= 3 and _chained(store) == held and verify_local_chain(store.engine).ok
    store.close()
