"""``dutydesk export annex-a``: Ofsted Annex A Lists 1 to 5 (contacts, early help,
referrals, assessments, section 47)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..mi.annex_a import FORMATS, ExportError
from ..services.mi import MiService
from ..services.signing import NoSigningKey
from .common import add_store_argument, fail
from .mi import add_filter_arguments, filters_from
from .signin import add_sign_in_arguments, desk_office, open_signed_in
from .signing import signer_or_reason


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    annex = sub.add_parser(
        "annex-a",
        help="Ofsted Annex A List 1 to 5",
        description="Ofsted Annex A List 1 (contacts: one row per child per "
        "contact), 2 (early help), 3 (referrals), 4 "
        "(assessments) or 5 (section 47 enquiries), for a "
        "period (default: the six months up to today).",
    )
    add_store_argument(annex)
    annex.add_argument("--list", dest="list_no", type=int, choices=(1, 2, 3, 4, 5), required=True)
    annex.add_argument(
        "--format", choices=FORMATS, default=None, help="xlsx or csv (default: from the file name)"
    )
    annex.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    add_filter_arguments(annex)
    add_sign_in_arguments(annex)
    census = sub.add_parser(
        "cin-census",
        help="DfE children in need census return (XML)",
        description="The DfE CIN census return of what the front door "
        "holds, for the collection year ending 31 March of "
        "--year.",
    )
    add_store_argument(census)
    census.add_argument(
        "--year",
        type=int,
        required=True,
        help="the year the collection ends in (31 March), e.g. 2027",
    )
    census.add_argument("--lea", required=True, help="the authority's DfE LA code, e.g. 201")
    census.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    add_sign_in_arguments(census)


def run(args: argparse.Namespace) -> int:
    if args.what == "cin-census":
        return _census(args)
    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        return fail(f"cannot tell the format of {args.output}: give --format xlsx or csv")
    office = desk_office()
    signed = open_signed_in(args)
    # the export is recorded (document.exported) in the signed-in person's name, and
    # refused for a role that may not export
    signer, why = signer_or_reason(args, signed.actor.login, signed.actor.display_name)
    service = MiService(
        signed.guarded,
        SystemClock(),
        actor=signed.actor,
        office=office,
        people=lambda: signed.people,  # workers by name (the server's directory in shared mode)
        signer=signer,
        unsigned_reason=why,
    )
    try:
        filters = filters_from(args, service)
        rows = service.export_annex_a(args.output, args.list_no, fmt, filters)
    except NoSigningKey as err:
        return fail(str(err), 2)
    except (ValueError, ExportError, DomainError) as err:
        return fail(str(err))
    finally:
        signed.close()
    print(
        f"Annex A List {args.list_no}: {rows} rows, {filters.date_from} to {filters.date_to}, "
        f"written to {args.output}, signed in {args.output.name}.p7s"
    )
    return 0


def _census(args: argparse.Namespace) -> int:
    if not 2010 <= args.year <= 2100:
        return fail("--year must be the year the collection ends in, e.g. 2027")
    office = desk_office()
    signed = open_signed_in(args)
    signer, why = signer_or_reason(args, signed.actor.login, signed.actor.display_name)
    service = MiService(
        signed.guarded,
        SystemClock(),
        actor=signed.actor,
        office=office,
        signer=signer,
        unsigned_reason=why,
    )
    try:
        report = service.export_cin_census(args.output, args.year, lea=args.lea)
    except NoSigningKey as err:
        return fail(str(err), 2)
    except (ValueError, ExportError, DomainError) as err:
        return fail(str(err))
    finally:
        signed.close()
    print(
        f"CIN census {args.year - 1}-{args.year % 100:02d}: {report.children} children, "
        f"{report.episodes} referrals, {report.assessments} assessments, "
        f"{report.section47} section 47 enquiries, written to {args.output}, signed in "
        f"{args.output.name}.p7s"
    )
    for what, n in sorted(report.left_out.items()):
        print(f"  {what}: {n}")
    return 0
