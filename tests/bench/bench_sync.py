"""Sync benchmarks against a real PostgreSQL (prints figures; not a test).

    DUTYDESK_TEST_PG_ADMIN_DSN=postgresql://postgres@127.0.0.1:5441/dutydesk_test \\
        python -m tests.bench.bench_sync [PUSH=10000] [PULL=100000] [RUNS=200] [ARMS=stamp]
    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_sync --compare \\
        [PUSH=5000] [RUNS=100] [ROUNDS=3] [PAIRS=20]
    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_sync --paired [PAIRS=60] [BATCH=200]

1. push PUSH events from one desk (engine push: batches of 500 through submit), then the
   raw limit: as many new events' bodies sent to ``dutydesk.submit`` pipelined;
2. pull PULL events into an empty desk (engine pull, batches of 5000, projections kept),
   then the raw limit: the same login's keyset read + a bare SQLite insert;
3. a decision committed on one desk -> stored on another that waits on NOTIFY (p50/p95),
   after the raw limit: a NOTIFY received on a second connection (p50/p95), same run.
A count of 0 skips that part. Creates its own logins; adds events to the database it is
pointed at (use a throwaway one). ARMS (default ``quick``) alternates the desk-to-desk runs
between arms and prints each arm's figures, the same load for all:

- ``quick``: as the app's sync controller does between full rounds: A pushes with the
  fast path (``SyncEngine.quick(pull=False)``), B pulls with it after the poke
  (``quick()``), each falling back to a full round when the fast path declines;
- ``stamp``: a full round (``sync()``) on both sides, as every poke did before the fast
  path (asks ``dutydesk.withheld`` about everyone only when the server's withheld stamp
  moved, migration 0009);
- ``every``: full rounds, and B made to forget the stamp before each run, so it asks
  about every person it holds after every pull (what it did before 0009, with 0009's
  faster function).

As in the window, each desk's store writes (A's decision, and every write of either
desk's sync) run on a writer thread of its own (``TaskRunner``, the session's
``dutydesk-writer``), sync's handed over with ``SyncEngine.write_through``. The arm
``quick-inline`` is ``quick`` with every write made inline on the thread that has it (the
window before issue 20 made sync's writes on the sync thread): the cost of the hand-over.

``--compare`` measures submit throughput (1) and desk-to-desk latency (3) on three fresh
databases of their own in the same cluster: one at migration 0001 only (the server before
issue 12: no payload, time or restriction checks), one at the newest migration (validated),
and one at the newest with its payload checks switched off (``payload_checks``), rounds
alternating so machine noise hits all alike; then it times ``check_payload`` inside the
server (``check_cost``) and submits PAIRS batches of 500 contacts to the three in turn
(``paired_submit``), and prints the medians side by side with the cost of validation (the
issue allows 20%). ``--paired`` runs only that last part. Both drop their databases.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import LONDON, FixedClock, SystemClock
from dutydesk.domain.codes import Role
from dutydesk.domain.event_permissions import may_record
from dutydesk.domain.events import canonical_json
from dutydesk.store import withheld
from dutydesk.store.eventstore import EventStore
from dutydesk.store.writer import inline
from dutydesk.sync import engine as engine_mod
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import EVENT_COLUMNS, PgTransport
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload, decision_payload, event

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


_serial = itertools.count()


def login(admin_dsn: str, group: str) -> tuple[str, str]:
    # A counter as well as the clock: two logins of one run once got the same name
    # (pid and clock digits run together), and logins outlive a run (they are cluster-wide).
    name = f"bench.{group[:6]}{os.getpid()}.{next(_serial)}.{time.monotonic_ns() % 100000}"
    admin.add_user(admin_dsn, name, group, "a long bench password")
    return name, make_conninfo(admin_dsn, user=name)


def desk(folder: Path, name: str, dsn: str) -> SyncEngine:
    store = EventStore.open(folder / f"{name}.sqlite3")
    return SyncEngine(store, PgTransport(dsn), SystemClock(), login=name)


def bench_push(folder: Path, admin_dsn: str, n: int, cpu: list[float] | None = None) -> float:
    """Events per second a desk's push of ``n`` new contacts takes, wall clock, on a new
    connection (as a desk starting up). When the server runs on this machine, ``cpu`` gets
    the server CPU ms per event the push cost (its backend process)."""
    name, dsn = login(admin_dsn, "duty_manager")
    engine = desk(folder, name, dsn)
    events = [event("contact.received", contact_payload(), NOW, actor=name) for _ in range(n)]
    engine.store.append(events)
    engine.transport.state()  # connect before the timer starts
    pid = engine.transport._call(  # noqa: SLF001 - the bench's own look
        lambda c: int(c.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
    )
    cpu_before = _backend_cpu(pid)
    started = time.perf_counter()
    counts = {"accepted": 0, "duplicates": 0, "rejected": 0, "pulled": 0}
    engine._push(counts, force=True)
    took = time.perf_counter() - started
    cpu_after = _backend_cpu(pid)
    engine.transport.close()
    engine.store.close()
    rate = counts["accepted"] / took
    server = ""
    if cpu is not None and cpu_before is not None and cpu_after is not None:
        cpu.append((cpu_after - cpu_before) * 1000 / max(counts["accepted"], 1))
        server = f", server CPU {cpu[-1]:.3f} ms per event"
    print(
        f"push {counts['accepted']:,} events (batches of {engine.push_batch}): {took:.2f} s "
        f"({rate:,.0f}/s){server}"
    )
    return rate


def seed_server(admin_dsn: str, n: int) -> None:
    name, dsn = login(admin_dsn, "duty_manager")
    events = [
        dataclasses.replace(e, actor=name, actor_role="duty_manager")
        for e in generate(11, n, now=NOW)
        if may_record(Role.DUTY_MANAGER, e.type)
    ]
    started = time.perf_counter()
    with PgTransport(dsn) as t:
        for i in range(0, len(events), 1000):
            t.submit(events[i : i + 1000])
    print(f"(seeded {len(events):,} synthetic events in {time.perf_counter() - started:.1f} s)")


def raw_push(admin_dsn: str, n: int, batch: int = 500) -> None:
    """The raw limit of push: the same number of new events, bodies built once before the
    timer, sent to ``dutydesk.submit`` in batches of ``batch`` in one psycopg pipeline (no
    waiting per batch, no local store)."""
    name, dsn = login(admin_dsn, "duty_manager")
    events = [event("contact.received", contact_payload(), NOW, actor=name) for _ in range(n)]
    bodies = [
        json.dumps(
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
                for e in events[i : i + batch]
            ]
        )
        for i in range(0, n, batch)
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        with conn.pipeline():
            cursors = [
                conn.execute("SELECT count(*) FROM dutydesk.submit(%s::jsonb)", (b,))
                for b in bodies
            ]
        took = time.perf_counter() - started
        accepted = sum(int((c.fetchone() or (0,))[0]) for c in cursors)
    print(
        f"raw limit: {accepted:,} events submitted pipelined, {len(bodies)} calls: "
        f"{took:.2f} s ({accepted / took:,.0f}/s)"
    )


def raw_pull(folder: Path, dsn: str) -> None:
    """The raw limit of pull, for the login that pulled: a keyset read of every event it
    may see (5,000 a time, payload as text) and a stdlib ``sqlite3`` insert of the rows
    into a bare table, 5,000 per transaction."""
    db = sqlite3.connect(folder / "raw-pull.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE events (seq INTEGER UNIQUE, id TEXT PRIMARY KEY, type TEXT, "
        "schema_version INTEGER, actor TEXT, actor_role TEXT, device TEXT, client_time TEXT, "
        "payload TEXT, server_time TEXT, hash TEXT, prev_hash TEXT)"
    )
    n = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        started, cpu = time.perf_counter(), time.process_time()
        cursor = 0
        while rows := conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT 5000",
            (cursor,),
        ).fetchall():
            db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.commit()
            n += len(rows)
            cursor = rows[-1][0]
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.close()
    print(
        f"raw limit: keyset read + SQLite insert of {n:,} events: {took:.2f} s "
        f"({n / took:,.0f}/s), CPU {cpu:.2f} s; load {os.getloadavg()[0]:.1f}"
    )


def bench_pull(folder: Path, admin_dsn: str, n: int) -> None:
    seed_server(admin_dsn, n)
    name, dsn = login(admin_dsn, "auditor")
    engine = desk(folder, name, dsn)
    started, cpu = time.perf_counter(), time.process_time()
    report = engine.sync()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"pull {report.pulled:,} events into an empty desk (with projections): {took:.2f} s "
        f"({report.pulled / took:,.0f}/s), CPU {cpu:.2f} s (every thread of this process); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    engine.transport.close()
    engine.store.close()
    raw_pull(folder, dsn)


def bench_latency(
    folder: Path, admin_dsn: str, runs: int, arms: tuple[str, ...] = ("quick",)
) -> tuple[float, float]:
    a_name, a_dsn = login(admin_dsn, "duty_manager")
    b_name, b_dsn = login(admin_dsn, "duty_manager")
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()
        print(f"(the server holds {row[0] if row else 0:,} events; load {os.getloadavg()[0]:.1f})")
    sender = SyncEngine(
        EventStore.open(folder / f"{a_name}.sqlite3"),
        PgTransport(a_dsn),
        FixedClock(NOW),
        login=a_name,
    )
    watcher = desk(folder, b_name, b_dsn)
    writers = (TaskRunner(name="bench-writer-a"), TaskRunner(name="bench-writer-b"))
    sender.write_through(writers[0].run)  # each desk's one writer, as in the window
    watcher.write_through(writers[1].run)
    # Decisions go round 50 contacts, as at a front door (a contact gets one or two): one
    # contact with every run's decision would make each append re-read and rewrite all of
    # that contact's earlier decisions, a cost that grows with the number of runs.
    contacts = [event("contact.received", contact_payload(), NOW, actor=a_name) for _ in range(50)]
    sender.store.append(contacts)
    sender.sync()
    watcher.sync()
    arrived: dict[str, float] = {}
    stop = threading.Event()
    fast = {"on": False}  # the arm of the current run: B's fast path or full rounds

    def watch() -> None:
        while not stop.is_set():
            if watcher.transport.wait_for_poke(0.5):
                if not (fast["on"] and watcher.quick()):
                    watcher.sync()
                for eid in list(expected):
                    if eid not in arrived and watcher.store.get_event(eid) is not None:
                        arrived[eid] = time.perf_counter()

    expected: list[str] = []
    thread = threading.Thread(target=watch)
    thread.start()
    time.sleep(0.3)  # the watcher is listening
    samples: list[float] = []
    by_arm: dict[str, list[float]] = {arm: [] for arm in arms}
    cids = [c.payload["contact_id"] for c in contacts]
    for i in range(runs):
        arm = arms[i % len(arms)]
        if arm == "every":  # the watcher's next sync asks about everyone it holds
            writers[1].run(partial(withheld.forget_checked, watcher.store.engine))
        fast["on"] = arm.startswith("quick")
        for engine, writer in zip((sender, watcher), writers, strict=True):
            engine.write_through(inline if arm == "quick-inline" else writer.run)
        decision = event(
            "decision.recorded", decision_payload(cids[i % len(cids)]), NOW, actor=a_name
        )
        expected.append(decision.id)
        started = time.perf_counter()
        if arm == "quick-inline":
            sender.store.append([decision])
        else:
            writers[0].run(partial(sender.store.append, [decision]))  # the window's write
        if not (fast["on"] and sender.quick(pull=False)):
            sender.sync()
        deadline = time.perf_counter() + 5
        while decision.id not in arrived and time.perf_counter() < deadline:
            time.sleep(0.0005)
        took = (arrived.get(decision.id, float("inf")) - started) * 1000
        by_arm[arm].append(took)
    stop.set()
    thread.join()
    held = len(withheld.held_people(watcher.store.engine))
    for w in writers:
        w.shutdown()
    for d in (sender, watcher):
        d.transport.close()
        d.store.close()
    for arm, samples in by_arm.items():
        samples.sort()
        p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
        p50 = statistics.median(samples)
        what = {
            "quick": ", fast path (A pushes, B pulls)",
            "quick-inline": ", fast path, writes inline (no writer thread)",
            "stamp": ", full rounds",
            "every": ", full rounds asking about every person held each sync",
        }[arm]
        print(
            f"decision recorded on desk A -> stored on desk B via NOTIFY{what}, "
            f"{len(samples)} runs (B holds {held:,} people): "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {samples[-1]:.1f} ms"
        )
    first = by_arm[arms[0]]
    return statistics.median(first), first[max(int(len(first) * 0.95) - 1, 0)]


def bench_notify(dsn: str, runs: int) -> tuple[float, float]:
    """The raw limit of desk-to-desk: NOTIFY on one connection, received by another that
    LISTENs (what a poke costs with no desk work at all), p50/p95 over ``runs``."""
    samples = []
    with (
        psycopg.connect(dsn, autocommit=True) as listener,
        psycopg.connect(dsn, autocommit=True) as sender,
    ):
        listener.execute("LISTEN bench_raw")
        for _ in range(runs):
            started = time.perf_counter()
            sender.execute("NOTIFY bench_raw")
            next(iter(listener.notifies(timeout=5, stop_after=1)))
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p50, p95 = statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]
    print(
        f"raw limit: NOTIFY received on another connection, {runs} runs: "
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"
    )
    return p50, p95


@contextlib.contextmanager
def databases(admin_dsn: str) -> Iterator[tuple[str, str, str]]:
    """(before, after, unchecked): admin DSNs of three new databases: at 0001 only (the
    server before issue 12), at the newest, and at the newest with its payload checks
    switched off (``payload_checks``), so no arm rewrites a function another arm uses."""
    stamp = f"{os.getpid()}_{time.monotonic_ns() % 100000}"
    names = tuple(f"dutydesk_bench_{k}_{stamp}" for k in ("before", "after", "unchecked"))
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
    before, after, unchecked = (make_conninfo(admin_dsn, dbname=name) for name in names)
    every = admin.migrations
    try:
        admin.migrations = lambda *a, **k: every()[:1]
        try:
            admin.init(before)
        finally:
            admin.migrations = every
        # The plan fix of migration 0014 given to the old server too: without it, each
        # session's submit keeps a plan made on an empty table and grows slower with every
        # event stored, so "before" would measure how much it holds, not what it checks.
        # And 0015's jit = off with it, else every call JIT-compiles a "disabled" scan.
        with psycopg.connect(before, autocommit=True) as conn:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(admin.OWNER)))
            conn.execute(
                "ALTER FUNCTION dutydesk.submit(jsonb) SET enable_seqscan = off SET jit = off"
            )
        admin.init(after)
        admin.init(unchecked)
        payload_checks(unchecked, False)
        yield before, after, unchecked
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def _backend_cpu(pid: int) -> float | None:
    """Seconds of CPU the server process ``pid`` has used, or None when the server is not
    on this machine: the scheduler's count in nanoseconds (/proc/PID/schedstat) where the
    kernel keeps one, else user + system time in clock ticks (10 ms: 0.05 ms per event
    over a batch of 200, too coarse for one batch)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paired_submit(
    dsns: dict[str, str],
    pairs: int,
    batch: int,
    cpu: dict[str, float] | None = None,
    halves: dict[str, tuple[list[float], list[float]]] | None = None,
) -> dict[str, list[float]]:
    """ms per event of ``dutydesk.submit`` for one batch of ``batch`` contacts, sent to
    each database in turn (order reversed every other time), ``pairs`` times: samples taken
    seconds apart, so a machine shared with other work loads every arm alike and the
    ratio of each pair holds still where minutes-apart rounds do not. When the server runs
    on this machine, ``cpu`` gets each arm's server CPU ms per event (its backend process,
    ``_backend_cpu``; first pair left out: the checks' one-off compile): the CPU the
    server spent, which a machine at load 20 does not inflate as it does wall time.
    ``halves`` gets each arm's per-batch server CPU in the first and the second half of
    the run: alike when submit's cost does not grow with the events stored (it did before
    migration 0014, 0.35 -> 1.1 ms per contact over 5,000 events)."""
    transports = {}
    pids = {}
    for label, dsn in dsns.items():
        name, login_dsn = login(dsn, "duty_manager")
        transports[label] = (name, PgTransport(login_dsn))
        transports[label][1].state()  # connected before the timer starts
        pids[label] = transports[label][1]._call(  # noqa: SLF001 - the bench's own look
            lambda c: int(c.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        )
    used: dict[str, float] = dict.fromkeys(dsns, 0.0)
    samples: dict[str, list[float]] = {k: [] for k in dsns}
    try:
        for i in range(pairs):
            for label in list(dsns) if i % 2 == 0 else list(reversed(dsns)):
                name, t = transports[label]
                events = [
                    event("contact.received", contact_payload(), NOW, actor=name)
                    for _ in range(batch)
                ]
                cpu_before = _backend_cpu(pids[label])
                started = time.perf_counter()
                receipts = t.submit(events)
                took = time.perf_counter() - started
                cpu_after = _backend_cpu(pids[label])
                assert {r.status for r in receipts} == {"accepted"}, receipts[0]
                samples[label].append(took * 1000 / batch)
                if i > 0 and cpu_before is not None and cpu_after is not None:
                    used[label] += cpu_after - cpu_before
                    if halves is not None:  # does it grow with what the session stored?
                        half = halves.setdefault(label, ([], []))[0 if 2 * i < pairs else 1]
                        half.append((cpu_after - cpu_before) * 1000 / batch)
    finally:
        for _, t in transports.values():
            t.close()
    if cpu is not None and pairs > 1 and all(used.values()):
        cpu.update({k: v * 1000 / ((pairs - 1) * batch) for k, v in used.items()})
    return samples


def payload_checks(admin_dsn: str, on: bool) -> None:
    """Switch the newest server's payload checks off (a stand-in that passes everything)
    or back on (the compiled catalogue, as `server upgrade` writes it): to show what the
    checks alone cost on otherwise the same server."""
    if on:
        admin.upgrade(admin_dsn)
        return
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(admin.OWNER)))
        conn.execute(
            "CREATE OR REPLACE FUNCTION dutydesk.check_payload(p_type text, "
            "p_payload jsonb, p_today date) RETURNS text LANGUAGE sql STABLE "
            "SET search_path = pg_catalog, dutydesk, pg_temp AS 'SELECT NULL::text'"
        )


