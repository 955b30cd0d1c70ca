"""Import benchmark: 100,000 contacts as JSON lines, and a CIN census of 50,000 referrals.

    python -m tests.bench.bench_import                 # both, default sizes
    python -m tests.bench.bench_import jsonl 20000     # one case

Each case runs in a fresh process and store so peak memory (ru_maxrss) is its own.
Prints rows, events, seconds, rows/s and peak resident memory; asserts nothing.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.nhs import nhs_check_digit
from dutydesk.services.importer import ImportOptions
from dutydesk.store.eventstore import EventStore
from tests.factories import importer

GIVEN = ["Amelia", "Oliver", "Siobhán", "Kacper", "Aisha", "Mohammed", "Zofia", "Seán"]
FAMILY = ["Smith", "O'Brien", "Wiśniewski", "Khan", "Smith-Jones", "Nowak", "Patel"]
SOURCES = ["1A", "2A", "3A", "3B", "5D", "6", "8", "9"]


def random_nhs(rng: random.Random) -> str:
    while True:
        nine = "".join(str(rng.randrange(10)) for _ in range(9))
        check = nhs_check_digit(nine)
        if check is not None:
            return nine + str(check)


def write_jsonl(path: Path, n: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=LONDON)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            child = {
                "given_name": rng.choice(GIVEN),
                "family_name": rng.choice(FAMILY),
                "date_of_birth": (date(2008, 1, 1) + timedelta(rng.randrange(6500))).isoformat(),
                "sex": rng.choice("ab"),
            }
            if rng.random() < 0.5:
                child["nhs_number"] = random_nhs(rng)
            fh.write(
                json.dumps(
                    {
                        "external_ref": f"B-{i}",
                        "received_at": (start + timedelta(minutes=3 * i)).isoformat(),
                        "channel": "email",
                        "source_code": rng.choice(SOURCES),
                        "children": [child],
                        "concern": "Bench concern text " * 5,
                        "consent": "not_sought",
                        "immediate_danger": False,
                    }
                )
                + "\n"
            )


def write_cin(path: Path, referrals: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("<Message><Header><Source><LEA>999</LEA></Source></Header><Children>\n")
        done, child = 0, 0
        while done < referrals:
            child += 1
            dob = date(2006, 1, 1) + timedelta(rng.randrange(6500))
            fh.write(
                f"<Child><ChildIdentifiers><LAchildID>B{child}</LAchildID>"
                f"<PersonBirthDate>{dob}</PersonBirthDate><Sex>{rng.choice('12')}</Sex>"
                "</ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
                "</ChildCharacteristics>"
            )
            for _ in range(min(rng.choice((1, 1, 2, 3)), referrals - done)):
                day = dob + timedelta(rng.randrange(365, 5000))
                day = min(day, date(2026, 3, 1))
                fh.write(
                    f"<CINdetails><CINreferralDate>{day}</CINreferralDate>"
                    f"<ReferralSource>{rng.choice(SOURCES)}</ReferralSource>"
                    f"<PrimaryNeedCode>N1</PrimaryNeedCode>"
                    f"<ReferralNFA>{rng.choice('01')}</ReferralNFA></CINdetails>"
                )
                done += 1
            fh.write("</Child>\n")
        fh.write("</Children></Message>\n")


def raw_limit(kind: str, path: Path, folder: Path) -> tuple[int, float]:
    """Parse + insert, nothing else: each JSON line ``json.loads``-ed (each CIN referral
    read with ``iterparse``) and inserted as one row (its text) into a bare SQLite table
    with the stdlib driver, 2,000 per transaction. Rows, seconds."""
    import sqlite3
    import xml.etree.ElementTree as ET

    db = sqlite3.connect(folder / "raw.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, ref TEXT, body TEXT)")
    started = time.perf_counter()
    pending: list[tuple[str, str]] = []
    n = 0

    def flush() -> None:
        db.executemany("INSERT INTO rows (ref, body) VALUES (?, ?)", pending)
        db.commit()
        pending.clear()

    if kind == "jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                pending.append((row["external_ref"], line))
                n += 1
                if len(pending) >= 2000:
                    flush()
    else:
        child = ""
        for _, el in ET.iterparse(path):
            if el.tag == "LAchildID":
                child = el.text or ""
            elif el.tag == "CINdetails":
                pending.append((child, ET.tostring(el, encoding="unicode")))
                n += 1
                el.clear()
                if len(pending) >= 2000:
                    flush()
    flush()
    took = time.perf_counter() - started
    db.close()
    return n, took


def run_case(kind: str, n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="dd-bench-import-"))
    path = folder / ("in.jsonl" if kind == "jsonl" else "cin.xml")
    (write_jsonl if kind == "jsonl" else write_cin)(path, n)
    store = EventStore.open(folder / "store.sqlite3")
    clock = FixedClock(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON))
    started = time.perf_counter()
    report = importer(store, clock).run(path, ImportOptions(batch_size=2000))
    took = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    again = time.perf_counter()
    second = importer(store, clock).run(path, ImportOptions(batch_size=2000))
    took2 = time.perf_counter() - again
    print(
        f"{kind}: {report.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB), "
        f"{report.events_added:,} events in {took:.1f} s = {report.rows / took:,.0f} rows/s; "
        f"peak RSS {peak_mb:,.0f} MB; rejected {report.rows_rejected}; "
        f"re-import {took2:.1f} s, added {second.events_added}"
    )
    store.close()
    rows, raw = raw_limit(kind, path, folder)
    print(
        f"{kind}: raw limit, parse + insert of {rows:,} rows: {raw:.1f} s = "
        f"{rows / raw:,.0f} rows/s; ratio {(took / report.rows) / (raw / rows):.1f}x"
    )


def main(argv: list[str]) -> None:
    if argv:
        run_case(argv[0], int(argv[1]))
        return
    for kind, n in (("jsonl", 100_000), ("cin", 50_000)):
        subprocess.run([sys.executable, "-m", "tests.bench.bench_import", kind, str(n)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
