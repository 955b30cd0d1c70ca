"""Run DfE's CIN census validation rules (csc-validator-be-cin) on one XML file rule by
rule, printing one JSON line per rule as it finishes: its code, whether it is a query
(code ending in Q), how many issue rows it found, the LAchildIDs of the first few, and its
time. For large returns, where the whole validator (tests/cin/validate.py) builds its
report only at the end: partial results are kept if the run is stopped. Runs in
``.venv-cin`` like validate.py.

The validator's own reading of the XML (``XMLtoCSV``) appends each child to every table
with ``pd.concat``, which is quadratic: a 50,000-referral return did not finish reading in
hours. Here it reads the children in chunks of 500 (each chunk by ``XMLtoCSV`` itself, with
the same header) and joins each table's chunks once, in order. Every id it assigns
(``CINdetailsID``, ``AssessmentID``, ``CPPID``) restarts for each child, so the tables are
the same; ``--check`` proves it on FILE by comparing every table with the validator's own
reading (for a file small enough to read that way).

    .venv-cin/bin/python tests/cin/validate_by_rule.py FILE.xml [RULESET]
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import time
import xml.etree.ElementTree as ET  # a file DutyDesk wrote itself, checked by DfE's rules

CHUNK = 500  # children read at a time


def read_in_chunks(root: ET.Element) -> dict:  # type: ignore[type-arg]
    """The validator's tables (``convert_data``) for ``root``, read 500 children at a time."""
    import pandas as pd
    from cin_validator.cin_validator import convert_data

    header = root.find("Header")
    children = root.find("Children")
    kids = list(children) if children is not None else []
    parts: list[dict] = []  # type: ignore[type-arg]
    for at in range(0, max(len(kids), 1), CHUNK):
        part = ET.Element(root.tag)
        if header is not None:
            part.append(header)
        box = ET.SubElement(part, "Children")
        box.extend(kids[at : at + CHUNK])
        parts.append(convert_data(part))
    tables = {}
    for name in parts[0]:
        filled = [p[name] for p in parts if len(p[name])]
        # the header once; a table no child fills stays as the validator leaves it
        tables[name] = (
            pd.concat(filled, ignore_index=True) if name != "Header" and filled else parts[0][name]
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
    tables = read_in_chunks(root)
    if "--check" in sys.argv:
        import pandas as pd

        whole = convert_data(root)
        for name, table in whole.items():
            pd.testing.assert_frame_equal(tables[name], table, check_dtype=True)
        print(json.dumps({"check": "the chunked reading equals the validator's"}), flush=True)
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
