"""A county's front door on one server: many desk processes against one PostgreSQL.

    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_county \\
        [DESKS=20] [SEED=5000000] [SECONDS=20] [RATES=0.5,1,2,5,10] [PULL_AT=first|none|r,..]

    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_county --submit-ceiling \\
        [CLIENTS=1,4,20] [SECONDS=20]

measures the server alone: logins on threads submitting one event per call, no desks.
CEILING_EVENT=decision makes that event an amendment of a decision recorded on the shared
contact instead of a note (the server looks the decision's first recording up: migration
0017); CEILING_DECISIONS=n records n other decisions first (default 0).
COUNTY_TEMPLATE=path reuses a desk store made by an earlier run's one full pull (the pull of
660k events took 15 minutes here) instead of pulling again. COUNTY_TEMPLATE=head makes the
desks' template without the history: a store holding only the shared contact, its sync
cursor set to the server's head (as a desk that had pulled everything, minus the rows);
at 5M events a full copy per desk would be 5.7 GB each and its pull about two hours.
COUNTY_REPLICA_PORT=port (a streaming replica of the server, tests/pg.sh replica-start)
sends the MI loop and the new desk's pull (``ReplicaPullTransport``) to the replica, and
reports the replica's CPU beside the primary's.

Prints figures; not a test. Seeds the server with SEED synthetic events through the real
submit function (the only way events reach it), then for each offered rate (events per
second per desk) runs DESKS desk processes for SECONDS each. Every desk has its own login,
its own local store and its own sync engine: it records notes on a shared contact at the
offered rate (Poisson arrivals), pushes after each write, listens for NOTIFY and pulls.
Each note carries its wall-clock send time, so every other desk measures desk-to-desk
latency on arrival (all processes share this machine's clock). Meanwhile one process runs
an MI-style aggregate over the server's events in a loop, and one new desk makes a full
pull of everything its login sees. Reports, per rate: offered and achieved submit
throughput, desk-to-desk p50/p95, server CPU (sum over the cluster's processes, from
/proc), MI query median and the new desk's pull rate. The rate where the achieved
throughput falls below 90% of the offered, or p95 passes 1 s, is the saturation point.

Bounded in count and time; loopback only. Adds events and logins to the database it is
pointed at: use a throwaway cluster (tests/pg.sh start).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import SystemClock
from dutydesk.domain.codes import Role
from dutydesk.domain.event_permissions import may_record
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import META_CURSOR, SyncEngine
from dutydesk.sync.pg.replica import ReplicaPullTransport
from dutydesk.sync.pg.transport import PgTransport
from tests.bench.bench_sync import NOW, login
from tests.factories import contact_payload, decision_payload, event


@dataclass(frozen=True)
class DeskResult:
    sent: int
    latencies_ms: list[float]


def _desk(
    folder: str,
    template: str,
    name: str,
    dsn: str,
    contact_id: str,
    rate: float,
    seconds: float,
    ready: mp.Queue,
    start: mp.Queue,  # type: ignore[type-arg]
    out: mp.Queue,
) -> None:  # type: ignore[type-arg]
    """One desk: an established desk (a copy of a store that already holds the server's
    history), recording notes at ``rate`` per second and timing the others' arrivals."""
    path = Path(folder) / f"{name}.sqlite3"
    try:
        _desk_run(path, template, name, dsn, contact_id, rate, seconds, ready, start, out)
    finally:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)  # twenty copies of a large store per rate add up


