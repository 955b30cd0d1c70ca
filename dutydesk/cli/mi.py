"""``dutydesk mi``: the dashboard's figures on the command line, optionally as CSV."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ..domain.clock import SystemClock
from ..mi.dataset import default_period
from ..mi.records import Filters, Settings
from ..mi.report import format_text, write_csv
from ..services.mi import MiService
from .common import add_store_argument, fail
from .signin import add_sign_in_arguments, desk_office, may_read_mi, open_signed_in


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="date_from",
        type=iso_day,
        default=None,
        help="first day of the period (default: six months before --to)",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        type=iso_day,
        default=None,
        help="last day of the period (default: today)",
    )
    parser.add_argument("--office", default=None, help="only this office")
    parser.add_argument("--team", default=None, help="only this team")
    parser.add_argument("--source", default=None, help="only this DfE source code, e.g. 6")


def filters_from(args: argparse.Namespace, service: MiService) -> Filters:
    """The period and filters asked for; ValueError names a bad combination."""
    end = args.date_to or service.default_filters().date_to
    start = args.date_from or default_period(end)[0]
    if start > end:
        raise ValueError(f"--from {start} is after --to {end}")
    return Filters(start, end, args.office, args.team, args.source)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)
    add_sign_in_arguments(parser)
    add_filter_arguments(parser)
    parser.add_argument(
        "--cap",
        type=int,
        default=Settings().caseload_cap,
        help="caseload cap: open contacts per worker (default %(default)s)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="also write every figure and its parts to this CSV file",
    )


def run(args: argparse.Namespace) -> int:
    if args.cap < 1:
        return fail("--cap must be 1 or more")
    office = desk_office()
    signed = open_signed_in(args)
    if not may_read_mi(signed.actor.role):
        signed.close()
        return fail(
            f"{signed.actor.login} ({signed.actor.role.value}) may not read management "
            "information (senior practitioners, duty managers, auditors)",
            2,
        )
    service = MiService(
        signed.guarded,
        SystemClock(),
        settings=Settings(caseload_cap=args.cap),
        actor=signed.actor,
        office=office,
        people=lambda: signed.people,
    )
    try:
        filters = filters_from(args, service)
        figures = service.figures(service.load(filters), filters)
    except ValueError as err:
        return fail(str(err))
    finally:
        signed.close()
    print(format_text(figures, filters))
    if args.csv is not None:
        if not args.csv.parent.is_dir():
            return fail(f"cannot write {args.csv}: folder {args.csv.parent} does not exist")
        with args.csv.open("w", newline="", encoding="utf-8") as fh:
            write_csv(fh, figures, filters)
        print(f"figures written to {args.csv}")
    return 0
