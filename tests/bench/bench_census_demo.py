"""Benchmark: the CIN census return of a front door's own history (the MI demo generator,
with assessments and section 47 enquiries), checked rule by rule by DfE's rules. Prints
figures; asserts nothing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_census_demo 400000 \\
        --store PATH [--rules]

Builds a store of N target events with the MI demo generator (``load_mi_demo``, as
bench_mi does; 400,000 gives about 50,000 referrals in 2026-27) or reuses the store at
PATH when it already holds events, then exports the 2026-27 return (signed and recorded,
as ``dutydesk export cin-census`` does) and prints its size, time and the process's peak
resident memory. Run it under ``/usr/bin/time -v`` for the peak of the export alone (a
reused store). ``--rules``: DfE's rules on the return, one rule at a time
(tests/cin/validate_by_rule.py in ``.venv-cin``), summed as errors and queries by rule.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.bench.bench_mi import NOW
from tests.document_fixtures import signer_for

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    rules = "--rules" in argv
    at = argv.index("--store")
    path = Path(argv[at + 1])
    size = int(next(a for a in argv if a.isdigit()))
    store = EventStore.open(path)
    if not store.event_count():
        start, cpu = time.perf_counter(), time.process_time()
        load_mi_demo(
            store, seed=1, events=size, clock=FixedClock(NOW), open_contacts=max(50, size // 500)
        )
        print(
            f"built {store.event_count():,} events in {time.perf_counter() - start:.0f} s wall, "
            f"{time.process_time() - cpu:.0f} s CPU",
            flush=True,
        )
    actor = demo_actor()
    service = MiService(store, FixedClock(NOW), actor=actor, signer=signer_for(actor.login))
    out = path.with_name(path.stem + "-census-2027.xml")
    start, cpu = time.perf_counter(), time.process_time()
    report = service.export_cin_census(out, 2027, lea="201")
    print(
        f"census 2026-27: {report.children:,} children, {report.episodes:,} referrals, "
        f"{report.assessments:,} assessments, {report.section47:,} s47 enquiries; "
        f"{out.stat().st_size / 2**20:.1f} MB in {time.perf_counter() - start:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; left out "
        f"{dict(report.left_out)}",
        flush=True,
    )
    store.close()
    if rules:
        start = time.perf_counter()
        done = subprocess.run(
            [
                str(ROOT / ".venv-cin/bin/python"),
                "-W",
                "ignore",
                str(ROOT / "tests/cin/validate_by_rule.py"),
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
        found = Counter({r["rule"]: r["issues"] for r in lines[1:] if r["issues"]})
        errors = {k: v for k, v in found.items() if not k.endswith("Q")}
        failed = [r["rule"] for r in lines[1:] if r["failed"]]
        print(
            f"DfE rules ({len(lines) - 1} of {lines[0]['rules']} run, "
            f"{time.perf_counter() - start:.0f} s): {sum(errors.values())} errors, "
            f"{sum(found.values()) - sum(errors.values())} queries; by rule: "
            f"{dict(found.most_common())}; rules that raised: {failed}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
