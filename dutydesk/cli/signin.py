"""Signing in on the command line: every command that reads or writes records does.

Three ways, decided as the window decides them:
- ``--demo``: a demo store (and only a demo store) with a demo user named by ``--as``
  (default ``dm.manager``), no password;
- shared mode (a server in the settings): the person's server login (``--as``, default
  the settings' ``server_user``), the password from ``DUTYDESK_PASSWORD`` or the keyring
  (never an argument), identity and role from the server (``--server-role`` picks one);
- standalone: a local account (``--as``) with its password from a prompt or
  ``--password-stdin``.

The actor returned is the real person: every event the command writes is theirs and is
checked against their role by the guarded store.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from dataclasses import dataclass, field

from ..config.credentials import Credentials
from ..config.keys import InsecureKeyringError
from ..config.settings import Settings, SettingsError, load_desk
from ..config.settings import load as load_settings
from ..domain.clock import SystemClock
from ..domain.codes import Role
from ..domain.directory import PeopleDirectory
from ..domain.errors import DomainError
from ..domain.events import Actor
from ..domain.permissions import Action, allows
from ..domain.timescales import OfficeHours
from ..domain.triage.policy import Policy, PolicyError
from ..paths import default_config_dir
from ..services.accounts import demo_sign_in
from ..services.directory import local_directory
from ..services.guard import GuardedStore
from ..services.local_store import open_local_store
from ..services.triage import policy_from
from ..store.chain import ChainedEventStore
from ..store.database import StoreError
from .common import store_path
from .secure import add_password_argument, sign_in

SETTINGS_FILE = "settings.json"
DEMO_DEFAULT_LOGIN = "dm.manager"


class SignInRefused(SystemExit):
    """The command cannot go on: why, in words (exit code 2)."""

    def __init__(self, message: str) -> None:
        print(f"dutydesk: {message}", file=sys.stderr)
        super().__init__(2)


@dataclass
class SignedIn:
    store: ChainedEventStore
    actor: Actor
    guarded: GuardedStore
    # Who is who (display names by login): the server's directory in shared mode, read
    # at sign-in; the local accounts (and demo users) otherwise.
    people: PeopleDirectory = field(default_factory=lambda: PeopleDirectory(()))

    def close(self) -> None:
        self.store.close()


def may_read_mi(role: Role) -> bool:
    """Management information (figures, drill-down, triage evaluation): the roles the
    window offers it to."""
    return allows(role, Action.EXPORT) or allows(role, Action.VIEW_AUDIT)


def desk_policy() -> Policy:
    """This desk's triage policy: the one named in the settings (``policy_file``, the
    machine-wide one on top, as the window reads it), else the default. Imports are rated
    with it, and MI and the exports count working days on its office calendar, so the
    command line agrees with the queue's due times. A policy that cannot be read stops the
    command (exit 2) saying so, rather than working on another calendar."""
    try:
        return policy_from(load_desk().policy_file or None)
    except (SettingsError, OSError, PolicyError) as err:
        raise SignInRefused(
            "cannot load the triage policy named in the settings "
            f"(policy_file), whose office days the queue runs on: {err}"
        ) from err


def desk_office() -> OfficeHours:
    """The office calendar of this desk's queue (``desk_policy``)."""
    return desk_policy().office


def add_sign_in_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_login",
        default=None,
        metavar="LOGIN",
        help="your login: a local account, your server login in shared "
        "mode (default: the settings' server_user), or a demo user "
        "with --demo",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="the store holds demo data: sign in as a demo user, no password "
        "(refused for a store that is not a demo store)",
    )
    parser.add_argument(
        "--server-role", default=None, help="shared mode: which of your server roles to act in"
    )
    add_password_argument(parser)


def open_signed_in(args: argparse.Namespace) -> SignedIn:
    """The store at ``--data-dir`` and the person signed in to it, or exit 2 saying why."""
    demo = bool(getattr(args, "demo", False))
    try:
        store = open_local_store(store_path(args), demo=demo)
    except (StoreError, InsecureKeyringError) as err:
        raise SignInRefused(str(err)) from err
    try:
        actor, people = _actor(args, store, demo)
    except BaseException:
        store.close()
        raise
    return SignedIn(store, actor, GuardedStore(store, actor, SystemClock()), people)


def signed_in_as(
    args: argparse.Namespace, store: ChainedEventStore
) -> tuple[Actor, PeopleDirectory]:
    """The person signed in to an already open (real) store, and the people directory:
    the shared-mode login (password from ``DUTYDESK_PASSWORD`` or the keyring; names
    from the server) when a server is set, else a local account (``--as``, password
    prompt or ``--password-stdin``). Exit 2 saying why, as ``open_signed_in``."""
    return _actor(args, store, False)


def _actor(
    args: argparse.Namespace, store: ChainedEventStore, demo: bool
) -> tuple[Actor, PeopleDirectory]:
    if demo:
        try:
            actor = demo_sign_in(args.as_login or DEMO_DEFAULT_LOGIN, demo=True)
        except DomainError as err:
            raise SignInRefused(str(err)) from err
        return actor, local_directory(store)
    try:
        settings = load_settings(default_config_dir() / SETTINGS_FILE)
    except SettingsError as err:
        raise SignInRefused(str(err)) from err
    if settings.server_host:
        return _shared(args, settings, store)
    if not args.as_login:
        raise SignInRefused(
            "sign in with --as LOGIN (your local account); the password is "
            "asked for, or read with --password-stdin"
        )
    try:
        return sign_in(args, store, args.as_login), local_directory(store)
    except DomainError as err:
        raise SignInRefused(str(err)) from err


def _shared(
    args: argparse.Namespace, settings: Settings, store: ChainedEventStore
) -> tuple[Actor, PeopleDirectory]:
    from ..shared_mode import SharedSignInError, connect_shared
    from ..sync.pg.transport import conninfo

    user = args.as_login or settings.server_user
    if not user:
        raise SignInRefused("shared mode: give your server login with --as")
    server = f"{settings.server_host}:{settings.server_port}"  # as the login dialog keeps it
    password = os.environ.get("DUTYDESK_PASSWORD") or Credentials().get(user, server)
    dsn = conninfo(
        host=settings.server_host,
        port=settings.server_port,
        database=settings.server_database,
        user=user,
        sslmode=settings.server_sslmode,
        sslrootcert=settings.server_sslrootcert,
    )
    try:
        shared = connect_shared(dsn, password, store, SystemClock(), role=args.server_role)
    except SharedSignInError as err:
        raise SignInRefused(f"cannot sign in to the shared server: {err}") from err
    shared.engine.transport.close()
    actor = Actor(
        shared.actor.login, shared.actor.role, socket.gethostname(), shared.actor.display_name
    )
    return actor, shared.directory
