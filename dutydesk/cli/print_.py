"""``dutydesk print``: case decision logs, duty logs and outcome letters as PDF files.

Each file is signed with the key of the person printing (or, without one, the
authority's document seal kept on this desk; see ``dutydesk signing``). Each file written
is recorded as a ``document.exported`` event (who, what, when, which events), the same as
an export from the window, in the name of the person signed in (``--as`` with a password,
the shared-mode login, or a demo user with ``--demo``; see ``dutydesk.cli.signin``).
Nobody prints under a name they merely typed.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ..config.settings import SettingsError, load_desk
from ..domain.clock import SystemClock
from ..domain.directory import PeopleDirectory
from ..domain.errors import PermissionDenied, ValidationError
from ..domain.events import Actor
from ..domain.timescales import OfficeHours
from ..reports.caselog import NothingToPrintError
from ..reports.fonts import FontMissingError
from ..reports.letters import Audience, LetterError
from ..services.documents import Document, DocumentService
from ..services.guard import GuardedStore
from .common import add_store_argument, fail
from .signin import add_sign_in_arguments, desk_office, open_signed_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="document", metavar="DOCUMENT", required=True)
    case = sub.add_parser("case-log", help="a child's or a contact's case decision log")
    who = case.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="the child's person id")
    who.add_argument("--contact", help="one contact's id")
    duty = sub.add_parser("duty-log", help="contacts received and decisions made")
    duty.add_argument("--office", help="office name as recorded on contacts")
    duty.add_argument("--team", help="team name as recorded on contacts")
    duty.add_argument("--from", dest="first", type=_date, required=True, help="YYYY-MM-DD")
    duty.add_argument("--to", dest="last", type=_date, help="YYYY-MM-DD (default: --from)")
    letter = sub.add_parser("letter", help="outcome letter to the family or the referrer")
    letter.add_argument("--contact", required=True, help="the contact's id")
    letter.add_argument("--to", dest="audience", required=True, choices=[a.value for a in Audience])
    for p in (case, duty, letter):
        add_store_argument(p)
        p.add_argument("-o", "--output", type=Path, required=True, help="PDF file to write")
        p.add_argument(
            "--marking", help="protective marking (default: from settings, else OFFICIAL-SENSITIVE)"
        )
        add_sign_in_arguments(p)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _marking(args: argparse.Namespace) -> str:
    if args.marking:
        return str(args.marking)
    return load_desk().protective_marking  # the administrator's marking wins


def run(args: argparse.Namespace) -> int:
    try:
        marking = _marking(args)
    except SettingsError as err:
        return fail(str(err), 2)
    # printed working-day clocks count on the desk's policy calendar, as MI and the queue
    office = desk_office()
    signed = open_signed_in(args)
    try:
        return _print(signed.guarded, signed.actor, marking, office, args, signed.people)
    finally:
        signed.close()


def _print(
    store: GuardedStore,
    actor: Actor,
    marking: str,
    office: OfficeHours,
    args: argparse.Namespace,
    people: PeopleDirectory,
) -> int:
    from .signing import signer_or_reason

    signer, why = signer_or_reason(args, actor.login, actor.display_name)
    if signer is None:
        return fail(why, 2)
    service = DocumentService(
        store,
        actor,
        SystemClock(),
        marking=marking,
        signer=signer,
        office=office,
        people=lambda: people,  # names on the "by" lines (the server's in shared mode)
    )
    try:
        document = _make(service, args)
    except (
        NothingToPrintError,
        LetterError,
        ValueError,
        FontMissingError,
        PermissionDenied,
    ) as err:
        return fail(str(err))
    try:
        service.export_to_file(document, args.output)
    except OSError as err:
        return fail(f"cannot write {args.output}: {err}")
    except PermissionDenied as err:
        return fail(str(err))
    except ValidationError as err:
        return fail(f"the export could not be recorded, so no file was kept: {err}")
    print(
        f"{args.output}: {document.title}; {len(document.event_ids)} events; "
        f"verification code {document.code}; signed by {signer.name}"
    )
    return 0


def _make(service: DocumentService, args: argparse.Namespace) -> Document:
    if args.document == "case-log":
        return service.case_log(person_id=args.person, contact_id=args.contact)
    if args.document == "duty-log":
        if not (args.office or args.team):
            raise ValueError("give --office or --team (or both) for a duty log")
        return service.duty_log(
            args.first, args.last or args.first, office=args.office, team=args.team
        )
    return service.letter(args.contact, Audience(args.audience))
