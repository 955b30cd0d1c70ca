"""Run DfE's CIN census validation rules (csc-validator-be-cin) on one XML file rule by
rule, printing one JSON line per rule as it finishes: its code, whether it is a query
(code ending in Q), how many issue rows it found, the LAchildIDs of the first few, and its
time. For large returns, where the whole validator (tests/cin/validate.py) builds its
report only at the end: partial results are kept if the run is stopped. Runs in
``.venv-cin`` like validate.py.

The validator's own reading of the XML (``XMLtoCSV``) appends each child to every table
with ``pd.concat``: about a millisecond a call, eleven tables, every child (and quadratic
in the end), so a 50,000-referral return took hours to read. Here the same reader runs
with its ``pd.concat`` collecting the parts, and each table is joined once at the end: the
same rows in the same order. ``--check`` proves it on FILE by comparing every table with
the validator's own reading (for a file small enough to read that way).
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import time
import xml.etree.ElementTree as ET  # a file DutyDesk wrote itself, checked by DfE's rules


class _Parts:
    """A table being read: its parts, joined once at the end."""

    def __init__(self, first: object) -> None:
        self.parts = [first]
        self.columns = first.columns  # type: ignore[attr-defined]


class _Pandas:
    """The ``pd`` the validator's reader sees: ``concat`` collects, the rest is pandas."""

    def __init__(self, pandas: object) -> None:
        self._pandas = pandas

    def __getattr__(self, name: str) -> object:
        return getattr(self._pandas, name)

    @staticmethod
    def concat(objs: list[object], ignore_index: bool = False) -> _Parts:
        head, *rest = objs
        table = head if isinstance(head, _Parts) else _Parts(head)
        table.parts.extend(rest)
        return table


def read_quickly(root: ET.Element) -> dict:  # type: ignore[type-arg]
    """The validator's tables (``convert_data``) for ``root``, each joined once."""
    import pandas as pd
    from cin_validator import ingress

    real = ingress.pd
    ingress.pd = _Pandas(pd)
    try:
        reader = ingress.XMLtoCSV(root)
    finally:
        ingress.pd = real
    names = [
        "Header",
        "ChildIdentifiers",
        "ChildCharacteristics",
        "ChildProtectionPlans",
        "CINdetails",
        "CINplanDates",
        "Reviews",
        "Section47",
        "Assessments",
        "AssessmentFactorsList",
        "Disabilities",
    ]
    tables = {}
    for name in names:
        table = getattr(reader, name)
        tables[name] = (
            pd.concat(table.parts, ignore_index=True) if isinstance(table, _Parts) else table
        )
    return tables


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--check"]
    path = args[0]
    ruleset = args[1] if len(args) > 1 else "cin2026_27"
    from cin_validator.cin_validator import convert_data, enum_keys, process_data
    from cin_validator.rule_engine import RuleContext

    start = time.perf_counter()
    root = ET.parse(path).getroot()
    tables = read_quickly(root)
    if "--check" in sys.argv:
        import pandas as pd

        whole = convert_data(root)
        for name, table in whole.items():
            pd.testing.assert_frame_equal(tables[name], table, check_dtype=True)
        print(json.dumps({"check": "the quick reading equals the validator's"}), flush=True)
    data = enum_keys(process_data(tables))
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    rules = list(registry.values())
    print(
        json.dumps(
            {
                "ruleset": ruleset,
                "rules": len(rules),
                "read_s": round(time.perf_counter() - start, 1),
            }
        ),
        flush=True,
    )
    for rule in rules:
        began = time.perf_counter()
        ctx = RuleContext(rule)
        failed = ""
        try:
            rule.func(copy.deepcopy(data), ctx)
        except Exception as err:  # the validator itself reports and carries on
            failed = f"{type(err).__name__}: {err}"
        found = [
            ctx.type_zero_issues,
            ctx.type_one_issues,
            ctx.type_two_issues,
            ctx.type_three_issues,
            ctx.la_level_issues,
        ]
        biggest = max(found, key=len)
        children: list[str] = []
        if len(biggest) and hasattr(biggest, "columns") and "LAchildID" in biggest.columns:
            children = [str(x) for x in biggest["LAchildID"].head(3)]
        print(
            json.dumps(
                {
                    "rule": str(rule.code),
                    "query": str(rule.code).endswith("Q"),
                    "issues": int(len(biggest)),
                    "children": children,
                    "failed": failed,
                    "s": round(time.perf_counter() - began, 2),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
