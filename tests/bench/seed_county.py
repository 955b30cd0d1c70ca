"""A fast, honest seeder for the county bench: millions of events on a throwaway server.

    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.seed_county [EVENTS=5000000] [CHUNK=50000]

Seeding through ``dutydesk.submit`` runs at a few hundred events per second here (the
single writer: 5M would take about three hours). This writes the same synthetic events
(``dutydesk.demo.synthetic.Generator``, only the types a duty manager may record, all
recorded by one seeding login) with ``COPY``, and computes what ``submit`` would have
stored for each: the sequence number after the counter's, the server time (this
machine's UTC clock, strictly increasing, in submit's text form), the canonical payload
text, the people and contact the payload names, and the hash and link by
``dutydesk.domain.hashchain.event_hash`` (the definition the server checks). Each chunk is
one transaction holding the counter row lock, as ``submit`` does: copy the rows, apply
the side tables (``dutydesk.apply_side_tables``, in sequence order, for the types
``submit`` applies them for) and move the counter to the chunk's last sequence and hash.

What it skips, said plainly: ``submit``'s per-event checks (``check_payload``, the client
time policy, the role and restriction checks) are not run per event while copying; a
sample (every 100th event) is put through ``dutydesk.check_payload`` afterwards and any
refusal stops the run. Then the server's own walk, ``dutydesk.chain_check`` (what
``dutydesk audit verify --server`` runs), checks every event: sequence without gaps, each
link, each hash recomputed in SQL from the row, the person and contact columns, and the
counter at the end. A seeded server that fails that walk is reported as failed.

Prints figures; not a test. Adds events and a login to the database it is pointed at: use
a throwaway cluster (tests/pg.sh start).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg

from dutydesk.demo.synthetic import Generator
from dutydesk.domain.codes import Role
from dutydesk.domain.event_permissions import may_record
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.hashchain import event_hash
from dutydesk.sync.pg.audit import ServerLog
from tests.bench.bench_sync import NOW, login

SIDE_TYPES = (
    "contact.received",
    "person.linked",
    "person.unlinked",
    "record.restricted",
    "access.granted",
    "access.break_glass",
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COLUMNS = (
    "seq, id, type, schema_version, actor, actor_role, device, client_time, payload, "
    "payload_text, contact_id, person_ids, server_time, hash, prev_hash, submitted_by"
)


def _people(payload: dict) -> list[str]:  # type: ignore[type-arg]
    """The people column as submit derives it: payload.person_id and children[].person_id
    that are UUIDs, distinct, sorted (chain_check compares them sorted)."""
    found = [payload.get("person_id")]
    children = payload.get("children")
    if isinstance(children, list):
        found += [c.get("person_id") for c in children if isinstance(c, dict)]
    return sorted({p for p in found if isinstance(p, str) and _UUID.match(p)})


def _contact(payload: dict) -> str | None:  # type: ignore[type-arg]
    c = payload.get("contact_id")
    return c if isinstance(c, str) and _UUID.match(c) else None


class _Clock:
    """Server times as submit writes them: UTC, microseconds, strictly increasing."""

    def __init__(self) -> None:
        self.last = datetime.now(UTC) - timedelta(seconds=1)

    def next(self) -> str:
        now = datetime.now(UTC)
        self.last = now if now > self.last else self.last + timedelta(microseconds=1)
        return self.last.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stream(n: int, name: str) -> Iterator[Event]:
    """Exactly ``n`` events (the generator's target counts contacts' worth, so ask for
    fewer and stop at ``n``)."""
    kept = (
        dataclasses.replace(e, actor=name, actor_role="duty_manager")
        for e in Generator(11, now=NOW).events(max(3, n // 2))
        if may_record(Role.DUTY_MANAGER, e.type)
    )
    yield from itertools.islice(kept, n)


def seed_copy(admin_dsn: str, n: int, chunk: int = 50_000) -> tuple[int, float]:
    """Copy about ``n`` events onto the server (chunks of ``chunk``, one transaction each).
    Returns (events copied, seconds)."""
    name, _ = login(admin_dsn, "duty_manager")
    clock = _Clock()
    started = time.perf_counter()
    done = 0
    stream = _stream(n, name)
    with psycopg.connect(admin_dsn) as conn:
        while True:
            part = [e for _, e in zip(range(chunk), stream, strict=False)]
            if not part:
                break
            with conn.transaction():
                row = conn.execute(
                    "SELECT last_seq, last_hash FROM dutydesk.counter FOR UPDATE"
                ).fetchone()
                assert row is not None
                seq, prev = int(row[0]), str(row[1])
                first = seq + 1
                with conn.cursor().copy(f"COPY dutydesk.events ({COLUMNS}) FROM STDIN") as cp:
                    for e in part:
                        seq += 1
                        at = clock.next()
                        stored = dataclasses.replace(e, server_seq=seq, server_time=at)
                        h = event_hash(prev, stored)
                        text = canonical_json(e.payload)
                        cp.write_row(
                            (
                                seq,
                                e.id,
                                e.type,
                                e.schema_version,
                                e.actor,
                                e.actor_role,
                                e.device,
                                e.client_time,
                                text,
                                text,
                                _contact(e.payload),
                                "{" + ",".join(_people(e.payload)) + "}",
                                at,
                                h,
                                prev,
                                name,
                            )
                        )
                        prev = h
                types = ", ".join(f"'{t}'" for t in SIDE_TYPES)
                conn.execute(
                    "DO $$ DECLARE ev record; BEGIN "
                    "FOR ev IN SELECT e.type, e.payload, e.contact_id, e.person_ids, e.actor, "
                    "e.server_time FROM dutydesk.events e "
                    f"WHERE e.seq >= {int(first)} AND e.type IN ({types}) ORDER BY e.seq LOOP "
                    "PERFORM dutydesk.apply_side_tables(ev.type, ev.payload, ev.contact_id, "
                    "ev.person_ids, ev.actor, ev.server_time::timestamptz); END LOOP; END $$"
                )
                conn.execute(
                    "UPDATE dutydesk.counter SET last_seq = %s, last_hash = %s WHERE singleton",
                    (seq, prev),
                )
            done += len(part)
            took = time.perf_counter() - started
            print(
                f"  copied {done:,} events in {took:.0f} s ({done / took:,.0f}/s) | load "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
        conn.execute("ANALYZE dutydesk.events")
        conn.commit()
    return done, time.perf_counter() - started


def check_sample(admin_dsn: str, every: int = 100) -> tuple[int, list[int]]:
    """``dutydesk.check_payload`` on every ``every``-th event: (checked, refused seqs)."""
    with psycopg.connect(admin_dsn) as conn:
        rows = conn.execute(
            "SELECT seq, dutydesk.check_payload(type, payload, substr(client_time, 1, 10)::date) "
            "FROM dutydesk.events WHERE seq %% %s = 0",
            (every,),
        ).fetchall()
    return len(rows), [int(r[0]) for r in rows if r[1] is not None]


def chain_walk(dsn: str, batch: int = 50_000) -> tuple[int, str | None, float]:
    """The server's own walk over every event, as ``audit verify --server`` runs it."""
    started = time.perf_counter()
    with ServerLog(dsn) as server:
        checked, problem = server.server_check(batch)
    return checked, problem, time.perf_counter() - started


def main(argv: list[str]) -> int:
    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not admin_dsn:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN (tests/pg.sh start prints it)", file=sys.stderr)
        return 2
    n = int(argv[0]) if argv else 5_000_000
    chunk = int(argv[1]) if len(argv) > 1 else 50_000
    done, took = seed_copy(admin_dsn, n, chunk)
    print(f"seeded {done:,} events by COPY in {took:.1f} s ({done / took:,.0f}/s)", flush=True)
    started = time.perf_counter()
    sampled, refused = check_sample(admin_dsn)
    print(
        f"check_payload on every 100th event: {sampled:,} checked, {len(refused)} refused "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    if refused:
        print(f"refused at seq {refused[:10]}", file=sys.stderr)
        return 1
    _, auditor_dsn = login(admin_dsn, "auditor")
    checked, problem, took = chain_walk(auditor_dsn)
    print(
        f"chain_check: {checked:,} events checked in {took:.1f} s, "
        f"{'no problem' if problem is None else 'PROBLEM: ' + problem} | load "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return 0 if problem is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
