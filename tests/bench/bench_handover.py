"""Desk-to-desk latency with each desk in a process of its own (prints figures; not a test).

    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_handover [RUNS=200] \\
        [ARMS=quick,stamp] [--b-store PATH] [--a-store PATH] [--at-head] [--synced]

``bench_sync``'s desk-to-desk part runs both desks as threads of one Python process, so
A's work after its submit holds the GIL while B stores; on two computers they would not
compete. Here desk A is this process and desk B a child process (``--desk-b``, driven over
its stdin and stdout), as two desks on one machine: they still share its CPUs, not a lock.

Each run: this process tells B which event to expect (before the timer), commits a
decision on A (on A's writer thread, as the window does) and pushes it (``quick(pull=
False)``, falling back to a full round, in the arms ``quick``; a full round in ``stamp``);
B, woken by the NOTIFY, pulls (``quick()`` or a full round) and reports the time the
event was stored (both processes read the same ``CLOCK_MONOTONIC``) and the CPU its
process spent on that hand-over. Right after, the raw limit: one NOTIFY received on a
second connection (two connections kept open), so limit and figure alternate run by run
under the same load. Prints p50 / p95 of each, and CPU per hand-over on A, on B and in the
server backends of A's and B's connections (``/proc``, when the server runs here).

``--b-store`` / ``--a-store`` copy a desk store (e.g. the 1M-event store of
``bench_store --keep``) into the temporary folder and use the copy as that desk's store;
the original is only read. ``--at-head`` sets both desks' sync cursor to the server's head
before their first full round (as ``bench_county``'s head template: a desk that pulled
everything, without the rows), for a server seeded with many events
(``tests/bench/seed_county.py``) that the desks should not pull. ``--synced`` gives the
copies' events that never had a server a server sequence below zero (``_as_synced``), so
the desks hold their 1M events as synced desks do.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import IO

import psycopg

from dutydesk.domain.clock import FixedClock, SystemClock
from dutydesk.store import withheld
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import META_CURSOR, SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from dutydesk.ui.tasks import TaskRunner
from tests.bench.bench_sync import NOW, _backend_cpu, login
from tests.factories import contact_payload, decision_payload, event

ARMS = ("quick", "stamp")


def _backend_pid(transport: PgTransport) -> int:
    return transport._call(  # noqa: SLF001 - the bench's own look
        lambda c: int(c.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
    )


def _open_desk(path: Path, dsn: str, name: str, *, at_head: bool, fixed: bool) -> SyncEngine:
    """A desk on ``path`` after its first full round; its store writes on a writer thread
    of its own (the window's ``dutydesk-writer``)."""
    clock = FixedClock(NOW) if fixed else SystemClock()
    engine = SyncEngine(EventStore.open(path), PgTransport(dsn), clock, login=name)
    if at_head:
        engine.store.set_meta(META_CURSOR, str(engine.transport.state().head_seq))
    engine.sync()
    writer = TaskRunner(name=f"bench-writer-{name}")
    engine.write_through(writer.run)
    engine._bench_writer = writer  # type: ignore[attr-defined]  # shut down with the desk
    return engine


def _close_desk(engine: SyncEngine) -> None:
    engine._bench_writer.shutdown()  # type: ignore[attr-defined]
    engine.transport.close()
    engine.store.close()


def _as_synced(path: Path) -> None:
    """Give a copied store's events that never had a server a server sequence below zero
    (unique, before anything a server hands out, no hash), as a desk whose log is all on
    the server: with events that never went there, every pull refolds the contacts it
    touches in server order (``SyncEngine._store_batch``), which a synced desk does not."""
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE events SET server_seq = local_seq - 4000000000 WHERE server_seq IS NULL")
    db.close()


# ---- desk B: the child process ----------------------------------------------------------


def desk_b(path: str, dsn: str, name: str, at_head: bool) -> int:
    """Desk B: wait for pokes, pull, and report each expected event as it is stored."""
    engine = _open_desk(Path(path), dsn, name, at_head=at_head, fixed=False)
    out = sys.stdout
    with engine.store.engine.connect() as conn:
        held_events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    people = len(withheld.held_people(engine.store.engine))
    engine.transport.wait_for_poke(0)  # listening before A starts
    pid = _backend_pid(engine.transport)
    expected: dict[str, str] = {}  # event id -> arm
    lock = threading.Lock()
    done = threading.Event()

    def read_orders(source: IO[str]) -> None:
        for line in source:
            words = line.split()
            if words[:1] == ["expect"]:
                with lock:
                    expected[words[1]] = words[2]
                    # A starts its timer only once B has the order: B pulling before it
                    # read the order took a full round and never reported the event.
                    print(f"expecting {words[1]}", file=out, flush=True)
            elif words[:1] == ["stop"]:
                break
        done.set()

    threading.Thread(target=read_orders, args=(sys.stdin,), daemon=True).start()
    print(f"ready {held_events} {people} {pid}", file=out, flush=True)
    while not done.is_set():
        if not engine.transport.wait_for_poke(0.2):
            continue
        cpu, server = time.process_time(), _backend_cpu(pid)
        with lock:
            waiting = dict(expected)
        fast = bool(waiting) and all(arm == "quick" for arm in waiting.values())
        if not (fast and engine.quick()):
            engine.sync()
        for eid in waiting:
            if engine.store.get_event(eid) is not None:
                at = time.perf_counter()
                spent = (time.process_time() - cpu) * 1000
                backend = (_backend_cpu(pid) or 0.0) - (server or 0.0)
                with lock:
                    expected.pop(eid, None)
                    print(f"arrived {eid} {at:.6f} {spent:.3f} {backend * 1000:.3f}", flush=True)
    _close_desk(engine)
    return 0


# ---- desk A and the runs: this process --------------------------------------------------


@dataclasses.dataclass
class Arrivals:
    """What B reported, by event id: (time stored, B's CPU ms, B's backend CPU ms)."""

    got: dict[str, tuple[float, float, float]] = dataclasses.field(default_factory=dict)
    ordered: set[str] = dataclasses.field(default_factory=set)  # orders B has read
    cond: threading.Condition = dataclasses.field(default_factory=threading.Condition)

    def follow(self, source: IO[str]) -> None:
        for line in source:
            words = line.split()
            if words[:1] == ["arrived"]:
                with self.cond:
                    self.got[words[1]] = (float(words[2]), float(words[3]), float(words[4]))
                    self.cond.notify_all()
            elif words[:1] == ["expecting"]:
                with self.cond:
                    self.ordered.add(words[1])
                    self.cond.notify_all()

    def wait_ordered(self, eid: str, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: eid in self.ordered, timeout)

    def wait(self, eid: str, timeout: float) -> tuple[float, float, float] | None:
        with self.cond:
            self.cond.wait_for(lambda: eid in self.got, timeout)
            return self.got.get(eid)


def _pct(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[max(int(len(s) * 0.95) - 1, 0)]


def run(folder: Path, admin_dsn: str, runs: int, arms: tuple[str, ...], opts: dict) -> None:  # type: ignore[type-arg]
    a_name, a_dsn = login(admin_dsn, "duty_manager")
    b_name, b_dsn = login(admin_dsn, "duty_manager")
    paths = {}
    for desk, name in (("a", a_name), ("b", b_name)):
        paths[desk] = folder / f"{name}.sqlite3"
        if opts.get(desk):
            started = time.perf_counter()
            shutil.copyfile(opts[desk], paths[desk])
            if opts["synced"]:
                _as_synced(paths[desk])
            took = time.perf_counter() - started
            print(f"(desk {desk.upper()}: a copy of {opts[desk]}, {took:.0f} s)")
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM dutydesk.events").fetchone()
    print(f"(the server holds {row[0] if row else 0:,} events; load {os.getloadavg()[0]:.1f})")
    sender = _open_desk(paths["a"], a_dsn, a_name, at_head=opts["at_head"], fixed=True)
    # Decisions go round 50 contacts, as in bench_sync (a contact gets one or two).
    contacts = [event("contact.received", contact_payload(), NOW, actor=a_name) for _ in range(50)]
    sender._bench_writer.run(partial(sender.store.append, contacts))  # type: ignore[attr-defined]
    sender.sync()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_handover",
            "--desk-b",
            str(paths["b"]),
            b_dsn,
            b_name,
            "1" if opts["at_head"] else "0",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdin is not None and child.stdout is not None
    ready = child.stdout.readline().split()
    if ready[:1] != ["ready"]:
        raise SystemExit(f"desk B did not start: {ready}")
    b_events, b_people = int(ready[1]), int(ready[2])
    with sender.store.engine.connect() as conn:
        a_events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    arrivals = Arrivals()
    threading.Thread(target=arrivals.follow, args=(child.stdout,), daemon=True).start()
    a_pid = _backend_pid(sender.transport)
    figures: dict[str, dict[str, list[float]]] = {
        arm: {"wall": [], "a_cpu": [], "b_cpu": [], "a_server": [], "b_server": []} for arm in arms
    }
    raw: list[float] = []
    cids = [c.payload["contact_id"] for c in contacts]
    loads = [os.getloadavg()[0]]
    with (
        psycopg.connect(admin_dsn, autocommit=True) as listener,
        psycopg.connect(admin_dsn, autocommit=True) as poker,
    ):
        listener.execute("LISTEN bench_raw")
        time.sleep(0.3)
        for i in range(runs):
            arm = arms[i % len(arms)]
            decision = event(
                "decision.recorded", decision_payload(cids[i % len(cids)]), NOW, actor=a_name
            )
            child.stdin.write(f"expect {decision.id} {arm}\n")
            child.stdin.flush()
            if not arrivals.wait_ordered(decision.id, 10):
                raise SystemExit(f"run {i}: desk B did not read its order within 10 s")
            cpu, server = time.process_time(), _backend_cpu(a_pid)
            started = time.perf_counter()
            sender._bench_writer.run(partial(sender.store.append, [decision]))  # type: ignore[attr-defined]
            if not (arm == "quick" and sender.quick(pull=False)):
                sender.sync()
            f = figures[arm]
            f["a_cpu"].append((time.process_time() - cpu) * 1000)
            f["a_server"].append(((_backend_cpu(a_pid) or 0.0) - (server or 0.0)) * 1000)
            got = arrivals.wait(decision.id, 10)
            if got is None:
                print(f"run {i}: desk B did not store the decision within 10 s")
                f["wall"].append(float("inf"))
                continue
            f["wall"].append((got[0] - started) * 1000)
            f["b_cpu"].append(got[1])
            f["b_server"].append(got[2])
            time.sleep(0.02)  # B is back waiting
            started = time.perf_counter()
            poker.execute("NOTIFY bench_raw")
            next(iter(listener.notifies(timeout=5, stop_after=1)))
            raw.append((time.perf_counter() - started) * 1000)
            if i % 20 == 19:
                loads.append(os.getloadavg()[0])
    child.stdin.write("stop\n")
    child.stdin.flush()
    child.wait(30)
    _close_desk(sender)
    loads.append(os.getloadavg()[0])
    r50, r95 = _pct(raw)
    print(
        f"desk A holds {a_events:,} events, desk B {b_events:,} events and {b_people:,} "
        f"people; load {min(loads):.1f}-{max(loads):.1f}"
    )
    print(
        f"raw limit: NOTIFY received on another connection, {len(raw)} runs alternated "
        f"with the hand-overs: p50 {r50:.2f} ms, p95 {r95:.2f} ms"
    )
    for arm, f in figures.items():
        p50, p95 = _pct(f["wall"])
        what = {"quick": "fast path (A pushes, B pulls)", "stamp": "full rounds"}[arm]
        med = {k: statistics.median(v) if v else float("nan") for k, v in f.items()}
        print(
            f"decision on desk A -> stored on desk B (two processes), {what}, "
            f"{len(f['wall'])} runs: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max "
            f"{max(f['wall']):.1f} ms ({p50 / r50:.0f}x / {p95 / r95:.0f}x the raw limit); "
            f"CPU per hand-over, median: A {med['a_cpu']:.2f} ms (its backend "
            f"{med['a_server']:.2f}), B {med['b_cpu']:.2f} ms (its backend {med['b_server']:.2f})"
        )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--desk-b"]:
        return desk_b(argv[1], argv[2], argv[3], argv[4] == "1")
    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not admin_dsn:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN (tests/pg.sh start prints it)", file=sys.stderr)
        return 2
    opts: dict = {"at_head": False, "synced": False}  # type: ignore[type-arg]
    rest: list[str] = []
    args = iter(argv)
    for a in args:
        if a in ("--b-store", "--a-store"):
            opts[a[2]] = next(args)
        elif a == "--at-head":
            opts["at_head"] = True
        elif a == "--synced":
            opts["synced"] = True
        else:
            rest.append(a)
    runs = int(rest[0]) if rest else 200
    arms = tuple(rest[1].split(",")) if len(rest) > 1 else ARMS
    if not arms or set(arms) - set(ARMS):
        print("ARMS is a comma-separated list of quick, stamp", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), admin_dsn, runs, arms, opts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