def _desk_run(
    path: Path,
    template: str,
    name: str,
    dsn: str,
    contact_id: str,
    rate: float,
    seconds: float,
    ready: mp.Queue,  # type: ignore[type-arg]
    start: mp.Queue,  # type: ignore[type-arg]
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    shutil.copyfile(template, path)
    store = EventStore.open(path)
    engine = SyncEngine(store, PgTransport(dsn), SystemClock(), login=name)
    engine.sync()  # only what arrived since the template was made
    with store.engine.connect() as conn:
        watermark = int(conn.exec_driver_sql("SELECT max(local_seq) FROM events").scalar() or 0)
    latencies: list[float] = []
    mine: set[str] = set()
    seen: set[str] = set()
    rng = random.Random(os.getpid())
    ready.put(name)
    start_at = start.get()
    while time.time() < start_at:
        time.sleep(0.005)
    end = start_at + seconds
    next_send = time.time() + rng.expovariate(rate)
    sent = 0

    def arrivals() -> None:
        """Time every other desk's note stored since the last look (a watermark on
        local_seq), whichever sync brought it: after this desk's own push or after a poke.
        Reading the whole shared contact each time would time this loop, not the desks."""
        nonlocal watermark
        arrived = time.time()
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT local_seq, id, payload FROM events WHERE local_seq > ? "
                "AND contact_id = ? AND type = 'note.added' ORDER BY local_seq",
                (watermark, contact_id),
            ).fetchall()
        for local_seq, ident, payload in rows:
            watermark = max(watermark, int(local_seq))
            if ident in mine or ident in seen:
                continue
            seen.add(ident)
            text = str(json.loads(payload).get("text", ""))
            sent_at = float(text.partition("t=")[2] or "nan")
            if sent_at >= start_at:
                latencies.append((arrived - sent_at) * 1000)

    while time.time() < end:
        now = time.time()
        if now >= next_send:
            note = event(
                "note.added", {"contact_id": contact_id, "text": f"t={now:.6f}"}, NOW, actor=name
            )
            mine.add(note.id)
            store.append([note])
            engine.sync()
            arrivals()
            sent += 1
            next_send += rng.expovariate(rate)
            continue
        if engine.transport.wait_for_poke(min(0.05, max(0.0, next_send - now))):
            engine.sync()
            arrivals()
    engine.transport.close()
    store.close()
    out.put(DeskResult(sent, latencies))


def _server_cpu_seconds(admin_dsn: str) -> float:
    """User + system CPU of every process of the cluster: the postmaster's live children
    and, through its cutime/cstime, the backends that have ended (a desk's connection
    closing inside the window would otherwise take its CPU with it)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT setting FROM pg_settings WHERE name = 'data_directory'"
        ).fetchone()
    pid_file = Path(str(row[0])) / "postmaster.pid" if row else None
    if pid_file is None or not pid_file.exists():
        return float("nan")
    master = int(pid_file.read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / tick
        if pid == master:  # backends that ended (and were reaped) since: cutime + cstime
            total += (int(fields[13]) + int(fields[14])) / tick
    return total


def _mi_loop(dsn: str, stop_at: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """An auditor's MI-style read: events per type and week over the whole log, in a loop."""
    took: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.time() < stop_at:
            started = time.perf_counter()
            conn.execute(
                "SELECT type, date_trunc('week', server_time::timestamptz), count(*) "
                "FROM dutydesk.events GROUP BY 1, 2"
            ).fetchall()
            took.append((time.perf_counter() - started) * 1000)
    out.put(took)