def check_cost(admin_dsn: str, repeats: int = 5) -> tuple[int, float]:
    """(events, ms per event) the payload checks take inside the server: every stored
    event's payload checked again by ``dutydesk.check_payload`` in one statement, less the
    same statement without the call (median of ``repeats``; the server process's CPU when
    it runs on this machine, else wall time). No network, no desk, so it holds still on a
    busy machine where whole-submit timings do not."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(admin.OWNER)))
        [n] = conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()  # type: ignore[misc]
        [pid] = conn.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[misc]
        # Server CPU where this machine runs the server (wall time at load 8 is 3-4x it).
        clock = (lambda: _backend_cpu(pid) or 0.0) if _backend_cpu(pid) else time.perf_counter
        timings: dict[str, list[float]] = {"with": [], "without": []}
        what = {
            "with": "count(dutydesk.check_payload(type, payload, "
            "substr(client_time, 1, 10)::date))",
            "without": "count(substr(client_time, 1, 10)::date)",
        }
        for _ in range(repeats):
            for k, expr in what.items():
                started = clock()
                conn.execute(f"SELECT {expr} FROM dutydesk.events")  # noqa: S608 - fixed text
                timings[k].append(clock() - started)
    cost = statistics.median(timings["with"]) - statistics.median(timings["without"])
    return int(n), cost * 1000 / max(int(n), 1)


def compare(
    folder: Path, admin_dsn: str, push: int, runs: int, rounds: int, pairs: int = 20
) -> None:
    supported = engine_mod.SUPPORTED_SCHEMA
    arms = ("before", "after", "unchecked")
    figures: dict[str, dict[str, list[float]]] = {
        k: {"push": [], "p50": [], "p95": [], "cpu": []} for k in arms
    }
    loads: list[float] = []
    with databases(admin_dsn) as (before, after, unchecked):
        for r in range(rounds):
            order = [
                ("before", before, 1),
                ("after", after, supported),
                ("unchecked", unchecked, supported),
            ]
            for label, dsn, schema in order if r % 2 == 0 else reversed(order):
                loads.append(os.getloadavg()[0])
                print(f"-- round {r + 1}, {label} (server schema {schema}), load {loads[-1]:.1f}")
                engine_mod.SUPPORTED_SCHEMA = schema  # the desk of that time
                refresh = engine_mod.SyncEngine._refresh_withheld
                check_rules = engine_mod.SyncEngine._check_rules
                watch = engine_mod.SyncEngine._checkpoint_watch
                if schema < 8:  # that desk did not check signed checkpoints (0008)
                    engine_mod.SyncEngine._checkpoint_watch = (  # type: ignore[method-assign]
                        lambda self, server: None
                    )
                if schema < 10:  # that desk did not compare the rules digest (0010)
                    engine_mod.SyncEngine._check_rules = (  # type: ignore[method-assign]
                        lambda self, server: None
                    )
                if schema < 6:  # that desk did not ask dutydesk.withheld (0006)
                    engine_mod.SyncEngine._refresh_withheld = (  # type: ignore[method-assign]
                        lambda self, *stamp: None
                    )
                try:
                    figures[label]["push"].append(
                        bench_push(folder, dsn, push, figures[label]["cpu"])
                    )
                    p50, p95 = bench_latency(folder, dsn, runs, ("stamp",))
                finally:
                    engine_mod.SUPPORTED_SCHEMA = supported
                    engine_mod.SyncEngine._refresh_withheld = (  # type: ignore[method-assign]
                        refresh
                    )
                    engine_mod.SyncEngine._check_rules = (  # type: ignore[method-assign]
                        check_rules
                    )
                    engine_mod.SyncEngine._checkpoint_watch = (  # type: ignore[method-assign]
                        watch
                    )
                figures[label]["p50"].append(p50)
                figures[label]["p95"].append(p95)
        checked, per_event = check_cost(after)
        paired = paired_submit(
            {"before": before, "after": after, "unchecked": unchecked}, pairs, 500
        )
    med = {
        k: {m: statistics.median(v) if v else float("nan") for m, v in f.items()}
        for k, f in figures.items()
    }
    b, a, u = med["before"], med["after"], med["unchecked"]
    print(
        f"\nmedians of {rounds} alternating rounds ({push:,} events pushed, {runs} "
        f"desk-to-desk runs each; load {min(loads):.1f}-{max(loads):.1f}):"
    )
    print("| what | before (0001, no validation) | after (validated) | cost |")
    print("|---|---|---|---|")
    print(
        f"| submit throughput | {b['push']:,.0f} events/s | {a['push']:,.0f} events/s | "
        f"{(b['push'] / a['push'] - 1) * 100:+.0f}% time per event |"
    )
    for m in ("p50", "p95"):
        print(
            f"| desk-to-desk latency {m} | {b[m]:.1f} ms | {a[m]:.1f} ms | "
            f"{(a[m] / b[m] - 1) * 100:+.0f}% |"
        )
    print(
        f"| the same, newest server with its payload checks off (no validation) | "
        f"{u['push']:,.0f} events/s | {a['push']:,.0f} events/s | "
        f"{(u['push'] / a['push'] - 1) * 100:+.0f}% time per event |"
    )
    for m in ("p50", "p95"):
        print(
            f"| desk-to-desk latency {m}, checks off / on | {u[m]:.1f} ms | {a[m]:.1f} ms | "
            f"{(a[m] / u[m] - 1) * 100:+.0f}% |"
        )
    print(
        f"\ninside the server: dutydesk.check_payload takes {per_event:.3f} ms per event "
        f"(all {checked:,} events of the validated database checked again in one "
        f"statement), {per_event / (1000 / a['push']) * 100:.0f}% of the validated submit's "
        f"{1000 / a['push']:.2f} ms per event"
    )
    ratio = {
        k: statistics.median(x / y for x, y in zip(paired["after"], paired[k], strict=True))
        for k in ("before", "unchecked")
    }
    pm = {k: statistics.median(v) for k, v in paired.items()}
    print(
        f"\nsubmit alone, {pairs} batches of 500 contacts sent to each database in turn "
        f"(median ms per event; median of the paired ratios): before {pm['before']:.3f}, "
        f"validated {pm['after']:.3f}, checks off {pm['unchecked']:.3f}; validated costs "
        f"{(ratio['before'] - 1) * 100:+.0f}% against before and "
        f"{(ratio['unchecked'] - 1) * 100:+.0f}% against checks off"
    )
    print(
        f"\nthe payload checks alone (newest server, checks on / off): submit "
        f"{a['push']:,.0f} / {u['push']:,.0f} events/s "
        f"({(u['push'] / a['push'] - 1) * 100:+.0f}% time per event), latency p50 "
        f"{a['p50']:.1f} / {u['p50']:.1f} ms "
        f"({(a['p50'] / u['p50'] - 1) * 100:+.0f}%), p95 {a['p95']:.1f} / {u['p95']:.1f} ms "
        f"({(a['p95'] / u['p95'] - 1) * 100:+.0f}%), server CPU per pushed event "
        f"{a['cpu']:.3f} / {u['cpu']:.3f} ms ({(a['cpu'] / u['cpu'] - 1) * 100:+.0f}%; "
        f"before {b['cpu']:.3f} ms)"
    )


def main(argv: list[str]) -> int:
    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not admin_dsn:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN (tests/pg.sh start prints it)", file=sys.stderr)
        return 2
    if argv[:1] == ["--paired"]:  # submit alone, the three servers in turn: PAIRS BATCH
        pairs, size = (int(a) for a in (argv[1:] + ["60", "200"][len(argv) - 1 :])[:2])
        server_cpu: dict[str, float] = {}
        halves: dict[str, tuple[list[float], list[float]]] = {}
        load = os.getloadavg()[0]
        with databases(admin_dsn) as (before, after, unchecked):
            got = paired_submit(
                {"before": before, "after": after, "unchecked": unchecked},
                pairs,
                size,
                server_cpu,
                halves,
            )
            checked, per_event = check_cost(after)
        for k in ("before", "unchecked"):
            r = sorted(x / y for x, y in zip(got["after"], got[k], strict=True))
            q = statistics.quantiles(r, n=4)
            print(
                f"validated / {k}: median {statistics.median(r):.2f}, quartiles "
                f"{q[0]:.2f}-{q[2]:.2f} over {pairs} pairs of {size} contacts"
            )
        pm = {k: statistics.median(v) for k, v in got.items()}
        print(
            "median ms per event: "
            + ", ".join(f"{k} {v:.3f}" for k, v in pm.items())
            + f"; check_payload inside the server {per_event:.3f} ms per event"
        )
        if server_cpu:
            c = server_cpu
            print(
                "server CPU per event (the login's backend process, pairs 2 on): "
                + ", ".join(f"{k} {v:.3f} ms" for k, v in c.items())
                + f"; validated costs {(c['after'] / c['unchecked'] - 1) * 100:+.0f}% against "
                f"checks off and {(c['after'] / c['before'] - 1) * 100:+.0f}% against before"
            )
            print(
                "server CPU per event, first / second half of the run: "
                + ", ".join(
                    f"{k} {statistics.mean(a):.3f} / {statistics.mean(b):.3f} ms"
                    for k, (a, b) in halves.items()
                    if a and b
                )
            )
        print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
        return 0
    if argv[:1] == ["--compare"]:
        push, runs, rounds, pairs = (
            int(a) for a in (argv[1:] + ["5000", "100", "3", "20"][len(argv) - 1 :])[:4]
        )
        with tempfile.TemporaryDirectory() as tmp:
            compare(Path(tmp), admin_dsn, push, runs, rounds, pairs)
        return 0
    push, pull, runs = (int(a) for a in (argv + ["10000", "100000", "200"][len(argv) :])[:3])
    arms = tuple(argv[3].split(",")) if len(argv) > 3 else ("quick",)
    if not arms or set(arms) - {"quick", "quick-inline", "stamp", "every"}:
        print(
            "ARMS is a comma-separated list of quick, quick-inline, stamp, every",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if push:  # 0 skips a phase, e.g. `bench_sync 10000 0 0` measures push alone
            bench_push(folder, admin_dsn, push)
            raw_push(admin_dsn, push)
        if pull:
            bench_pull(folder, admin_dsn, pull)
        if runs:
            bench_notify(admin_dsn, runs)
            bench_latency(folder, admin_dsn, runs, arms)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
