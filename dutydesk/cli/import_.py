"""``dutydesk import FILE``: import a partner file or migration history into the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..domain.clock import SystemClock
from ..intake.formats import FORMATS
from ..services.importer import Importer, ImportOptions
from .common import add_store_argument, fail
from .signin import add_sign_in_arguments, desk_policy, open_signed_in

SHOW_ERRORS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the file to import")
    parser.add_argument(
        "--format",
        default="auto",
        choices=("auto", *FORMATS),
        help="file format (default: detect from name and content)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and show what would be imported; write nothing",
    )
    parser.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="refuse the whole file if any row is bad (default: import the "
        "valid rows, one transaction per batch)",
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        default=None,
        help="write rejected rows with their errors to this CSV file",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    add_store_argument(parser)
    add_sign_in_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        return fail(f"{args.file} is not a file")
    if not 1 <= args.batch_size <= 100_000:
        return fail("--batch-size must be between 1 and 100,000")
    policy = desk_policy()  # imported contacts are rated as the queue rates them
    signed = open_signed_in(args)  # the events are the signed-in person's
    try:
        options = ImportOptions(
            format=args.format,
            dry_run=args.dry_run,
            all_or_nothing=args.all_or_nothing,
            rejects=args.rejects,
            batch_size=args.batch_size,
            preview_limit=20,
        )
        report = Importer(signed.guarded, SystemClock(), policy).run(args.file, options)
    finally:
        signed.close()
    if args.dry_run:
        print("DRY RUN: nothing was written")
        for p in report.preview:
            mark = "ok " if p.ok else "BAD"
            print(
                f"  {mark} row {p.number:>6} {p.ref[:20]:<20} {p.summary}"
                + (f"  [{p.problems}]" if p.problems else "")
            )
    for line in report.lines():
        print(line)
    for err in (report.errors + report.warnings)[:SHOW_ERRORS]:
        print(f"  {err}", file=sys.stderr)
    shown = len(report.errors) + len(report.warnings)
    if shown > SHOW_ERRORS:
        print(f"  ... and {shown - SHOW_ERRORS} more (use --rejects FILE for all)", file=sys.stderr)
    if report.refused:
        return 2
    return 0 if report.ok else 1
