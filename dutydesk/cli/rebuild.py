"""``dutydesk rebuild``: drop and rebuild projections from the event log."""

from __future__ import annotations

import argparse
import time

from .common import add_store_argument, open_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    started = time.perf_counter()
    n = store.rebuild()
    print(f"rebuilt projections from {n} events in {time.perf_counter() - started:.2f} s")
    return 0
