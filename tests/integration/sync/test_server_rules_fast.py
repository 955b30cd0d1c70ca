"""The generated ``check_payload``'s fast path agrees with its detailed path (issue 12).

``check_payload`` first runs every check of an event type as one expression (and a loop
per list); only a payload that fails it reaches the detailed checks, which name the field.
If the fast path passed a payload the detailed checks refuse, the server would take it.
So the same function without the fast path (``check_payload_function(fast=False)``, the
detailed checks alone) is installed beside it, and both judge the same payloads: valid
ones, and every field of every event type, nested ones included, given each wrong value.
They must agree on every payload: the same message, or both none.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg

from dutydesk.domain import server_rules
from dutydesk.sync.pg import rules_sql
from dutydesk.sync.pg.rules_sql import check_payload_function
from tests.factories import contact_payload
from tests.integration.sync.test_server_rules import RULES, valid

TODAY = date(2026, 11, 26)
BAD: list[Any] = [
    None,
    "",
    "x",
    "y" * 2100,
    12,
    -1,
    1.5,
    100,
    True,
    [],
    ["x", "x"],
    {},
    {"z": 1},
    "2026-02-30",
    "1899-12-31",
    "2027-01-01",
    "2024-02-29T10:00:00+00:00",
    "2026-02-29T10:00:00+00:00",
    "9434765918",
    "9434765919",
    "sw1a 1aa",
    "SW1A 1AA",
    "01a23026-41db-7263-8eea-52537b71C3DD",
    "01a23026-41db-7263-8eea-52537b71c3dd",
]


def _mutations(value: Any) -> Iterator[Any]:
    """``value`` with one place (a field, an item, at any depth) replaced or removed."""
    if isinstance(value, dict):
        for key, inner in value.items():
            dropped = {k: v for k, v in value.items() if k != key}
            yield dropped
            for bad in BAD:
                yield {**dropped, key: bad}
            for changed in _mutations(inner):
                yield {**value, key: changed}
        yield {**value, "unknown_field": 1}
    elif isinstance(value, list) and value:
        for i, inner in enumerate(value):
            for changed in _mutations(inner):
                out = list(value)
                out[i] = changed
                yield out
        yield [*value, copy.deepcopy(value[0])]


def _payloads() -> Iterator[tuple[str, Any]]:
    for kind, rule in RULES.items():
        base = valid(rule, TODAY)
        if kind == "contact.received":
            base = contact_payload()
            base["children"][0]["disabilities"] = ["AUT", "VIS"]
            base["children"][0]["slot"] = 1
            base["reporter"]["phone"] = "01234 567890"
        yield kind, base
        for changed in _mutations(base):
            yield kind, changed
        for name, field in rule["fields"].items():  # the optional ones too
            for bad in [*BAD, valid(field, TODAY)]:
                yield kind, {**base, name: bad}
        yield kind, "not an object"


def test_fast_and_detailed_checks_agree_on_every_payload(pg_server: str) -> None:
    detailed = check_payload_function(
        server_rules.rules(), fast=False, schema="pg_temp", name="detailed_check"
    )
    cases = list(_payloads())
    with psycopg.connect(pg_server, autocommit=True) as conn:  # the administrator: TEMP
        conn.execute(detailed.encode("utf-8"))
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE cases (n integer, kind text, payload jsonb)")
            with cur.copy("COPY cases (n, kind, payload) FROM STDIN") as copy_in:
                for n, (kind, payload) in enumerate(cases):
                    copy_in.write_row((n, kind, json.dumps(payload)))
        rows = conn.execute(
            "SELECT n, dutydesk.check_payload(kind, payload, %(d)s), "
            "pg_temp.detailed_check(kind, payload, %(d)s) FROM cases ORDER BY n",
            {"d": TODAY},
        ).fetchall()
    assert len(rows) == len(cases) > 4000
    disagree = [(cases[n], fast, slow) for n, fast, slow in rows if fast != slow]
    assert not disagree, disagree[:5]
    refused = sum(1 for _, fast, _ in rows if fast is not None)
    assert 0 < refused < len(rows)  # both verdicts occur


def _moved(text: str, at: int, by: int) -> str:
    chars = list(text)
    chars.insert(at + by, chars.pop(at))
    return "".join(chars)


UUIDS = [
    "01a23026-41db-7263-8eea-52537b71c3dd",
    "01A23026-41db-7263-8eea-52537b71c3dd",
    "01a2302641db-7263-8eea-52537b71c3dd-",
    "01a23026-41db-7263-8eea-52537b71c3d",
    "01a23026-41db-7263-8eea-52537b71c3ddd",
    "01a23026-41db-7263-8eea-5253-b71c3dd",
    "01a23026-41db-7263-8eea-52537b71c3d\u00e9",
    "01a23026-41db-7263-8eea-52537b71c3\u00e9",
    "01a23026-41db-7263--eea-52537b71c3dd",
    "01a23026-41db-7263-8eea-52537b71c3dd\n",
    "{01a23026-41db-7263-8eea-52537b71c3d}",
    "01a23026041db07263-8eea-52537b71c3dd",
    "-01a2302-41db-7263-8eea-52537b71c3dd",
    "g1a23026-41db-7263-8eea-52537b71c3dd",
    "",
    "-" * 36,
    # each hyphen moved one place either way (36 characters, five hex runs)
    *(
        _moved("01a23026-41db-7263-8eea-52537b71c3dd", k, d)
        for k in (8, 13, 18, 23)
        for d in (-1, 1)
    ),
]
NHS = [
    "9434765919",
    "9434765918",
    "1111111111",
    "0000000000",
    "9999999999",
    "943476591",
    "94347659190",
    "943476591x",
    "\u0669434765919",
    "",
    "943 476 5919",
]


def test_the_uuid_and_nhs_number_expressions_agree_with_the_patterns(pg_server: str) -> None:
    """The fast path tests a UUID without ``UUID_RE``'s costly run and an NHS number's
    "one digit ten times" without a back-reference; both paths share those expressions, so
    they are checked here against the patterns they replace, on strings built to break
    them (wrong places, lengths, case, characters beyond ASCII, a trailing newline)."""
    uuid_ok = rules_sql._uuid_ok("s")
    nhs_ok = rules_sql._nhs_ok("s")
    backref = nhs_ok.replace(
        "s <> pg_catalog.repeat(pg_catalog.substr(s, 1, 1), 10)", r"s !~ '^(.)\1{9}$'"
    )
    assert backref != nhs_ok
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE strings (kind text, s text)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO strings VALUES (%s, %s)",
                [("uuid", u) for u in UUIDS] + [("nhs", n) for n in NHS],
            )
        uuids = conn.execute(
            f"SELECT s, {uuid_ok}, s ~ '{rules_sql.UUID_RE}' FROM strings WHERE kind = 'uuid'"
        ).fetchall()
        numbers = conn.execute(
            f"SELECT s, {nhs_ok}, {backref}, dutydesk.nhs_number_ok(s) FROM strings "
            "WHERE kind = 'nhs'"
        ).fetchall()
    assert len(uuids) == len(UUIDS) and len(numbers) == len(NHS)
    assert [(s, bool(new)) for s, new, _ in uuids] == [(s, bool(old)) for s, _, old in uuids]
    assert [(s, bool(new)) for s, new, _, _ in numbers] == [
        (s, bool(old)) for s, _, old, _ in numbers
    ]
    assert [(s, bool(new)) for s, new, _, _ in numbers] == [
        (s, bool(ok)) for s, _, _, ok in numbers
    ]
    assert sum(1 for _, new, _ in uuids if new) == 1
    assert {s for s, new, _, _ in numbers if new} == {"9434765919"}
