"""``dutydesk verify FILE.pdf``: does a printed DutyDesk document match the record?

Exit codes, one per verdict: 0 matches the record; 3 document altered; 4 refers to
events this store does not have; 5 the store's events changed since printing; 2 the file
or the store cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.verify import verify_pdf
from ..store.report_queries import ReportQueries
from .common import add_store_argument, fail
from .signin import add_sign_in_arguments, open_signed_in

LISTED = 20  # event ids named in the output before "and N more"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the PDF to check")
    add_store_argument(parser)
    add_sign_in_arguments(parser)  # checking a printout against the record reads the record


def run(args: argparse.Namespace) -> int:
    try:
        pdf = args.file.read_bytes()
    except OSError as err:
        return fail(f"cannot read {args.file}: {err}", 2)
    signed = open_signed_in(args)
    try:
        report = verify_pdf(pdf, ReportQueries(signed.store.engine).events_by_ids)
    finally:
        signed.close()
    print(f"{args.file}: {report.verdict.text.upper()}")
    print(f"  {report.detail}")
    if report.manifest is not None:
        m = report.manifest
        print(f"  document: {m.title} ({m.kind}); printed by {m.generated_by} "
              f"at {m.generated_at}; code {m.code}")
    for label, ids in (("not in this store", report.missing),
                       ("changed in the store", report.changed)):
        for event_id in ids[:LISTED]:
            print(f"  {label}: {event_id}")
        if len(ids) > LISTED:
            print(f"  ... and {len(ids) - LISTED} more {label}")
    return report.verdict.exit_code


__all__ = ["add_arguments", "run"]
