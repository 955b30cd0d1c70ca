"""``dutydesk demo``: fill a store with synthetic history."""

from __future__ import annotations

import argparse
import time

from ..demo.loader import load_demo
from ..demo.mi_extras import load_mi_demo
from ..domain.clock import SystemClock
from .common import add_store_argument, fail, open_store, store_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)
    parser.add_argument("--events", type=int, default=3000, help="about how many events")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--open",
        type=int,
        default=None,
        dest="open_contacts",
        help="how many contacts to leave open in the queue",
    )
    parser.add_argument(
        "--mi-extras",
        action="store_true",
        help="also ratings with due times, workers' caseloads, supervisions and completed "
        "assessments, for the MI dashboard (docs/mi.md)",
    )


def run(args: argparse.Namespace) -> int:
    if not 100 <= args.events <= 5_000_000:
        return fail("--events must be between 100 and 5,000,000")
    store = open_store(args, demo=True)
    if store.event_count():
        return fail(f"{store_path(args)} already holds events; demo data goes in an empty store")
    started = time.perf_counter()
    load = load_mi_demo if args.mi_extras else load_demo
    n = load(
        store,
        seed=args.seed,
        events=args.events,
        clock=SystemClock(),
        open_contacts=args.open_contacts,
    )
    print(f"{n} demo events written to {store_path(args)} in {time.perf_counter() - started:.1f} s")
    return 0
