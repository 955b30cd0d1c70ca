"""A new desk's catch-up pull: from the primary alone, or through a read replica.

    DUTYDESK_TEST_PG_ADMIN_DSN=... COUNTY_REPLICA_PORT=port \\
        python -m tests.bench.bench_replica_pull [SECONDS=60] [ROUNDS=2]

Prints figures; not a test. For SECONDS each, alternating, ROUNDS times: a new auditor
login pulls batches of 5,000 from sequence 1 with ``PgTransport`` (the primary serves the
events) and with ``ReplicaPullTransport`` (the replica serves them; the primary answers
the sequence numbers and hashes it shows the login, to check each batch). Transport only,
no desk store: what each cluster spends per event pulled (CPU of all its processes, from
/proc, as bench_county measures the server). Adds logins to the database: a throwaway
cluster only (tests/pg.sh start, replica-start).
"""

from __future__ import annotations

import os
import sys
import time

from psycopg.conninfo import make_conninfo

from dutydesk.sync.pg.replica import ReplicaPullTransport
from dutydesk.sync.pg.transport import PgTransport
from tests.bench.bench_county import _server_cpu_seconds
from tests.bench.bench_sync import login


def _pull_for(transport: PgTransport, seconds: float) -> int:
    transport.state()
    cursor, got, stop_at = 0, 0, time.time() + seconds
    while time.time() < stop_at:
        batch = transport.pull(cursor, 5000)
        if not batch:
            break
        got += len(batch)
        cursor = batch[-1].server_seq or cursor
    return got


def main(argv: list[str]) -> int:
    admin_dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    port = os.environ.get("COUNTY_REPLICA_PORT")
    if not admin_dsn or not port:
        print("set DUTYDESK_TEST_PG_ADMIN_DSN and COUNTY_REPLICA_PORT", file=sys.stderr)
        return 2
    seconds = float(argv[0]) if argv else 60.0
    rounds = int(argv[1]) if len(argv) > 1 else 2
    replica_admin = make_conninfo(admin_dsn, port=port)
    for _ in range(rounds):
        for mode in ("primary", "replica"):
            _, dsn = login(admin_dsn, "auditor")
            transport = (
                ReplicaPullTransport(dsn, make_conninfo(dsn, port=port))
                if mode == "replica"
                else PgTransport(dsn)
            )
            p0, r0, t0 = (
                _server_cpu_seconds(admin_dsn),
                _server_cpu_seconds(replica_admin),
                time.time(),
            )
            got = _pull_for(transport, seconds)
            wall = time.time() - t0
            p1, r1 = _server_cpu_seconds(admin_dsn), _server_cpu_seconds(replica_admin)
            served = (
                f" (replica served {transport.served['replica']:,}, primary "
                f"{transport.served['primary']:,})"
                if isinstance(transport, ReplicaPullTransport)
                else ""
            )
            transport.close()
            print(
                f"pull via {mode:7s}: {got:,} events in {wall:.1f} s ({got / wall:,.0f}/s)"
                f"{served} | "
                f"primary CPU {(p1 - p0) / got * 1e6 if got else float('nan'):6.1f} us/event "
                f"({(p1 - p0) / wall:4.2f} cores), replica CPU "
                f"{(r1 - r0) / got * 1e6 if got else float('nan'):6.1f} us/event "
                f"({(r1 - r0) / wall:4.2f} cores) | load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
