"""The server's event table before and after partitioning (prints figures; not a test).

    DUTYDESK_TEST_PG_ADMIN_DSN=... python -m tests.bench.bench_partitions \\
        [LOOKUPS=2000] [EXTRA_YEARS=10]

Against a filled server (e.g. the one `bench_county` seeded), at whatever migration it is:
run it, `dutydesk server upgrade` (0012 partitions the table; time that), run it again.
Prints how the table is laid out, then medians of: a desk's keyset pull batch (5,000 rows
from the middle of the log, as an auditor login, through row-level security), a lookup by
sequence number (what `may_read`, `hash_at` and checkpoint signing do), a lookup by id
(`submit`'s duplicate check), and an MI-style count of the last 7 days by type. On a
partitioned table it then adds EXTRA_YEARS empty yearly partitions in a transaction, times
the lookups again and rolls back: lookups that carry no time probe every partition.
Reads only (the extra partitions are rolled back); creates one auditor login.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

import psycopg

from tests.bench.bench_sync import login


def _median_ms(work: Callable[[], object], runs: int) -> float:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def _lookups(conn: psycopg.Connection, seqs: list[int], ids: list[str]) -> tuple[float, float]:
    """Microseconds per lookup by seq and by id, inside one statement each (a nested loop
    of index probes, no round trip per lookup), median of three."""
    by_seq = _median_ms(
        lambda: conn.execute(
            "SELECT count(x.hash) FROM unnest(%s::bigint[]) AS s(seq), LATERAL "
            "(SELECT e.hash FROM dutydesk.events e WHERE e.seq = s.seq) AS x",
            (seqs,),
        ).fetchone(),
        3,
    )
    by_id = _median_ms(
        lambda: conn.execute(
            "SELECT count(x.seq) FROM unnest(%s::uuid[]) AS s(id), LATERAL "
            "(SELECT e.seq FROM dutydesk.events e WHERE e.id = s.id) AS x",
            (ids,),
        ).fetchone(),
        3,
    )
    return by_seq * 1000 / len(seqs), by_id * 1000 / len(ids)


def main(argv: list[str]) -> int:
    import os

    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not admin_dsn:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN (tests/pg.sh start prints it)", file=sys.stderr)
        return 2
    lookups = int(argv[0]) if argv else 2000
    extra_years = int(argv[1]) if len(argv) > 1 else 10
    rng = random.Random(7)
    with psycopg.connect(admin_dsn) as conn:
        kind, parts, head = conn.execute(
            "SELECT c.relkind, (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid), "
            "(SELECT last_seq FROM dutydesk.counter) FROM pg_class c "
            "WHERE c.oid = 'dutydesk.events'::regclass"
        ).fetchone()  # type: ignore[misc]
        size = conn.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(r))::bigint) FROM (SELECT "
            "'dutydesk.events'::regclass AS r UNION ALL SELECT inhrelid FROM pg_inherits "
            "WHERE inhparent = 'dutydesk.events'::regclass) AS t"
        ).fetchone()[0]  # type: ignore[index]
        seqs = [rng.randint(1, head) for _ in range(lookups)]
        ids = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM dutydesk.events WHERE seq = ANY(%s)", (seqs[: lookups // 2],)
            )
        ]
        layout = "partitioned" if kind == "p" else "one table"
        print(
            f"events: {head:,}, {layout}"
            + (f" ({parts} partitions)" if kind == "p" else "")
            + f", {size} with indexes, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        _lookups(conn, seqs, ids)  # warm the cache
        by_seq, by_id = _lookups(conn, seqs, ids)
        mi_ms = _median_ms(
            lambda: conn.execute(
                "SELECT type, count(*) FROM dutydesk.events WHERE server_time >= "
                "to_char((now() - interval '7 days') AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') GROUP BY 1'
            ).fetchall(),
            5,
        )
    name, dsn = login(admin_dsn, "auditor")
    with psycopg.connect(dsn) as conn:
        middle = head // 2
        pull_ms = _median_ms(
            lambda: conn.execute(
                "SELECT seq, id::text, type, payload_text, server_time, hash, prev_hash "
                "FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT 5000",
                (middle,),
            ).fetchall(),
            5,
        )
    print(
        f"pull batch 5,000 (auditor, RLS): {pull_ms:.1f} ms | lookup by seq {by_seq:.0f} us | "
        f"by id {by_id:.0f} us | MI last 7 days by type {mi_ms:.1f} ms",
        flush=True,
    )
    if kind == "p" and extra_years:
        with psycopg.connect(admin_dsn) as conn:
            conn.execute("SET ROLE dutydesk_owner")
            for year in range(2100, 2100 + extra_years):
                conn.execute("SELECT dutydesk.add_event_partition(%s)", (year,))
            conn.execute("RESET ROLE")
            _lookups(conn, seqs, ids)
            by_seq, by_id = _lookups(conn, seqs, ids)
            print(
                f"with {extra_years} more (empty) yearly partitions: lookup by seq "
                f"{by_seq:.0f} us | by id {by_id:.0f} us (rolled back)",
                flush=True,
            )
            conn.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
