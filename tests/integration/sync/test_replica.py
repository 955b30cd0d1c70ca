"""Issue 19, reads off the primary: a real streaming replica of the test cluster.

``tests/pg.sh replica-start`` makes a second cluster by ``pg_basebackup -R -X stream`` from
the throwaway primary that tests/run.sh started, and starts it as a hot standby. Events are
written on the primary only; the tests show which reads the replica served (its
connections answer ``pg_is_in_recovery()`` true), that row-level security answers there
as on the primary, and that what a lagging replica gets wrong is never believed.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg.replica import ReplicaPullTransport
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, reset_server

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def replica_port(pg_server: str) -> Iterator[int]:
    """A streaming replica of the test cluster, made after the schema is in place."""
    if not os.environ.get("DUTYDESK_TEST_PG_CLUSTER"):
        message = "DUTYDESK_TEST_PG_CLUSTER not set: the replica is made from tests/pg.sh's cluster"
        if os.environ.get("DUTYDESK_REQUIRE_PG") or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    reset_server(pg_server)
    made = subprocess.run(
        ["bash", str(ROOT / "tests" / "pg.sh"), "replica-start"],
        capture_output=True,
        text=True,
        check=False,
    )
    env = dict(os.environ)
    for line in made.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value.strip("'")
    try:
        assert made.returncode == 0, made.stderr
        yield int(env["DUTYDESK_TEST_PG_REPLICA_PORT"])
    finally:
        if "DUTYDESK_TEST_PG_REPLICA_CLUSTER" in env:
            subprocess.run(
                ["bash", str(ROOT / "tests" / "pg.sh"), "replica-stop"], env=env, check=False
            )


def on_replica(dsn: str, port: int) -> str:
    return make_conninfo(dsn, port=port)


def caught_up(admin_dsn: str, port: int) -> None:
    """Wait until the replica has replayed everything the primary wrote so far.

    The insert position, not the write position: the test cluster runs with
    synchronous_commit=off, so the last commit may still sit in WAL buffers beyond
    pg_current_wal_lsn() (a lagging test then saw the replica one event short)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        lsn = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]  # type: ignore[index]
    with psycopg.connect(on_replica(admin_dsn, port), autocommit=True) as conn:
        for _ in range(300):
            if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone() == (
                True,
            ):
                return
            time.sleep(0.1)
    raise AssertionError("the replica did not catch up within 30 s")


class Paused:
    """Replay paused on the replica (it keeps receiving WAL, applies none of it)."""

    def __init__(self, admin_dsn: str, port: int) -> None:
        self.dsn = on_replica(admin_dsn, port)

    def __enter__(self) -> Paused:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            for _ in range(100):
                if conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() == ("paused",):
                    break
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def shown(dsn: str) -> list[tuple[int, str]]:
    """The (seq, hash) of every event this login reads, and where: (rows, in recovery)."""
    with psycopg.connect(dsn) as conn:
        return [
            (int(r[0]), str(r[1]))
            for r in conn.execute("SELECT seq, hash FROM dutydesk.events ORDER BY seq")
        ]


def in_recovery(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])  # type: ignore[index]


def _as(login: Login, kind: str, payload: dict[str, object], now: datetime) -> Event:
    return event(kind, payload, now, actor=login.name, role=Role(login.group))


def _submit(login: Login, events: list[Event]) -> None:
    with PgTransport(login.dsn) as t:
        assert {r.status for r in t.submit(events)} == {"accepted"}


def _restrict(boss: Login, dm: Login, now: datetime) -> tuple[str, str]:
    """A contact about a child restricted to ``dm``: (person id, contact id)."""
    person = new_id()
    contact = _as(dm, "contact.received", contact_payload(), now)
    cid = str(contact.payload["contact_id"])
    _submit(dm, [contact])
    _submit(
        boss,
        [
            _as(
                boss,
                "record.restricted",
                {"person_id": person, "allowed": [dm.name], "reason": "staff member's child"},
                now,
            )
        ],
    )
    _submit(
        dm, [_as(dm, "person.linked", {"contact_id": cid, "slot": 0, "person_id": person}, now)]
    )
    _submit(dm, [_as(dm, "note.added", {"contact_id": cid, "text": "about the child"}, now)])
    return person, cid


