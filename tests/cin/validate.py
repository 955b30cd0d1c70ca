"""Run DfE's CIN census validation rules (csc-validator-be-cin) on one XML file and print
the issues as JSON lines (a child's, then the header's and the whole return's). Runs in
its own environment (``.venv-cin``, made by tests/setup.sh: pandas 1.5.3 and numpy<2),
never in the application's.

    .venv-cin/bin/python tests/cin/validate.py FILE.xml [RULESET]
"""

from __future__ import annotations

import importlib
import json
import sys
import xml.etree.ElementTree as ET  # a file DutyDesk wrote itself, checked by DfE's rules


def main() -> int:
    path = sys.argv[1]
    ruleset = sys.argv[2] if len(sys.argv) > 2 else "cin2026_27"
    from cin_validator.cin_validator import CinValidator, convert_data, process_data

    root = ET.parse(path).getroot()
    data = process_data(convert_data(root))
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    validator = CinValidator(data, registry)
    print(json.dumps({"ruleset": ruleset, "rules": len(list(registry))}))
    for record in validator.full_issue_df.astype(str).to_dict(orient="records"):
        print(json.dumps(record))
    # Issues in the header or of the return as a whole (no child): the validator keeps
    # them apart from full_issue_df, so they are printed as well, marked as such.
    for record in validator.multichild_issues.astype(str).to_dict(orient="records"):
        print(json.dumps({**record, "tables_affected": "Header or whole return"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
