"""A real import's whole outcome, for oracle tests of the import's fast paths.

``run_scenario`` imports, into a fresh store, a desk's worth of awkward input: people
already on record (with NHS numbers and authority child ids), open contacts linked to
them, then JSON lines holding new contacts, children who match those people exactly (a
link) or likely (a suggestion), bad rows, a line repeated, rows already imported, a row
imported before with other content (the batch clash that falls back to one row at a
time), and a CIN census with referrals for known and new children and a bad referral.
Every id the code would draw at random is drawn from a counter instead, so two runs of the
same code give the same events, hashes and rows, and ``dump`` reads every table an import
writes. A test runs the scenario with the fast path and with the reference path it
replaces, and compares.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain import events as domain_events
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.ids import uuid7_at
from dutydesk.services.importer import ImportOptions
from dutydesk.store.eventstore import EventStore
from tests.bench.bench_import import random_nhs
from tests.factories import decision_payload, event, importer

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
_ID0 = "00000000-0000-4000-8000-100000000000"
TABLES = (
    "events",
    "event_people",
    "outbox",
    "audit_chain",
    "people",
    "contacts",
    "contact_children",
    "decisions",
    "pending_links",
)


@contextmanager
def counted_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``new_id`` (the random UUIDv7 of ratings and other made events) from a counter."""
    count = iter(range(1, 10**9))
    with monkeypatch.context() as m:
        m.setattr(domain_events, "new_id", lambda: str(uuid7_at(1_700_000_000_000, next(count))))
        yield


def _line(ref: str, i: int, child: dict[str, Any], concern: str = "") -> str:
    return json.dumps(
        {
            "external_ref": ref,
            "received_at": (
                datetime(2026, 1, 1, tzinfo=LONDON) + timedelta(hours=7 * i)
            ).isoformat(),
            "channel": "email",
            "source_code": ("1A", "2A", "3A", "5D", "6", "9")[i % 6],
            "children": [child],
            "concern": concern or f"Concern number {i} about a child at home.",
            "consent": "not_sought",
            "immediate_danger": i % 17 == 0,
        },
        ensure_ascii=False,
    )


def _people(rng: random.Random, n: int) -> list[dict[str, Any]]:
    given = ["Amelia", "Oliver", "Siobhán", "Kacper", "Aisha", "Zofia"]
    family = ["Smith", "O'Brien", "Wiśniewski", "Khan", "Nowak"]
    return [
        {
            "person_id": f"00000000-0000-4000-8000-{k:012d}",
            "given_name": rng.choice(given),
            "family_name": f"{rng.choice(family)}{k}",
            "date_of_birth": (date(2010, 1, 1) + timedelta(rng.randrange(4000))).isoformat(),
            "sex": rng.choice("ab"),
            "nhs_number": random_nhs(rng),
            "postcode": f"LS{k % 9 + 1} 4AB",
        }
        for k in range(n)
    ]


def _child_of(person: dict[str, Any], *, nhs: bool) -> dict[str, Any]:
    child = {k: person[k] for k in ("given_name", "family_name", "date_of_birth", "sex")}
    if nhs:
        child["nhs_number"] = person["nhs_number"]
    else:
        child["postcode"] = person["postcode"]
    return child


def _stranger(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "given_name": "Kit",
        "family_name": f"Stranger{i}",
        "date_of_birth": (date(2012, 1, 1) + timedelta(rng.randrange(3000))).isoformat(),
        "sex": "a",
    }


def _cin(people: list[dict[str, Any]]) -> str:
    """Referrals for three known authority child ids and two new children, one bad."""
    parts = []
    for n, la_id in enumerate(("LA1", "LA2", "LA3", "NEW1", "NEW2")):
        referrals = "".join(
            f"<CINdetails><CINreferralDate>{day}</CINreferralDate>"
            f"<ReferralSource>{src}</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>"
            f"<ReferralNFA>{nfa}</ReferralNFA></CINdetails>"
            for day, src, nfa in (
                (f"2025-0{n + 1}-1{n}", "3A", n % 2),
                ("2026-02-30" if la_id == "NEW1" else "2026-03-02", "6", 0),
            )
        )
        parts.append(
            f"<Child><ChildIdentifiers><LAchildID>{la_id}</LAchildID>"
            f"<PersonBirthDate>{people[n]['date_of_birth']}</PersonBirthDate><Sex>1</Sex>"
            "</ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
            f"</ChildCharacteristics>{referrals}</Child>"
        )
    return (
        "<Message><Header><Source><LEA>999</LEA></Source></Header><Children>"
        + "".join(parts)
        + "</Children></Message>\n"
    )


