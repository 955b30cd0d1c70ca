"""Arguments and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config.keys import InsecureKeyringError
from ..paths import STORE_FILE, default_data_dir
from ..services.local_store import open_local_store
from ..store.chain import ChainedEventStore
from ..store.database import StoreError


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding the local store (default: platform data folder)",
    )


def store_path(args: argparse.Namespace) -> Path:
    return (args.data_dir or default_data_dir()) / STORE_FILE


def open_store(args: argparse.Namespace, *, demo: bool = False) -> ChainedEventStore:
    """The store at ``--data-dir``, as the window opens it: every event goes into the
    audit chain; an existing plain (demo) store opens as it is; a new store is encrypted
    with the keyring's key, or refused without a secure keyring (``demo`` excepted)."""
    try:
        return open_local_store(store_path(args), demo=demo, allow_plain=True)
    except (StoreError, InsecureKeyringError) as err:
        print(f"dutydesk: {err}", file=sys.stderr)
        raise SystemExit(2) from err


def fail(message: str, code: int = 1) -> int:
    print(f"dutydesk: {message}", file=sys.stderr)
    return code
