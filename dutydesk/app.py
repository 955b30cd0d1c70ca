"""Composition root: arguments -> settings -> store -> services -> window. No globals."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from .domain.clock import SystemClock
from .domain.codes import Role
from .domain.events import Actor
from .paths import default_data_dir

log = logging.getLogger("dutydesk")

STORE_FILE = "dutydesk.sqlite3"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dutydesk", description="DutyDesk duty window")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder for the local store (default: the platform data folder)")
    parser.add_argument("--demo", action="store_true",
                        help="fill an empty store with synthetic demo data and sign in as a "
                             "demo duty manager")
    parser.add_argument("--demo-events", type=int, default=3000,
                        help="how many demo events to generate (default 3000)")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="render the window offscreen to this PNG and exit")
    return parser.parse_args(argv)


def demo_actor() -> Actor:
    return Actor(login="dm.manager", role=Role.DUTY_MANAGER, device=socket.gethostname(),
                 display_name="Dan Manager (demo)")


def fill_demo(store: object, seed: int = 2026, events: int = 3000) -> int:
    from .demo.loader import load_demo
    return load_demo(store, seed=seed, events=events, clock=SystemClock())  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    data_dir: Path = args.data_dir or default_data_dir()

    from .ui.qtguard import QtFaultError, check_qt_runtime
    try:
        check_qt_runtime()
    except QtFaultError as err:
        print(f"DutyDesk cannot start: {err}", file=sys.stderr)
        return 3

    from .store.database import StoreError
    from .store.eventstore import EventStore
    try:
        store = EventStore.open(data_dir / STORE_FILE)
    except StoreError as err:
        print(f"DutyDesk cannot open its store: {err}", file=sys.stderr)
        return 2
    if args.demo and store.event_count() == 0:
        n = fill_demo(store, events=args.demo_events)
        log.info("demo store filled with %d events", n)

    from .services.desk import DeskService
    actor = demo_actor()
    service = DeskService(store, actor, SystemClock())

    from .ui.application import run_window
    return run_window(service, demo=args.demo, store_path=data_dir / STORE_FILE,
                      screenshot=args.screenshot)
