"""``dutydesk server``: administer the shared PostgreSQL database (run by an administrator).

    dutydesk server init      --dsn ADMIN_DSN [--organisation NAME] [--signing-dir DIR]
    dutydesk server upgrade   --dsn ADMIN_DSN
    dutydesk server add-user  --dsn ADMIN_DSN --login NAME --role GROUP [--name "Full Name"]
    dutydesk server remove-user --dsn ADMIN_DSN --login NAME [--role GROUP]
    dutydesk server status    --dsn ADMIN_DSN
    dutydesk server new-epoch --dsn ADMIN_DSN   (after restoring a backup)
    dutydesk server checkpoint --dsn ADMIN_DSN [--checkpoint-dir DIR] [--rotate]  (regularly)
    dutydesk server checkpoint --dsn ADMIN_DSN --new-key --reason TEXT  (the key was lost)
    dutydesk server alerts    --dsn ADMIN_DSN   (events desks could not apply)

The new user's password comes from DUTYDESK_NEW_USER_PASSWORD or a prompt (typed twice);
it is never printed or logged. ``init`` also creates the DutyDesk signing authority (its
key in ``--signing-dir``, passphrase in the keyring); ``add-user`` issues the person a
signing key as ``LOGIN.p12`` protected by their new password (docs/printing.md).
``checkpoint`` signs the server's head with the Ed25519 key in this machine's keyring
(made on first use) after checking the log still extends every earlier checkpoint; run it
regularly, e.g. from a timer (docs/deploy.md, "Checkpoints on a timer"): with nothing new
it writes nothing. ``--rotate`` changes the key: the old key signs the head a last time
and is retired, the new key is endorsed by both and replaces it in the keyring; earlier
checkpoints still verify. ``--new-key`` is for a key that is LOST (nothing can sign for
it): the server records a new key as replacing it, and every desk that trusted the lost
key stops and says so until its administrator configures the new one (docs/sync.md).
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .common import fail

if TYPE_CHECKING:
    from ..config.signing_keys import KeyFolder
    from ..sync.pg.admin import StrayAssignment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, summary in (
        ("init", "create roles and schema on an empty database"),
        ("upgrade", "apply server migrations not yet applied"),
        ("add-user", "create a person's login in a group role"),
        (
            "remove-user",
            "take a group away from a login (--role), or stop "
            "the login signing in at all (someone leaves)",
        ),
        ("status", "show epoch, schema version and event count"),
        ("new-epoch", "mark the server as restored: desks download again"),
        (
            "checkpoint",
            "sign the server's head with the key in this machine's keyring (run regularly)",
        ),
        ("alerts", "list events that desks received but could not apply (quarantined)"),
        (
            "assignments",
            "list contacts still with someone who may not hold one (assigned before the "
            "server checked assignees, or the person was removed); exit 1 if any",
        ),
    ):
        p = sub.add_parser(name, help=summary, description=summary)
        p.add_argument(
            "--dsn",
            required=True,
            help="administrator connection, e.g. postgresql://postgres@host/dutydesk",
        )
        if name == "add-user":
            p.add_argument("--login", required=True, help="the person's login name")
            p.add_argument(
                "--role",
                required=True,
                help="group: contact_officer, practitioner, "
                "senior_practitioner, duty_manager, auditor or admin",
            )
            p.add_argument(
                "--no-password",
                action="store_true",
                help="leave the password unset (e.g. certificate sign-in)",
            )
            p.add_argument(
                "--name",
                help="the person's full name: shown to everyone in "
                "the people directory and on their signing "
                "certificate (default: the login)",
            )
            p.add_argument(
                "--key-out",
                type=Path,
                default=Path("."),
                help="folder for LOGIN.p12, the person's signing key protected by "
                "their new password, to import on their desk",
            )
        if name == "remove-user":
            p.add_argument("--login", required=True, help="the person's login name")
            p.add_argument(
                "--role",
                default=None,
                help="take only this group away; without it the login can no "
                "longer sign in (it stays, naming its events)",
            )
        if name == "init":
            p.add_argument(
                "--organisation",
                default="DutyDesk",
                help="the authority's name on the signing certificates",
            )
        if name == "checkpoint":
            p.add_argument(
                "--checkpoint-dir",
                type=Path,
                default=None,
                help="where the public key and the journal of checkpoints are "
                "kept (default: the data folder's checkpoints/)",
            )
            p.add_argument(
                "--rotate",
                action="store_true",
                help="change the checkpoint key: sign the head with the old key a last "
                "time, retire it and endorse a new one (earlier checkpoints still verify)",
            )
            p.add_argument(
                "--new-key",
                action="store_true",
                help="the checkpoint key is LOST (its keyring is gone): start a new key, "
                "recorded on the server as replacing it. Desks that trust the lost key "
                "stop syncing and say so until their administrator configures the new "
                "key (server_checkpoint_key) after comparing its fingerprint out of band",
            )
            p.add_argument(
                "--reason",
                default="",
                help="with --new-key: why the key was replaced (at least 10 characters; "
                "every desk shows it)",
            )
        if name in ("init", "add-user"):
            p.add_argument(
                "--signing-dir",
                type=Path,
                default=None,
                help="where the DutyDesk signing authority's key is kept "
                "(default: the data folder's signing/)",
            )


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    env = os.environ.get("DUTYDESK_NEW_USER_PASSWORD")
    if env:
        return env
    first = getpass.getpass(f"password for {args.login}: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit(fail("the two passwords differ; nothing was changed", 2))
    return first


def run(args: argparse.Namespace) -> int:
    from ..sync.pg import admin  # psycopg is imported only when a server command runs

    try:
        if args.action == "init":
            for name in admin.init(args.dsn):
                print(f"applied {name}")
            print("server initialised")
            return _authority(args)
        elif args.action == "upgrade":
            applied = admin.upgrade(args.dsn)
            for name in applied:
                print(f"applied {name}")
            print("server schema up to date" if not applied else "server upgraded")
            stray = admin.stray_assignments(args.dsn)
            if stray:
                print(
                    f"warning: {len(stray)} contact(s) are with someone who may not hold "
                    "one (accepted before the server checked assignees, or the person was "
                    "removed); `dutydesk server assignments` lists them for a manager to "
                    "reassign"
                )
        elif args.action == "add-user":
            password = _password(args)
            print(admin.add_user(args.dsn, args.login, args.role, password, display_name=args.name))
            return _issue(args, password)
        elif args.action == "remove-user":
            print(admin.remove_user(args.dsn, args.login, args.role))
        elif args.action == "checkpoint":
            return _checkpoint(args)
        elif args.action == "alerts":
            held = admin.alerts(args.dsn)
            print(f"{len(held)} quarantine alert(s) from desks")
            for a in held:
                print(
                    f"{a.reported_at} seq {a.seq} {a.event_type}: quarantined on the desk "
                    f"of {a.login}"
                )
            if held:
                print(
                    "each is an event the server holds that a desk cannot apply: read it "
                    "with `dutydesk sync --quarantine` on that desk, fix the cause (usually "
                    "`dutydesk server upgrade` or a newer DutyDesk on the desk)"
                )
        elif args.action == "assignments":
            return _assignments(admin.stray_assignments(args.dsn))
        elif args.action == "new-epoch":
            print(f"new epoch {admin.new_epoch(args.dsn)}: desks will download the log again")
        else:
            for key, value in admin.status(args.dsn).items():
                print(f"{key}: {value}")
    except admin.AdminError as err:
        return fail(str(err), 2)
    return 0


def _assignments(stray: list[StrayAssignment]) -> int:
    """Contacts with someone who may not hold one; exit 1 when any (a check to run after
    `server upgrade` to 0007 and whenever someone leaves)."""
    if not stray:
        print("every assigned contact is with someone who may hold it")
        return 0
    print(f"{len(stray)} contact(s) with someone who may not hold one:")
    for s in stray:
        print(s.line())
    print(
        "a duty manager reassigns each (Assign on the desk offers only people who may "
        "hold contacts); the server refuses any new assignment like these"
    )
    return 1


def _checkpoint(args: argparse.Namespace) -> int:
    from ..config.checkpoint_key import checkpoint_dir
    from ..config.keys import InsecureKeyringError
    from ..domain.checkpoints import CheckpointError
    from ..paths import default_data_dir
    from ..sync.pg.checkpoints import publish

    folder = args.checkpoint_dir or checkpoint_dir(default_data_dir())
    if args.new_key and args.rotate:
        return fail("--new-key (a lost key) and --rotate (a key you hold) exclude each other", 2)
    if args.reason and not args.new_key:
        return fail("--reason goes with --new-key", 2)
    try:
        if args.new_key:
            from ..sync.pg.checkpoints import new_key

            replaced = new_key(args.dsn, folder, args.reason)
            change, first = replaced.change, replaced.first.checkpoint
            print(
                f"checkpoint key {change.replaces_lost} recorded as LOST (trusted for what it "
                f"signed up to sequence {change.lost_last_seq}); new key {change.key_id} made "
                "and kept in this computer's keyring"
            )
            print(
                f"checkpoint signed with the new key: sequence {first.seq}, hash "
                f"{first.hash[:16]}…, {first.signed_at}"
            )
            print(f"lost key's public half kept: {replaced.lost_key}")
            print(
                f"new public key: {replaced.first.public_key}, fingerprint {change.key_id}. "
                "Every desk that trusted the lost key now stops syncing and says so: tell "
                "each desk's administrator this fingerprint by phone or in person (not by "
                "e-mail from the server) and give them the file to set as "
                "server_checkpoint_key; give it to auditors too"
            )
            return 0
        if args.rotate:
            from ..sync.pg.checkpoints import rotate

            turned = rotate(args.dsn, folder)
            old = turned.change.previous
            print(
                f"checkpoint key {old} retired after its checkpoint at sequence "
                f"{turned.change.previous_last_seq}; new key {turned.change.key_id} endorsed by "
                "both and kept in this computer's keyring (the old private key was deleted)"
            )
            print(f"retired public key kept: {turned.retired_key}")
            print(
                f"new public key: {turned.public_key} (desks that trust the old key follow "
                "the change; give the new file to auditors and desks configured with "
                "server_checkpoint_key)"
            )
            return 0
        done = publish(args.dsn, folder)
    except (CheckpointError, InsecureKeyringError) as err:
        return fail(str(err), 1 if isinstance(err, CheckpointError) else 2)
    cp = done.checkpoint
    if done.key_made:
        print(f"checkpoint key {cp.key_id} made and kept in this computer's keyring")
    if done.new:
        print(
            f"checkpoint signed: sequence {cp.seq}, hash {cp.hash[:16]}…, key {cp.key_id}, "
            f"{cp.signed_at}"
        )
        print(f"journal: {done.journal}")
    else:
        print(f"no new events since the checkpoint at sequence {cp.seq} ({cp.signed_at})")
    print(
        f"public key (give it to auditors for `audit verify --server --checkpoint-key`): "
        f"{done.public_key}"
    )
    return 0


def _keys(args: argparse.Namespace) -> KeyFolder:
    from ..config.signing_keys import KeyFolder, signing_dir
    from ..paths import default_data_dir

    return KeyFolder(args.signing_dir or signing_dir(default_data_dir()))


def _authority(args: argparse.Namespace) -> int:
    """The DutyDesk signing authority for this server (kept if one exists)."""
    from ..config.keys import InsecureKeyringError
    from ..reports.pki import CertificateError
    from .signing import describe, ensure_authority

    keys = _keys(args)
    try:
        authority = ensure_authority(keys, args.organisation)
    except (CertificateError, InsecureKeyringError) as err:
        return fail(f"the server is ready, but no signing authority was created: {err}", 2)
    if authority is None:
        print(f"signing authority kept: {keys.authority_pem}")
        return 0
    print(f"signing authority created: {describe(authority)}")
    print(f"publish its certificate to desks and inspectors: {keys.authority_pem}")
    return 0


def _issue(args: argparse.Namespace, password: str | None) -> int:
    """A signing key for the new person, as LOGIN.p12 protected by their new password."""
    from ..config.keys import InsecureKeyringError
    from ..reports.pki import CertificateError
    from ..services.signing import issue_for_transfer
    from .signing import describe

    if password is None:
        print(
            "no signing key issued (no password to protect it); use "
            "`dutydesk signing issue` on the person's desk"
        )
        return 0
    try:
        identity, bundle = issue_for_transfer(
            _keys(args), args.login, args.name or args.login, password
        )
    except (CertificateError, InsecureKeyringError) as err:
        return fail(f"the login exists, but no signing key was issued: {err}", 2)
    args.key_out.mkdir(parents=True, exist_ok=True)
    target = args.key_out / f"{args.login}.p12"
    from ..services.documents import write_atomically

    write_atomically(target, bundle)
    os.chmod(target, 0o600)
    print(f"signing certificate issued: {describe(identity)}")
    print(
        f"{target}: give it to {args.login}; on their desk: dutydesk signing import "
        f"{target.name} (its passphrase is their new password)"
    )
    return 0