def run_scenario(folder: Path, monkeypatch: pytest.MonkeyPatch, *, rows: int = 120) -> dict:
    """Import the scenario into a fresh store under ``folder``; every table and report."""
    rng = random.Random(19)
    folder.mkdir(parents=True, exist_ok=True)
    store = EventStore.open(folder / "store.sqlite3")
    clock = FixedClock(NOW)
    people = _people(rng, 12)
    reports: list[dict[str, Any]] = []
    with counted_ids(monkeypatch):
        # On record before: people (with authority child ids for three of them).
        first = importer(store, clock)
        registered = []
        for k, person in enumerate(people):
            payload = dict(person)
            if k < 3:
                payload["la_child_id"] = f"LA{k + 1}"
            registered.append(event("person.registered", payload, NOW - timedelta(days=30)))
        first.store.append(registered)
        # Earlier contacts about them, linked by NHS number on import, left open.
        earlier = [_line(f"E-{k}", k, _child_of(p, nhs=True)) for k, p in enumerate(people[:8])]
        (folder / "earlier.jsonl").write_text("\n".join(earlier) + "\n", encoding="utf-8")
        reports.append(_run(store, clock, folder / "earlier.jsonl", batch=3))
        # A decision proposed on one of them: still open, named by an event that does not
        # rate it again itself (its child's other contacts are looked at again).
        proposed = min(store.read_model().contacts)
        first.store.append(
            [event("decision.proposed", decision_payload(proposed, decision_id=_ID0), NOW)]
        )

        lines: list[str] = []
        for i in range(rows):
            kind = i % 10
            if kind in (0, 1):  # the NHS number of someone on record: linked
                child = _child_of(people[i % len(people)], nhs=True)
            elif kind == 2:  # same name and birth date, no NHS number: suggested
                child = _child_of(people[i % len(people)], nhs=False)
            else:
                child = _stranger(rng, i)
                if kind == 3:
                    child["nhs_number"] = random_nhs(rng)
            lines.append(_line(f"B-{i}", 100 + i, child))
            if i % 23 == 5:
                lines.append(lines[-1])  # the same line twice
            if i % 29 == 7:
                lines.append("{not json")
            if i % 31 == 9:
                bad = json.loads(lines[-1])
                bad["received_at"] = "2026-13-45"
                lines.append(json.dumps(bad))
            if i % 37 == 11:
                bad = json.loads(lines[-1])
                del bad["concern"]
                lines.append(json.dumps(bad))
        lines.insert(len(lines) // 2, earlier[1])  # already imported: present
        lines.insert(len(lines) // 3, _line("E-2", 2, _child_of(people[2], nhs=True), "Changed."))
        (folder / "main.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        reports.append(_run(store, clock, folder / "main.jsonl", batch=16))
        # A suggested match confirmed by hand: its own append, onto a stored child slot.
        suggestion = min(
            sqlite_rows(folder, "SELECT contact_id, slot, person_id FROM pending_links")
        )
        link = {"contact_id": suggestion[0], "slot": suggestion[1], "person_id": suggestion[2]}
        first.store.append([event("person.linked", link, NOW)])
        reports.append(_run(store, clock, folder / "main.jsonl", batch=50))  # again: nothing new
        (folder / "cin.xml").write_text(_cin(people), encoding="utf-8")
        reports.append(_run(store, clock, folder / "cin.xml", batch=4))
    store.close()
    return {"reports": reports, "tables": dump(folder / "store.sqlite3")}


def _run(store: EventStore, clock: FixedClock, path: Path, *, batch: int) -> dict[str, Any]:
    report = importer(store, clock).run(path, ImportOptions(batch_size=batch))
    return asdict(report)


def sqlite_rows(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(folder / "store.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes: the log and chain in their own order,
    projection rows sorted."""
    db = sqlite3.connect(path)
    try:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in TABLES:
            rows = db.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
            if table == "events":
                rows.sort(key=lambda r: r[0])  # local_seq
            elif table == "audit_chain":
                rows.sort(key=lambda r: r[0])  # position
            else:
                rows.sort(key=repr)
            out[table] = rows
        return out
    finally:
        db.close()
