"""``dutydesk export annex-a``: Ofsted Annex A Lists 1 to 5 (contacts, early help,
referrals, assessments, section 47)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..mi.annex_a import FORMATS, ExportError, file_name
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
        "period (default: the six months up to today). Several lists "
        "(--list all, or --list 1,3,5) are written into the folder -o "
        "names, from one load of the store, each signed and recorded.",
    )
    add_store_argument(annex)
    annex.add_argument(
        "--list",
        dest="lists",
        type=list_numbers,
        required=True,
        metavar="N",
        help="1 to 5, several separated by commas (1,3,5), or all",
    )
    annex.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="xlsx or csv (default: from the file name; xlsx for several lists)",
    )
    annex.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="file to write; for several lists, the folder to write them into "
        "(annex-a-list-N-FROM-to-TO.FMT)",
    )
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


def list_numbers(text: str) -> tuple[int, ...]:
    """``--list``: "3", "1,3,5" or "all" -> the list numbers, in order, once each."""
    if text.strip().lower() == "all":
        return (1, 2, 3, 4, 5)
    numbers: list[int] = []
    for part in text.split(","):
        if part.strip() not in {"1", "2", "3", "4", "5"}:
            raise argparse.ArgumentTypeError(
                f"{part.strip()!r} is not an Annex A list: give 1 to 5, 1,3,5 or all"
            )
        if int(part) not in numbers:
            numbers.append(int(part))
    return tuple(numbers)


def run(args: argparse.Namespace) -> int:
    if args.what == "cin-census":
        return _census(args)
    several = len(args.lists) > 1
    if several:
        fmt = args.format or "xlsx"
        if not args.output.is_dir():
            return fail(f"{args.output} is not a folder: several lists are written into one")
    else:
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
    written: list[str] = []  # one line per list, as each is signed and recorded
    try:
        filters = filters_from(args, service)
        # Each list is its own signed, recorded export; they share one prepared dataset
        # (of what they all read) while the store is unchanged (``MiService._export_data``),
        # as in the dashboard.
        for n in args.lists:
            path = args.output / file_name(n, filters, fmt) if several else args.output
            rows = service.export_annex_a(path, n, fmt, filters, also=args.lists)
            written.append(
                f"Annex A List {n}: {rows} rows, {filters.date_from} to {filters.date_to}, "
                f"written to {path}, signed in {path.name}.p7s"
            )
    except NoSigningKey as err:
        return fail(str(err), 2)
    except (ValueError, ExportError, DomainError) as err:
        # Lists already written stay (each signed and recorded): say which, and which not.
        if written:
            print("\n".join(written))
            missing = ", ".join(str(n) for n in args.lists[len(written) :])
            return fail(f"Annex A List {missing} not written: {err}")
        return fail(str(err))
    finally:
        signed.close()
    print("\n".join(written))
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
