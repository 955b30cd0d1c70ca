"""Composition root: arguments -> settings -> store -> sign-in -> services -> window.

Three ways to start, decided here and nowhere else:
- demo (``--demo``): a plain SQLite store of synthetic data, demo users, a DEMO banner;
- standalone (no server in the settings): the encrypted local store (key in the OS
  keyring) and local accounts made with ``dutydesk admin init``;
- shared: the same local store, synchronised with the PostgreSQL server named in the
  settings; the person signs in with their database login (see ``dutydesk.sync``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from .demo.users import demo_actor  # noqa: F401 - re-exported for tests and tools
from .domain.clock import SystemClock
from .domain.events import Actor
from .paths import STORE_FILE, default_config_dir, default_data_dir

log = logging.getLogger("dutydesk")

SETTINGS_FILE = "settings.json"
DEMO_DEFAULT_LOGIN = "dm.manager"

# Loaded before PySide6 (``_load_before_qt``): the store and services a start uses, and
# those the window's modules import when they load. None of them imports Qt.
BEFORE_QT = (
    "sqlalchemy.dialects.sqlite",  # loaded by the first engine, not by the import
    "dutydesk.config.settings",
    "dutydesk.config.signing_keys",
    "dutydesk.services.accounts",
    "dutydesk.services.desk",
    "dutydesk.services.guard",
    "dutydesk.services.local_store",
    "dutydesk.services.triage",
    "dutydesk.store.database",
    "dutydesk.store.syncstate",
    "dutydesk.store.writer",
    "dutydesk.domain.quality",
    "dutydesk.services.corrections",
    "dutydesk.services.documents",
    "dutydesk.services.drafts",
    "dutydesk.services.followthrough",
    "dutydesk.services.match_provider",
    "dutydesk.services.queue_filter",
    "dutydesk.services.signing",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dutydesk", description="DutyDesk duty window")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the local store (default: the platform data folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use a store of synthetic demo data (filled when empty) and sign in as a demo user",
    )
    parser.add_argument(
        "--demo-events",
        type=int,
        default=3000,
        help="how many demo events to generate (default 3000)",
    )
    parser.add_argument(
        "--as",
        dest="as_login",
        default=None,
        metavar="LOGIN",
        help="demo only: sign in as this demo user without the dialog "
        "(cc.officer, sw.practitioner, sp.senior, dm.manager)",
    )
    parser.add_argument(
        "--role",
        default=None,
        help="shared mode: which of your server group roles to work in, "
        "when your login holds more than one",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        help="render the window offscreen to this PNG and exit",
    )
    return parser.parse_args(argv)


def fill_demo(store: object, seed: int = 2026, events: int = 3000) -> int:
    from .demo.loader import load_demo

    return load_demo(store, seed=seed, events=events, clock=SystemClock())  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir: Path = args.data_dir or default_data_dir()

    from .config.logging_setup import configure_logging

    configure_logging(logging.INFO, data_dir / "dutydesk.log")
    collecting = gc.isenabled()
    gc.disable()  # while the code loads: see _loaded_code_frozen
    try:
        _load_before_qt()
        from .ui.qtguard import QtFaultError, check_qt_runtime

        try:
            check_qt_runtime()
        except QtFaultError as err:
            print(f"DutyDesk cannot start: {err}", file=sys.stderr)
            return 3
        importlib.import_module(f"{__package__}.ui.application")  # the window's modules
    finally:
        _loaded_code_frozen(collecting)

    from .config import settings as settings_file

    try:
        # The person's settings under the machine-wide ones an administrator fixed.
        settings = settings_file.load_desk(default_config_dir() / SETTINGS_FILE)
        locked = settings_file.machine_locked()
    except settings_file.SettingsError as err:
        print(f"DutyDesk cannot read its settings: {err}", file=sys.stderr)
        return 2
    policy = None
    if settings.policy_file:
        from .domain.triage.policy import PolicyError, load_policy

        try:
            policy = load_policy(settings.policy_file)
        except (OSError, PolicyError) as err:
            print(
                f"DutyDesk cannot load the triage policy named in its settings "
                f"(policy_file): {err}",
                file=sys.stderr,
            )
            return 2

    from .config.keys import InsecureKeyringError
    from .services.local_store import open_local_store
    from .store.database import StoreError

    try:
        store = open_local_store(data_dir / STORE_FILE, demo=args.demo)
    except (StoreError, InsecureKeyringError) as err:
        print(f"DutyDesk cannot open its store: {err}", file=sys.stderr)
        return 2
    if args.demo and not store.has_events():
        n = fill_demo(store, events=args.demo_events)
        log.info("demo store filled with %d events", n)

    clock = SystemClock()
    from .ui.application import make_app

    app = make_app()

    from .services.accounts import AccountService, demo_sign_in

    accounts = AccountService(store, clock)
    engine = None
    verify_password: Callable[[str, str], bool] | None = (
        None if args.demo else accounts.verify_password
    )
    if settings.server_host and not args.demo:
        from .shared_mode import SharedSignInError, sign_in_shared

        try:
            shared = sign_in_shared(settings, store, clock, role=args.role, locked=locked)
        except SharedSignInError as err:
            print(f"DutyDesk cannot sign in to the shared server: {err}", file=sys.stderr)
            return 2
        if shared is None:
            return 1
        actor, engine, verify_password = shared.actor, shared.engine, shared.verify_password
        shared_people = shared.people  # kept current by sync
    else:
        found = _sign_in(args, accounts, demo_sign_in)
        if found is None:
            return 1
        actor = found

    from .services.desk import DeskService
    from .services.guard import GuardedStore
    from .services.triage import TriageService
    from .ui.session import Session

    guarded = GuardedStore(store, actor, clock)
    triage = TriageService(guarded, actor, clock, policy=policy)
    triage.rate_all_open()  # anything imported or synced without a rating
    desk = DeskService(
        guarded,
        actor,
        clock,
        triage=triage,
        directory=shared_people if engine is not None else None,
    )
    from .config.signing_keys import signing_dir
    from .services.signing import desk_signer

    signer, unsigned_reason = desk_signer(
        data_dir, actor.login, actor.display_name or "", demo=args.demo, tsa_url=settings.tsa_url
    )
    session = Session(
        actor=actor,
        clock=clock,
        settings=settings,
        store=store,
        guarded=guarded,
        demo=args.demo,
        verify_password=verify_password,
        sync_engine=engine,
        signer=signer,
        unsigned_reason=unsigned_reason,
        keys_dir=signing_dir(data_dir),
    )

    from .ui.application import run_window

    code = run_window(desk, session, store_path=data_dir / STORE_FILE, screenshot=args.screenshot)
    store.close()  # its connections closed (and the WAL checkpointed) here, not left to exit
    del app
    # The process ends now: its last collection need not walk every object the session
    # made (0.2 s at 1M events). Reference counting still frees them as before.
    gc.freeze()
    return code


def _loaded_code_frozen(collecting: bool) -> None:
    """After the code a start runs is loaded with the cyclic collector off: its objects
    (functions, classes and their dictionaries, ~150,000) go to the collector's permanent
    generation and the collector runs again as it was.

    They live as long as the process. The collector walked them again and again while
    they were made (240 collections, ~8% of a start's CPU) and would walk them at every
    full collection after. Reference counting frees objects as before; the few cycles
    the imports left unreachable (about 500 small objects, ~0.1 MB) are kept, once."""
    gc.freeze()
    if collecting:
        gc.enable()


def _load_before_qt() -> None:
    """Load the store and the services a start uses before PySide6 is first imported.

    PySide6 hooks ``import``: every module loaded after it has its whole source read
    (``inspect.getsource``) to see whether it uses PySide6's ``__feature__`` switches.
    SQLAlchemy (130 modules) and DutyDesk's store and services never do; loaded first they
    skip that read, about 0.1 s of CPU at every start. Nothing here touches Qt, so Qt's
    own check still runs before anything is opened."""
    for name in BEFORE_QT:
        importlib.import_module(name)


def _sign_in(args: argparse.Namespace, accounts: object, demo_sign_in: object) -> Actor | None:
    """The signed-in person: a demo user, or a local account through the dialog."""
    from .demo.users import DEMO_USERS
    from .ui.sign_in import SignInDialog

    if args.demo:
        users = [demo_sign_in(u.login, demo=True) for u in DEMO_USERS]  # type: ignore[operator]
        users.sort(key=lambda u: u.login != DEMO_DEFAULT_LOGIN)  # the duty manager first
        chosen = args.as_login or (DEMO_DEFAULT_LOGIN if args.screenshot else None)
        if chosen is not None:
            found = [u for u in users if u.login == chosen]
            if not found:
                print(
                    f"DutyDesk: {chosen!r} is not a demo user; choose one of "
                    f"{', '.join(u.login for u in users)}",
                    file=sys.stderr,
                )
                return None
            return found[0]
        dialog = SignInDialog(accounts.sign_in, demo_users=users)  # type: ignore[attr-defined]
    else:
        if not accounts.has_accounts():  # type: ignore[attr-defined]
            print(
                "DutyDesk has no accounts on this desk yet. An administrator sets up the "
                'first one with: dutydesk admin init --login LOGIN --name "NAME"',
                file=sys.stderr,
            )
            return None
        dialog = SignInDialog(accounts.sign_in)  # type: ignore[attr-defined]
    if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.actor is None:
        return None
    return dialog.actor
