"""``dutydesk admin``: first-run set-up and standalone accounts.

``init`` creates the first administrator (only while there is none); ``create-user``,
``reset-password``, ``disable-user``, ``enable-user`` and ``list-users`` need an
administrator's sign-in (``--as``); a disabled account cannot sign in, and its login keeps
naming that person on every event they recorded (logins are never reused);
``encrypt-store`` turns a plain store (made before encryption) into an encrypted one.
Passwords are prompted for, or read one per line from stdin with ``--password-stdin``.
"""

from __future__ import annotations

import argparse

from ..config.keys import InsecureKeyringError
from ..domain.clock import SystemClock
from ..domain.codes import ROLE_LABELS, Role
from ..domain.errors import DomainError
from ..reports.pki import CertificateError
from ..services.accounts import AccountService
from ..services.local_store import encrypt_existing
from ..store.database import StoreError
from .common import add_store_argument, fail, store_path
from .secure import add_password_argument, open_secure_store, read_password, sign_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create the first administrator")
    create = sub.add_parser("create-user", help="add a standalone account")
    reset = sub.add_parser("reset-password", help="set a new password for an account")
    disable = sub.add_parser(
        "disable-user",
        help="stop an account signing in (someone leaves); its records keep its login",
    )
    enable = sub.add_parser("enable-user", help="let a disabled account sign in again")
    users = sub.add_parser("list-users", help="list the standalone accounts")
    encrypt = sub.add_parser(
        "encrypt-store",
        help="encrypt an existing plain store in place (key kept in the OS keyring)",
    )
    add_store_argument(encrypt)
    for p in (init, create, reset, disable, enable, users):
        add_store_argument(p)
        add_password_argument(p)
    for p in (create, reset, disable, enable, users):
        p.add_argument("--as", dest="as_login", required=True, help="your administrator login")
    for p in (init, create, reset, disable, enable):
        p.add_argument("--login", required=True)
    for p in (init, create):
        p.add_argument("--name", required=True, help="the person's full name")
    init.add_argument(
        "--organisation",
        default="DutyDesk",
        help="the authority's name on the signing certificates it issues",
    )
    create.add_argument("--role", required=True, choices=[r.value for r in Role])


def _new_password(args: argparse.Namespace) -> str:
    first = read_password(args, "New password: ")
    if not args.password_stdin and read_password(args, "Repeat it: ") != first:
        raise SystemExit("dutydesk: the passwords do not match")
    return first


def run(args: argparse.Namespace) -> int:
    if args.admin_command == "encrypt-store":
        return _encrypt(args)
    store = open_secure_store(args)
    accounts = AccountService(store, SystemClock())
    try:
        if args.admin_command == "init":
            row = accounts.init_admin(args.login, args.name, _new_password(args))
            print(f"administrator {row.login} created")
            return _signing_authority(args)
        admin = sign_in(args, store, args.as_login)
        if args.admin_command == "create-user":
            row = accounts.create_user(
                admin, args.login, args.name, Role(args.role), _new_password(args)
            )
            print(f"account {row.login} ({ROLE_LABELS[row.role]}) created")
            return _issue_key(args, row.login, args.name)
        elif args.admin_command == "reset-password":
            accounts.reset_password(admin, args.login, _new_password(args))
            print(f"password of {args.login} reset")
        elif args.admin_command in ("disable-user", "enable-user"):
            active = args.admin_command == "enable-user"
            accounts.set_active(admin, args.login, active)
            print(f"account {args.login} {'enabled' if active else 'disabled'}")
        else:
            for row in accounts.list_users(admin):
                state = "active" if row.active else "disabled"
                print(f"{row.login}\t{ROLE_LABELS[row.role]}\t{row.display_name}\t{state}")
        return 0
    except DomainError as err:
        return fail(str(err))
    finally:
        store.close()


def _signing_authority(args: argparse.Namespace) -> int:
    """A stand-alone desk is its own DutyDesk signing authority (docs/printing.md)."""
    from .signing import describe, ensure_authority, key_folder

    keys = key_folder(args)
    try:
        authority = ensure_authority(keys, args.organisation)
    except (CertificateError, InsecureKeyringError) as err:
        return fail(f"no signing authority was created: {err}", 2)
    if authority is None:
        print(f"signing authority kept: {keys.authority_pem}")
        return 0
    print(f"signing authority created: {describe(authority)}; certificate {keys.authority_pem}")
    return 0


def _issue_key(args: argparse.Namespace, login: str, name: str) -> int:
    from ..services.signing import issue_person
    from .signing import describe, key_folder

    try:
        identity = issue_person(key_folder(args), login, name)
    except (CertificateError, InsecureKeyringError) as err:
        return fail(f"the account exists, but no signing key was issued: {err}", 2)
    print(f"signing certificate issued: {describe(identity)}")
    return 0


def _encrypt(args: argparse.Namespace) -> int:
    try:
        n = encrypt_existing(store_path(args))
    except (StoreError, InsecureKeyringError) as err:
        return fail(str(err))
    print(f"{store_path(args)} encrypted ({n} events); its key is in the OS keyring")
    return 0
