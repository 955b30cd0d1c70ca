"""``dutydesk audit``: verify the local hash chain, list and export the audit trail.

``verify`` names the first bad link (event id and what is wrong) and exits 1 if the chain
is broken. ``list`` and ``export`` filter by actor, person, contact, event type and date.
Reading the audit needs a sign-in (``--as``) as an auditor, duty manager or administrator.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from importlib import import_module
from pathlib import Path

from ..domain.audit_chain import Verdict
from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..services.audit import AuditFilter, AuditService
from ..services.guard import GuardedStore
from ..store.chain import ChainedEventStore, verify_local_chain, verify_server_copy
from .common import add_store_argument, fail
from .secure import add_password_argument, open_secure_store, sign_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="check the local audit hash chain")
    add_store_argument(verify)
    verify.add_argument("--server-copy", action="store_true",
                        help="also check the server's hash chain on the events pulled from it")
    for name, summary in (("list", "print matching audit entries"),
                          ("export", "write matching audit entries to a CSV file")):
        p = sub.add_parser(name, help=summary, description=summary)
        add_store_argument(p)
        p.add_argument("--as", dest="as_login", required=True,
                       help="your login (must be an auditor, duty manager or administrator)")
        add_password_argument(p)
        p.add_argument("--actor", help="only events recorded by this login")
        p.add_argument("--person", help="only events about this person id")
        p.add_argument("--contact", help="only events about this contact id")
        p.add_argument("--type", action="append", default=[], dest="types",
                       help="event type (repeatable), e.g. access.break_glass")
        p.add_argument("--since", type=date.fromisoformat, help="from this date (YYYY-MM-DD)")
        p.add_argument("--until", type=date.fromisoformat, help="to this date, inclusive")
        p.add_argument("--limit", type=int, default=10_000)
        if name == "export":
            p.add_argument("output", type=Path, help="CSV file to write")


def run(args: argparse.Namespace) -> int:
    store = open_secure_store(args)
    try:
        if args.audit_command == "verify":
            return _verify(store, server_copy=args.server_copy)
        actor = sign_in(args, store, args.as_login)
        service = AuditService(GuardedStore(store, actor, SystemClock()))
        flt = AuditFilter(actor=args.actor, person_id=args.person, contact_id=args.contact,
                          event_types=tuple(args.types), since=args.since, until=args.until,
                          limit=args.limit)
        if args.audit_command == "export":
            n = service.export_csv_file(flt, args.output)
            print(f"{n} audit entries written to {args.output}")
            return 0
        for entry in service.query(flt):
            print("\t".join(entry.row()))
        return 0
    except DomainError as err:
        return fail(str(err))
    finally:
        store.close()


def _report(name: str, verdict: Verdict) -> int:
    if verdict.ok:
        print(f"{name} intact: {verdict.checked} events verified")
        return 0
    print(f"{name} BROKEN after {verdict.checked} good events: {verdict.problem}",
          file=sys.stderr)
    return 1


def _verify(store: ChainedEventStore, *, server_copy: bool) -> int:
    code = _report("local audit chain", verify_local_chain(store.engine))
    if not server_copy:
        return code
    try:
        # The server's hash function lives with the server code (sync branch).
        hashchain = import_module("dutydesk.domain.hashchain")
    except ImportError:
        return fail("checking the server chain needs dutydesk.domain.hashchain, which this "
                    "build does not include", 2)
    verdict = verify_server_copy(store.engine, hashchain.event_hash,
                                 getattr(hashchain, "GENESIS", None))
    return max(code, _report("server audit chain (this desk's copy)", verdict))
