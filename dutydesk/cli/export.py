"""``dutydesk export annex-a``: Ofsted Annex A List 1 (contacts) or List 3 (referrals)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..mi.annex_a import FORMATS, ExportError
from ..services.mi import MiService
from .common import add_store_argument, fail
from .mi import add_filter_arguments, filters_from
from .signin import add_sign_in_arguments, open_signed_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    annex = sub.add_parser("annex-a", help="Ofsted Annex A List 1 or List 3",
                           description="Ofsted Annex A List 1 (contacts: one row per child per "
                                       "contact) or List 3 (referrals), for a period "
                                       "(default: the six months up to today).")
    add_store_argument(annex)
    annex.add_argument("--list", dest="list_no", type=int, choices=(1, 3), required=True)
    annex.add_argument("--format", choices=FORMATS, default=None,
                       help="xlsx or csv (default: from the file name)")
    annex.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    add_filter_arguments(annex)
    add_sign_in_arguments(annex)


def run(args: argparse.Namespace) -> int:
    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        return fail(f"cannot tell the format of {args.output}: give --format xlsx or csv")
    signed = open_signed_in(args)
    # the export is recorded (document.exported) in the signed-in person's name, and
    # refused for a role that may not export
    service = MiService(signed.guarded, SystemClock(), actor=signed.actor)
    try:
        filters = filters_from(args, service)
        rows = service.export_annex_a(args.output, args.list_no, fmt, filters)
    except (ValueError, ExportError, DomainError) as err:
        return fail(str(err))
    finally:
        signed.close()
    print(f"Annex A List {args.list_no}: {rows} rows, {filters.date_from} to {filters.date_to}, "
          f"written to {args.output}")
    return 0
