"""``dutydesk audit``: verify the hash chains, list and export the audit trail.

``verify`` names the first bad link (event id and what is wrong) and exits 1 if a chain
is broken: the local chain; with ``--server-copy`` also the server's chain as this desk
pulled it; with ``--server --dsn DSN`` the shared server's own log (the local store is then
checked only if ``--data-dir`` is given). ``list`` and ``export`` filter by actor, person,
contact, event type and date; ``quarantine`` lists events pulled from the server that this
desk holds in quarantine (never applied). Reading the audit needs a sign-in (``--as``) as
an auditor, duty manager or administrator (on the server: a login in one of those groups).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Protocol

from ..config.credentials import Credentials
from ..domain.audit_chain import Verdict
from ..domain.checkpoints import Checkpoint, CheckpointError, KeyRecord, check, key_ring, merge
from ..domain.clock import SystemClock
from ..domain.errors import DomainError
from ..domain.permissions import Action, allows
from ..domain.server_chain import ChainReport, verify_server_chain
from ..services.audit import AuditFilter, AuditService
from ..services.guard import GuardedStore
from ..services.signing import NoSigningKey
from ..store.chain import ChainedEventStore, verify_local_chain, verify_server_copy
from .common import add_store_argument, fail
from .secure import add_password_argument, open_secure_store
from .signin import signed_in_as
from .signing import signer_or_reason


class ServerLogLike(Protocol):
    def checkpoints(self) -> list[Checkpoint]: ...
    def checkpoint_keys(self) -> list[KeyRecord]: ...
    def epoch(self) -> str: ...
    def head_seq(self) -> int: ...
    def hash_at(self, seq: int) -> str | None: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="check the local audit hash chain")
    add_store_argument(verify)
    verify.add_argument(
        "--server-copy",
        action="store_true",
        help="also check the server's hash chain on the events pulled from it",
    )
    verify.add_argument(
        "--server",
        action="store_true",
        help="check the shared server's own log (needs --dsn; the password "
        "comes from DUTYDESK_PASSWORD or the keyring, never an argument)",
    )
    verify.add_argument(
        "--dsn",
        help="server connection string without the password, e.g. "
        "postgresql://a.auditor@db.example/dutydesk",
    )
    verify.add_argument(
        "--replica-dsn",
        help="with --server: walk the log on this streaming read replica (same login, no "
        "password) instead of the primary; the walk is then anchored on the primary "
        "(--dsn): the hash at the replica's head must be the primary's (docs/scale.md)",
    )
    verify.add_argument("--role", help="the group role to act in, for a login in several")
    verify.add_argument(
        "--checkpoint-key",
        type=Path,
        default=None,
        help="with --server: the administrator's published checkpoint-key.pem "
        "to check signed checkpoints with (default: the one in "
        "--checkpoint-dir, or this machine's keyring)",
    )
    verify.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help="with --server: the administrator's checkpoint folder (public key "
        "and journal; default: the data folder's checkpoints/)",
    )
    held = sub.add_parser(
        "quarantine",
        help="list events received from the server that this desk holds in quarantine",
        description="list events received from the server that this desk could not "
        "validate or apply (kept aside, never applied): who recorded them, when, and why "
        "they were refused (hidden for restricted records you may not read)",
    )
    add_store_argument(held)
    _add_sign_in(held)
    for name, summary in (
        ("list", "print matching audit entries"),
        ("export", "write matching audit entries to a CSV file"),
    ):
        p = sub.add_parser(name, help=summary, description=summary)
        add_store_argument(p)
        _add_sign_in(p)
        p.add_argument("--actor", help="only events recorded by this login")
        p.add_argument("--person", help="only events about this person id")
        p.add_argument("--contact", help="only events about this contact id")
        p.add_argument(
            "--type",
            action="append",
            default=[],
            dest="types",
            help="event type (repeatable), e.g. access.break_glass",
        )
        p.add_argument("--since", type=date.fromisoformat, help="from this date (YYYY-MM-DD)")
        p.add_argument("--until", type=date.fromisoformat, help="to this date, inclusive")
        p.add_argument("--limit", type=int, default=10_000)
        if name == "export":
            p.add_argument("output", type=Path, help="CSV file to write")


def _add_sign_in(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_login",
        default=None,
        help="your login (an auditor, duty manager or administrator): a local account, "
        "or in shared mode your server login (default: the settings' server_user; the "
        "password from DUTYDESK_PASSWORD or the keyring)",
    )
    parser.add_argument(
        "--server-role", default=None, help="shared mode: which of your server roles to act in"
    )
    add_password_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.audit_command == "verify" and args.server:
        code = _verify_on_server(args)
        if args.data_dir is None:
            return code
        store = open_secure_store(args)
        try:
            return max(code, _verify(store, server_copy=args.server_copy))
        finally:
            store.close()
    store = open_secure_store(args)
    try:
        if args.audit_command == "verify":
            return _verify(store, server_copy=args.server_copy)
        # the shared-mode login when a server is set (names from its directory), else
        # a local account (names from the local accounts)
        actor, people = signed_in_as(args, store)
        names = {e.login: e.display_name for e in people.entries}
        signer, why = (
            signer_or_reason(args, actor.login, actor.display_name)
            if args.audit_command == "export"
            else (None, "")
        )
        service = AuditService(
            GuardedStore(store, actor, SystemClock()), names, signer=signer, unsigned_reason=why
        )
        if args.audit_command == "quarantine":
            return _quarantine(service)
        flt = AuditFilter(
            actor=args.actor,
            person_id=args.person,
            contact_id=args.contact,
            event_types=tuple(args.types),
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
        if args.audit_command == "export":
            try:
                n = service.export_csv_file(flt, args.output)
            except NoSigningKey as err:
                return fail(str(err), 2)
            print(f"{n} audit entries written to {args.output}, signed in {args.output.name}.p7s")
            return 0
        for entry in service.query(flt):
            print("\t".join(entry.row()))
        return 0
    except DomainError as err:
        return fail(str(err))
    finally:
        store.close()


def _quarantine(service: AuditService) -> int:
    held = service.quarantined()
    print(f"{len(held)} event(s) received from the server held in quarantine, never applied")
    if held:
        print("seq\tevent id\ttype\trecorded by\trole\tclient time\tquarantined at\treason")
    for entry in held:
        print("\t".join(entry.row()))
    if held:
        print(
            "each is on the server as recorded; the administrator sees them in `dutydesk "
            "server alerts`; usually fixed by `dutydesk server upgrade` or a newer DutyDesk"
        )
    return 0


def _report(name: str, verdict: Verdict) -> int:
    if verdict.ok:
        print(f"{name} intact: {verdict.checked} events verified")
        return 0
    print(f"{name} BROKEN after {verdict.checked} good events: {verdict.problem}", file=sys.stderr)
    return 1


def _verify(store: ChainedEventStore, *, server_copy: bool) -> int:
    code = _report("local audit chain", verify_local_chain(store.engine))
    if not server_copy:
        return code
    code = max(
        code,
        _report_server(
            "server audit chain (this desk's copy)",
            verify_server_copy(store.engine),
            "not held by this desk",
        ),
    )
    from ..domain.wording import plural
    from ..store import quarantine

    held = quarantine.sequences(store.engine)
    if held:  # not a broken chain: received as the server holds them, kept aside
        shown = ", ".join(str(s) for s in held[:10]) + (" …" if len(held) > 10 else "")
        print(
            f"{plural(len(held), 'pulled event')} held in quarantine, never applied "
            f"(sequence {shown}; `dutydesk sync --quarantine`)"
        )
    return code


def _report_server(name: str, report: ChainReport, unseen: str) -> int:
    if not report.ok:
        print(
            f"{name} BROKEN after {report.checked} good events: {report.problem}", file=sys.stderr
        )
        return 1
    extra = f"; {report.unseen} {unseen}" if report.unseen else ""
    print(
        f"{name} intact: {report.checked} events verified up to sequence {report.last_seq}{extra}"
    )
    return 0


def _verify_on_server(args: argparse.Namespace) -> int:
    if not args.dsn:
        return fail("--server needs --dsn (the server's connection string, no password)", 2)
    from ..sync.pg.audit import ServerLog, password_free
    from ..sync.pg.transport import PgTransport
    from ..sync.transport import SyncError

    try:
        user, server = password_free(args.dsn)
        password = os.environ.get("DUTYDESK_PASSWORD") or (
            Credentials().get(user, server) if user else None
        )
        with PgTransport(args.dsn, password) as transport:
            me = transport.whoami(args.role)
        if not allows(me.role, Action.VIEW_AUDIT):
            return fail(
                f"login {me.login} works as {me.role}, which may not read the audit "
                "(auditor, duty manager or administrator)",
                2,
            )
        if args.replica_dsn:
            password_free(args.replica_dsn)  # no password on a command line either
        with ServerLog(args.dsn, password) as log:
            walked = ServerLog(args.replica_dsn, password) if args.replica_dsn else log
            try:
                report = verify_server_chain(
                    walked.rows(), head_seq=walked.head_seq(), hash_at=walked.hash_at
                )
                checked, problem = walked.server_check()
                anchor = _anchor_on_primary(walked, log) if walked is not log else 0
            finally:
                if walked is not log:
                    walked.close()
            signed = _check_checkpoints(args, log)
    except SyncError as err:
        return fail(str(err), 2)
    except CheckpointError as err:
        return fail(f"signed checkpoints could not be checked: {err}", 2)
    code = _report_server(
        f"server audit chain (read as {me.login}, {me.role})",
        report,
        "hidden from this login by row-level security (restricted "
        "records: they exist and the chain continues after them; "
        "the server's own check below covers their content)",
    )
    if problem is not None:
        print(
            f"server's own chain check BROKEN after {checked} good events: {problem}",
            file=sys.stderr,
        )
        code = 1
    else:
        print(
            f"server's own chain check intact: {checked} events (hidden ones included) "
            "recomputed; person ids, contact ids and submitted_by follow from the hashed "
            "content"
        )
    return max(code, signed, anchor)


def _anchor_on_primary(replica: ServerLogLike, primary: ServerLogLike) -> int:
    """After a walk on a read replica: its log must be the primary's up to the replica's
    head (same epoch, same hash there; the chain vouches for everything before it). Says
    what the walk did not cover (the primary's events after the replica's head)."""
    head = replica.head_seq()
    theirs, ours = primary.hash_at(head) if head else None, replica.hash_at(head) if head else None
    if replica.epoch() != primary.epoch() or theirs != ours:
        print(
            f"read replica is NOT the primary's copy: at sequence {head} its log differs from "
            "the primary's (or its epoch does); the walk above checked the replica only",
            file=sys.stderr,
        )
        return 1
    behind = primary.head_seq() - head
    print(
        f"walked on the read replica, anchored on the primary: the primary's hash at the "
        f"replica's head (sequence {head}) is the same; {behind} newer event(s) on the "
        "primary were not covered by this walk"
    )
    return 0


def _check_checkpoints(args: argparse.Namespace, log: ServerLogLike) -> int:
    """Every signed checkpoint (on the server and in the administrator's journal) against
    the log, with the trusted public key: 1 when the server's history changed."""
    from ..config.checkpoint_key import checkpoint_dir, read_journal, trusted_public
    from ..paths import default_data_dir

    folder = args.checkpoint_dir or checkpoint_dir(default_data_dir())
    public = trusted_public(args.checkpoint_key, folder)
    on_server = log.checkpoints()
    journal = read_journal(folder)
    if public is None:
        print(
            f"signed checkpoints NOT checked ({len(on_server)} on the server): no trusted "
            "checkpoint key; pass --checkpoint-key FILE (the administrator's "
            "checkpoint-key.pem)",
            file=sys.stderr,
        )
        return 0
    every, missing = merge(on_server, journal)
    try:
        ring = key_ring(log.checkpoint_keys(), public)
    except CheckpointError as err:
        print(f"signed checkpoints BROKEN: {err}", file=sys.stderr)
        return 1
    keys = ", ".join(ring.order)
    if not every:
        print(
            f"signed checkpoints: none yet (key {keys}); the administrator runs "
            "`dutydesk server checkpoint` regularly",
            file=sys.stderr,
        )
        return 0
    result = check(
        every,
        ring,
        epoch=log.epoch(),
        head_seq=log.head_seq(),
        hash_at=log.hash_at,
        missing=missing,
    )
    if result.problem is not None:
        print(f"signed checkpoints BROKEN: {result.problem}", file=sys.stderr)
        return 1
    newest = result.latest
    where = (
        f", the newest at sequence {newest.seq} signed {newest.signed_at}"
        if newest is not None
        else ""
    )
    older = (
        f"; {result.other_epoch} from an earlier epoch (before `server new-epoch`) not compared"
        if result.other_epoch
        else ""
    )
    print(f"signed checkpoints intact: {result.checked} checked with key {keys}{where}{older}")
    return 0
