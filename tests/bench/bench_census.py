"""Benchmark: the CIN census return of 50,000 referrals. Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.bench_census 50000 [--no-rules]

Builds a census XML of N referrals (children referred one to three times, 70% NFA, the
rest assessed, some s47), imports it into a fresh store (timed), then times the export of
the return for the year with peak Python memory (tracemalloc) and the process's maximum
resident size. Then the DfE rules on it when ``.venv-cin`` is there (time only).
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.guard import GuardedStore
from dutydesk.services.importer import Importer, ImportOptions
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
ROOT = Path(__file__).resolve().parents[2]
# Importing decisions and exporting the return both need a duty manager's rights.
PERFORMANCE = Actor("dm.returns", Role.DUTY_MANAGER, "bench")


def census_xml(path: Path, referrals: int, seed: int = 15) -> int:
    rng = random.Random(seed)
    written = 0
    n = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2027"
            "</Year><ReferenceDate>2027-03-31</ReferenceDate></CollectionDetails>"
            "<Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source></Header>"
            "<Children>\n"
        )
        while written < referrals:
            n += 1
            visits = sorted(
                {
                    date(2026, 4, 1) + timedelta(days=rng.randint(0, 230))
                    for _ in range(rng.choice([1, 1, 2, 3]))
                }
            )
            details = []
            for day in visits:
                nfa = rng.random() < 0.7
                details.append(
                    f"<CINdetails><CINreferralDate>{day}</CINreferralDate><ReferralSource>"
                    f"{rng.choice(['6', '2A', '3D', '1A', '8'])}</ReferralSource>"
                    + ("" if nfa else "<PrimaryNeedCode>N1</PrimaryNeedCode>")
                    + f"<ReferralNFA>{int(nfa)}</ReferralNFA></CINdetails>"
                )
            written += len(details)
            out.write(
                f"<Child><ChildIdentifiers><LAchildID>B{n:07d}</LAchildID>"
                "<PersonBirthDate>2014-06-01</PersonBirthDate><Sex>F</Sex>"
                "</ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
                "</ChildCharacteristics>" + "".join(details) + "</Child>\n"
            )
        out.write("</Children></Message>\n")
    return written


def main(argv: list[str]) -> int:
    rules = "--no-rules" not in argv
    argv = [a for a in argv if a != "--no-rules"]
    size = int(argv[0]) if argv else 50_000
    print("The machine is shared (2 cores): wall times are noisy; CPU times less so.")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.xml"
        made = census_xml(source, size)
        clock = FixedClock(NOW)
        store = EventStore.open(Path(folder) / "store.sqlite3")
        start, cpu = time.perf_counter(), time.process_time()
        report = Importer(GuardedStore(store, PERFORMANCE, clock), clock).run(
            source, ImportOptions(batch_size=2000)
        )
        print(
            f"import: {made:,} referrals, {report.events_added:,} events in "
            f"{time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
            f"({report.rows_rejected} rejected)"
        )
        service = MiService(store, clock, actor=PERFORMANCE, signer=signer_for(PERFORMANCE.login))
        out = Path(folder) / "census.xml"
        # Timed without tracing (tracemalloc slows Python down), then again for memory.
        start, cpu = time.perf_counter(), time.process_time()
        result = service.export_cin_census(out, 2027, lea="201")
        took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"export: {result.episodes:,} referrals of {result.children:,} children in "
            f"{took:.1f} s wall, {took_cpu:.1f} s CPU; process max RSS so far {rss:.0f} MB; "
            f"file {out.stat().st_size / 2**20:.1f} MB"
        )
        tracemalloc.start()
        service.export_cin_census(out, 2027, lea="201")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"export again under tracemalloc: Python peak {peak / 2**20:.0f} MB")
        validator = ROOT / ".venv-cin" / "bin" / "python"
        if rules and validator.exists():
            start = time.perf_counter()
            done = subprocess.run(
                [str(validator), "-W", "ignore", str(ROOT / "tests/cin/validate.py"), str(out)],
                capture_output=True,
                text=True,
            )
            issues = [
                json.loads(x)["rule_code"]
                for x in done.stdout.splitlines()[1:]
                if x.startswith("{")
            ]
            errors = [code for code in issues if not code.endswith("Q")]
            print(
                f"DfE rules: {len(errors)} errors, {len(issues) - len(errors)} queries in "
                f"{time.perf_counter() - start:.1f} s"
            )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
