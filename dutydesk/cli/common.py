"""Arguments and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..paths import STORE_FILE, default_data_dir
from ..store.database import StoreError
from ..store.eventstore import EventStore


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding the local store (default: platform data folder)")


def store_path(args: argparse.Namespace) -> Path:
    return (args.data_dir or default_data_dir()) / STORE_FILE


def open_store(args: argparse.Namespace) -> EventStore:
    try:
        return EventStore.open(store_path(args))
    except StoreError as err:
        print(f"dutydesk: {err}", file=sys.stderr)
        raise SystemExit(2) from err


def fail(message: str, code: int = 1) -> int:
    print(f"dutydesk: {message}", file=sys.stderr)
    return code
