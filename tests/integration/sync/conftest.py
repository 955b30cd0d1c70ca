"""Fixtures for the shared-server tests: a migrated database and fresh login roles.

Set-up uses the superuser DSN; every test acts through LOGIN roles made by
``dutydesk server add-user``'s code, which are never superuser, owner or BYPASSRLS.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.hashchain import event_hash
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event

_serial = itertools.count()


@dataclass
class Login:
    name: str
    group: str
    dsn: str


@pytest.fixture(scope="session")
def pg_server(pg_dsn: str, pg_admin_dsn: str) -> str:
    """The admin DSN of a database with the DutyDesk schema at the newest migration."""
    try:
        admin.init(pg_admin_dsn)
    except admin.AdminError as err:
        if "already initialised" not in str(err):
            raise
        admin.upgrade(pg_admin_dsn)
    return pg_admin_dsn


@pytest.fixture(scope="session")
def make_login(pg_server: str, pg_dsn: str) -> Callable[[str], Login]:
    run = f"{os.getpid() % 10000}"

    def make(group: str) -> Login:
        name = f"t{run}.{group[:6]}{next(_serial)}"
        admin.add_user(pg_server, name, group, "a long test password")
        return Login(name, group, make_conninfo(pg_dsn, user=name))

    return make


def reset_server(admin_dsn: str) -> None:
    """Empty the log (superuser only; used between property-test examples)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE dutydesk.events, dutydesk.restrictions, dutydesk.contact_people")
        if conn.execute("SELECT to_regclass('dutydesk.break_glass')").fetchone() != (None,):
            conn.execute("TRUNCATE dutydesk.break_glass")
        conn.execute("UPDATE dutydesk.counter SET last_seq = 0, last_hash = repeat('0', 64)")
        # Checkpoints of the emptied log would make every later desk distrust the server.
        for table in ("checkpoints", "checkpoint_keys"):
            if conn.execute(f"SELECT to_regclass('dutydesk.{table}')").fetchone() != (None,):
                conn.execute(f"DELETE FROM dutydesk.{table}")


def plant(admin_dsn: str, e: Event, *, text: str | None = None, forged: bool = False) -> Event:
    """Append ``e`` to the server's log as the superuser, chain and counter kept right (as
    a server still at migration 0001 took any payload from any login). ``text``: the
    payload text to store instead of the canonical one; ``forged``: the hash made over
    that text (the server never does) instead of over the canonical content."""
    with psycopg.connect(admin_dsn) as conn:
        last_seq, last_hash = conn.execute(
            "SELECT last_seq, last_hash FROM dutydesk.counter FOR UPDATE"
        ).fetchone()  # type: ignore[misc]
        stored = dataclasses.replace(
            e,
            server_seq=last_seq + 1,
            server_time="2026-11-26T09:40:00.000000Z",
            prev_hash=last_hash,
        )
        payload_text = canonical_json(e.payload) if text is None else text
        digest = event_hash(last_hash, stored, payload_text if forged else None)
        stored = dataclasses.replace(stored, hash=digest)
        conn.execute(
            "INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, "
            "device, client_time, payload, payload_text, server_time, hash, prev_hash, "
            "submitted_by) VALUES (%s, %s, %s, 1, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s)",
            (
                stored.server_seq,
                e.id,
                e.type,
                e.actor,
                e.actor_role,
                e.device,
                e.client_time,
                canonical_json(e.payload),
                payload_text,
                stored.server_time,
                digest,
                last_hash,
                e.actor,
            ),
        )
        conn.execute(
            "UPDATE dutydesk.counter SET last_seq = %s, last_hash = %s",
            (stored.server_seq, digest),
        )
    return stored


@pytest.fixture
def empty_server(pg_server: str) -> Iterator[str]:
    """An empty log, emptied again afterwards so no later test meets a tampered chain or
    a checkpoint signed here."""
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def seed_contacts(login: Login, when: datetime, n: int) -> list[Event]:
    """``n`` contacts recorded by another desk of ``login``, already on the server."""
    events = [
        event("contact.received", contact_payload(), when, actor=login.name, role=Role(login.group))
        for _ in range(n)
    ]
    with PgTransport(login.dsn) as t:
        assert {r.status for r in t.submit(events)} == {"accepted"}
    return events


@pytest.fixture
def connect() -> Iterator[Callable[[Login], PgTransport]]:
    """A transport for a login, closed after the test."""
    opened: list[PgTransport] = []

    def make(login: Login) -> PgTransport:
        opened.append(PgTransport(login.dsn))
        return opened[-1]

    yield make
    for t in opened:
        t.close()


@dataclass
class Desk:
    """One desktop: its own SQLite store, login and engine."""

    login: Login
    store: EventStore
    transport: PgTransport
    engine: SyncEngine

    def close(self) -> None:
        self.transport.close()
        self.store.close()


@pytest.fixture
def make_desk(tmp_path: Path, clock: FixedClock) -> Iterator[Callable[[Login], Desk]]:
    desks: list[Desk] = []

    def make(login: Login, folder: Path | None = None) -> Desk:
        where = folder or Path(tempfile.mkdtemp(dir=tmp_path))
        store = EventStore.open(where / "store.sqlite3")
        transport = PgTransport(login.dsn)
        desk = Desk(
            login,
            store,
            transport,
            SyncEngine(store, transport, clock, login=login.name, push_batch=50),
        )
        desks.append(desk)
        return desk

    yield make
    for d in desks:
        d.close()