def _desk(
    login: Login, replica_dsn: str, tmp_path: Path, clock: FixedClock
) -> tuple[SyncEngine, ReplicaPullTransport]:
    store = EventStore.open(tmp_path / f"{login.name}-{new_id()}.sqlite3")
    transport = ReplicaPullTransport(login.dsn, replica_dsn)
    return SyncEngine(store, transport, clock, login=login.name, pull_batch=20), transport


def _held(engine: SyncEngine) -> list[tuple[int, str]]:
    with engine.store.engine.connect() as conn:
        return [
            (int(r[0]), str(r[1]))
            for r in conn.exec_driver_sql(
                "SELECT server_seq, hash FROM events WHERE server_seq IS NOT NULL "
                "ORDER BY server_seq"
            )
        ]


@pytest.fixture
def county(
    pg_server: str, replica_port: int, make_login: Callable[[str], Login], now: datetime
) -> Iterator[tuple[Login, Login, Login, Login]]:
    """A duty manager's 80 contacts and a child restricted to them; a practitioner, an
    admin and an auditor. The replica has replayed all of it."""
    reset_server(pg_server)
    dm, pr, boss, auditor = (
        make_login("duty_manager"),
        make_login("practitioner"),
        make_login("admin"),
        make_login("auditor"),
    )
    _submit(dm, [_as(dm, "contact.received", contact_payload(), now) for _ in range(80)])
    _restrict(boss, dm, now)
    caught_up(pg_server, replica_port)
    yield dm, pr, boss, auditor
    reset_server(pg_server)


def test_a_new_desks_first_pull_reads_the_replica_and_holds_what_the_primary_shows(
    county: tuple[Login, Login, Login, Login],
    replica_port: int,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    dm, pr, _, _ = county
    for login in (dm, pr):
        replica_dsn = on_replica(login.dsn, replica_port)
        assert in_recovery(replica_dsn) and not in_recovery(login.dsn)
        # Row-level security on the replica answers as on the primary, login by login.
        assert shown(replica_dsn) == shown(login.dsn)
        engine, transport = _desk(login, replica_dsn, tmp_path, clock)
        report = engine.sync()
        assert report.online and not report.warnings
        assert transport.refused is None
        assert transport.served["replica"] >= 60  # the catch-up batches came from it
        assert _held(engine) == shown(login.dsn)
        transport.close()
        engine.store.close()
    # The practitioner's desk holds none of the restricted child's contact, restriction,
    # link and note (the duty manager is named on the restriction).
    assert len(shown(pr.dsn)) == len(shown(dm.dsn)) - 4


def test_the_replica_refuses_a_submit_and_withholds_restricted_records(
    county: tuple[Login, Login, Login, Login], replica_port: int, now: datetime
) -> None:
    dm, pr, _, _ = county
    with (
        PgTransport(on_replica(pr.dsn, replica_port)) as t,
        pytest.raises(Exception, match="read-only transaction"),
    ):
        t.submit([_as(pr, "contact.received", contact_payload(), now)])
    with psycopg.connect(on_replica(pr.dsn, replica_port)) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        texts = [str(r[0]) for r in conn.execute("SELECT payload_text FROM dutydesk.events")]
        assert texts and not [t for t in texts if "about the child" in t]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM dutydesk.restrictions")
    with psycopg.connect(on_replica(dm.dsn, replica_port)) as conn:
        assert conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE payload_text LIKE '%about the child%'"
        ).fetchone() == (1,)