def _new_desk_pull(folder: str, name: str, dsn: str, replica: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    path = Path(folder) / f"{name}.sqlite3"
    transport = ReplicaPullTransport(dsn, replica) if replica else PgTransport(dsn)
    engine = SyncEngine(EventStore.open(path), transport, SystemClock(), login=name)
    started = time.perf_counter()
    report = engine.sync()
    out.put((report.pulled, time.perf_counter() - started))
    engine.transport.close()
    engine.store.close()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def seed_server(admin_dsn: str, n: int) -> None:
    """Fill the server with about ``n`` synthetic events through submit, streamed in
    batches of 1,000 (never the whole history in memory)."""
    name, dsn = login(admin_dsn, "duty_manager")
    started = time.perf_counter()
    batch: list = []  # type: ignore[type-arg]
    done = 0
    with PgTransport(dsn) as transport:
        for e in Generator(11, now=NOW).events(n):
            if not may_record(Role.DUTY_MANAGER, e.type):
                continue
            batch.append(dataclasses.replace(e, actor=name, actor_role="duty_manager"))
            if len(batch) == 1000:
                transport.submit(batch)
                done += len(batch)
                batch = []
        if batch:
            transport.submit(batch)
            done += len(batch)
    print(
        f"(seeded {done:,} synthetic events in {time.perf_counter() - started:.1f} s)", flush=True
    )


def template_store(folder: Path, admin_dsn: str) -> tuple[str, str]:
    """A desk store holding everything on the server plus one new shared contact, made by
    one full pull; desks start from copies of it. Returns (path, contact id)."""
    owner, owner_dsn = login(admin_dsn, "duty_manager")
    contact = event("contact.received", contact_payload(), NOW, actor=owner)
    path = folder / "template.sqlite3"
    first = SyncEngine(EventStore.open(path), PgTransport(owner_dsn), SystemClock(), login=owner)
    first.store.append([contact])
    started = time.perf_counter()
    report = first.sync()
    print(
        f"(template desk: pulled {report.pulled:,} events in "
        f"{time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    first.transport.close()
    with first.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    first.store.close()
    return str(path), str(contact.payload["contact_id"])


def head_template(folder: Path, admin_dsn: str) -> tuple[str, str]:
    """A desk store without the server's history: the shared contact, pushed, and the sync
    cursor at the server's head before that push (COUNTY_TEMPLATE=head)."""
    owner, owner_dsn = login(admin_dsn, "duty_manager")
    contact = event("contact.received", contact_payload(), NOW, actor=owner)
    path = folder / "template.sqlite3"
    first = SyncEngine(EventStore.open(path), PgTransport(owner_dsn), SystemClock(), login=owner)
    first.store.append([contact])
    first.store.set_meta(META_CURSOR, str(first.transport.state().head_seq))
    report = first.sync()
    print(f"(head template: cursor at the server's head, pulled {report.pulled})", flush=True)
    first.transport.close()
    with first.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    first.store.close()
    return str(path), str(contact.payload["contact_id"])


def _template_contact(path: str) -> str:
    """The shared contact of a kept template: the one its owner recorded before pulling."""
    store = EventStore.open(path)
    try:
        with store.engine.connect() as conn:
            return str(
                conn.exec_driver_sql(
                    "SELECT contact_id FROM events WHERE type = 'contact.received' "
                    "ORDER BY local_seq LIMIT 1"
                ).scalar_one()
            )
    finally:
        store.close()


def run_rate(
    folder: Path,
    admin_dsn: str,
    template: str,
    cid: str,
    desks: int,
    rate: float,
    seconds: float,
    *,
    pull: bool,
) -> None:
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    side: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = []
    for _ in range(desks):
        name, dsn = login(admin_dsn, "duty_manager")
        procs.append(
            ctx.Process(
                target=_desk,
                args=(str(folder), template, name, dsn, cid, rate, seconds, ready, start, results),
            )
        )
    auditor, auditor_dsn = login(admin_dsn, "auditor")
    newcomer, newcomer_dsn = login(admin_dsn, "auditor")
    replica_port = os.environ.get("COUNTY_REPLICA_PORT")
    replica = make_conninfo(newcomer_dsn, port=replica_port) if replica_port else ""
    replica_admin = make_conninfo(admin_dsn, port=replica_port) if replica_port else ""
    mi_dsn = make_conninfo(auditor_dsn, port=replica_port) if replica_port else auditor_dsn
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=1800)
    start_at = time.time() + 1.0
    for _ in procs:
        start.put(start_at)
    mi = ctx.Process(target=_mi_loop, args=(mi_dsn, start_at + seconds, side))
    while time.time() < start_at:
        time.sleep(0.01)
    cpu_before, wall_before = _server_cpu_seconds(admin_dsn), time.time()
    rcpu_before = _server_cpu_seconds(replica_admin) if replica_admin else 0.0
    mi.start()
    extra = [mi]
    if pull:
        puller = ctx.Process(
            target=_new_desk_pull, args=(str(folder), newcomer, newcomer_dsn, replica, side)
        )
        puller.start()
        extra.append(puller)
    found = [results.get(timeout=seconds + 600) for _ in procs]
    cpu_after, wall_after = _server_cpu_seconds(admin_dsn), time.time()
    rcpu_after = _server_cpu_seconds(replica_admin) if replica_admin else 0.0
    load = os.getloadavg()[0]
    side_results = [side.get(timeout=3600) for _ in extra]
    for p in (*procs, *extra):
        p.join(timeout=60)
    mi_ms = next(r for r in side_results if isinstance(r, list))
    pulled, pull_s = next((r for r in side_results if isinstance(r, tuple)), (0, float("nan")))
    sent = sum(r.sent for r in found)
    lat = sorted(x for r in found for x in r.latencies_ms)
    offered = desks * rate
    achieved = sent / seconds
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[max(0, int(len(lat) * 0.95) - 1)] if lat else float("nan")
    cpu = (cpu_after - cpu_before) / max(wall_after - wall_before, 1e-9)
    rcpu = (rcpu_after - rcpu_before) / max(wall_after - wall_before, 1e-9)
    where = f" (replica CPU {rcpu:4.2f} cores; MI and new desk on the replica)" if replica else ""
    saturated = achieved < 0.9 * offered or p95 > 1000
    print(
        f"{desks} desks x {rate:g}/s: offered {offered:6.1f}/s achieved {achieved:6.1f}/s | "
        f"desk-to-desk p50 {p50:6.1f} ms p95 {p95:7.1f} ms ({len(lat):,} arrivals) | "
        f"server CPU {cpu:4.2f} cores{where} | MI query median "
        f"{statistics.median(mi_ms) if mi_ms else float('nan'):7.1f} ms | new desk pulled "
        f"{pulled:,} in {pull_s:5.1f} s | load {load:.1f}"
        f"{'  <- SATURATED' if saturated else ''}",
        flush=True,
    )


def submit_ceiling(admin_dsn: str, clients: list[int], seconds: float) -> None:
    """The server alone: CLIENTS logins on threads, each submitting one note per call (as a
    desk pushes a note it just recorded) as fast as the server answers, for SECONDS each.
    No desk, no SQLite: what the single counter row lets through, and the server's CPU."""
    import threading

    owner, owner_dsn = login(admin_dsn, "duty_manager")
    contact = event("contact.received", contact_payload(), NOW, actor=owner)
    decided = decision_payload(str(contact.payload["contact_id"]))
    others = int(os.environ.get("CEILING_DECISIONS", "0"))
    with PgTransport(owner_dsn) as t:
        t.submit([contact, event("decision.recorded", decided, NOW, actor=owner)])
        for start in range(0, others, 500):
            t.submit(
                [
                    event("decision.recorded", decision_payload(new_id()), NOW, actor=owner)
                    for _ in range(min(500, others - start))
                ]
            )
    cid = str(contact.payload["contact_id"])
    kind = os.environ.get("CEILING_EVENT", "note")

    def one(name: str) -> Event:
        if kind == "decision":
            change = {"contact_id": cid, "decision_id": decided["decision_id"], "reason": "r"}
            return event("decision.amended", change, NOW, actor=name)
        return event("note.added", {"contact_id": cid, "text": "x"}, NOW, actor=name)

    for n in clients:
        logins = [login(admin_dsn, "duty_manager") for _ in range(n)]
        counts = [0] * n
        stop_at = time.time() + seconds

        def work(
            i: int, name: str, dsn: str, counts: list[int] = counts, stop_at: float = stop_at
        ) -> None:
            with PgTransport(dsn) as t:
                t.state()
                while time.time() < stop_at:
                    if t.submit([one(name)])[0].status == "accepted":
                        counts[i] += 1

        threads = [
            threading.Thread(target=work, args=(i, name, dsn))
            for i, (name, dsn) in enumerate(logins)
        ]
        cpu_before, wall_before = _server_cpu_seconds(admin_dsn), time.time()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        cpu = (_server_cpu_seconds(admin_dsn) - cpu_before) / (time.time() - wall_before)
        print(
            f"submit ceiling ({kind}): {n:3d} clients, one event per call: "
            f"{sum(counts) / seconds:7.1f} "
            f"events/s | server CPU {cpu:4.2f} cores | load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def main(argv: list[str]) -> int:
    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not admin_dsn:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN (tests/pg.sh start prints it)", file=sys.stderr)
        return 2
    if argv[:1] == ["--submit-ceiling"]:
        rest = argv[1:] + ["1,4,20", "20"][len(argv[1:]) :]
        submit_ceiling(admin_dsn, [int(c) for c in rest[0].split(",")], float(rest[1]))
        return 0
    defaults = ["20", "5000000", "20", "0.5,1,2,5,10", ""]
    desks_s, seed_s, seconds_s, rates_s, pull_s = (argv + defaults[len(argv) :])[:5]
    desks, seed, seconds = int(desks_s), int(seed_s), float(seconds_s)
    rates = [float(r) for r in rates_s.split(",")]
    # PULL_AT: the rates at which a new desk also makes its full pull (default the first;
    # "none" for none): at a million events the pull outlasts a short window by far.
    pull_at = (
        {rates[0]}
        if not pull_s
        else set()
        if pull_s == "none"
        else {float(r) for r in pull_s.split(",")}
    )
    print(
        f"county simulation: {desks} desks, server seeded with {seed:,} events, "
        f"{seconds:g} s per rate, {os.cpu_count()} cores on this machine",
        flush=True,
    )
    if seed:
        seed_server(admin_dsn, seed)
    with tempfile.TemporaryDirectory() as tmp:
        reuse = os.environ.get("COUNTY_TEMPLATE")  # a template kept from an earlier run
        if reuse == "head":
            template, cid = head_template(Path(tmp), admin_dsn)
        elif reuse:
            template, cid = reuse, _template_contact(reuse)
        else:
            template, cid = template_store(Path(tmp), admin_dsn)
        for rate in rates:
            run_rate(
                Path(tmp), admin_dsn, template, cid, desks, rate, seconds, pull=rate in pull_at
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