def test_a_lagging_replica_serves_what_it_has_and_the_primary_the_rest(
    pg_server: str,
    county: tuple[Login, Login, Login, Login],
    replica_port: int,
    tmp_path: Path,
    clock: FixedClock,
    now: datetime,
) -> None:
    dm, _, _, _ = county
    replica_dsn = on_replica(dm.dsn, replica_port)
    with Paused(pg_server, replica_port):
        _submit(dm, [_as(dm, "contact.received", contact_payload(), now) for _ in range(50)])
        behind, primary = shown(replica_dsn), shown(dm.dsn)
        assert len(primary) == len(behind) + 50
        engine, transport = _desk(dm, replica_dsn, tmp_path, clock)
        report = engine.sync()
        assert report.online and not report.warnings
        assert _held(engine) == primary  # all of it, not the replica's head
        assert transport.served["replica"] == len(behind)
        assert transport.served["primary"] == 50
        transport.close()
        engine.store.close()


def test_a_replica_behind_a_new_restriction_is_not_believed(
    pg_server: str,
    county: tuple[Login, Login, Login, Login],
    replica_port: int,
    tmp_path: Path,
    clock: FixedClock,
    now: datetime,
) -> None:
    dm, pr, boss, _ = county
    replica_dsn = on_replica(pr.dsn, replica_port)
    with Paused(pg_server, replica_port):
        _, cid = _restrict(boss, dm, now)  # noqa: F841  (a second child, restricted first)
        # Restrict the child of an old contact the replica still shows the practitioner.
        with psycopg.connect(pg_server) as conn:
            old_cid = str(
                conn.execute(
                    "SELECT contact_id FROM dutydesk.events WHERE type = 'contact.received' "
                    "ORDER BY seq LIMIT 1"
                ).fetchone()[0]  # type: ignore[index]
            )
        child = new_id()
        _submit(
            dm,
            [_as(dm, "person.linked", {"contact_id": old_cid, "slot": 0, "person_id": child}, now)],
        )
        _submit(
            boss,
            [
                _as(
                    boss,
                    "record.restricted",
                    {"person_id": child, "allowed": [dm.name], "reason": "staff member's child"},
                    now,
                )
            ],
        )
        stale, primary = shown(replica_dsn), shown(pr.dsn)
        assert set(stale) - set(primary)  # the replica still shows what is now withheld
        engine, transport = _desk(pr, replica_dsn, tmp_path, clock)
        report = engine.sync()
        assert report.online and not report.warnings
        assert _held(engine) == primary  # nothing the primary now withholds
        assert transport.served["primary"] > 0
        transport.close()
        engine.store.close()


def test_a_primary_named_as_the_replica_is_not_used(
    county: tuple[Login, Login, Login, Login], tmp_path: Path, clock: FixedClock
) -> None:
    dm, _, _, _ = county
    engine, transport = _desk(dm, dm.dsn, tmp_path, clock)
    assert engine.sync().online
    assert transport.refused is not None and "not in recovery" in transport.refused
    assert transport.served["replica"] == 0 and _held(engine) == shown(dm.dsn)
    transport.close()
    engine.store.close()


def test_audit_verify_walks_the_replica_and_anchors_it_on_the_primary(
    pg_server: str,
    county: tuple[Login, Login, Login, Login],
    replica_port: int,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dm, _, _, auditor = county
    replica_dsn = on_replica(auditor.dsn, replica_port)
    args = ["audit", "verify", "--server", "--dsn", auditor.dsn, "--replica-dsn", replica_dsn]
    head = len(shown(dm.dsn))  # named on the restriction: the duty manager reads every event
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"replica's head (sequence {head}) is the same; 0 newer" in out
    assert f"server's own chain check intact: {head} events" in out
    with Paused(pg_server, replica_port):
        _submit(dm, [_as(dm, "contact.received", contact_payload(), now) for _ in range(5)])
        assert main(args) == 0
        out = capsys.readouterr().out
        assert f"replica's head (sequence {head}) is the same; 5 newer" in out
    caught_up(pg_server, replica_port)
    assert main(args) == 0
    assert f"(sequence {head + 5}) is the same; 0 newer" in capsys.readouterr().out
