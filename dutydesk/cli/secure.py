"""Shared by the identity and audit commands: opening the store (encrypted when it is new)
and reading passwords (a prompt, or lines on stdin with ``--password-stdin``; never argv).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ..config.keys import InsecureKeyringError
from ..domain.clock import SystemClock
from ..domain.events import Actor
from ..services.accounts import AccountService
from ..services.local_store import open_local_store
from ..store.chain import ChainedEventStore
from ..store.database import StoreError
from .common import store_path


def open_secure_store(args: argparse.Namespace) -> ChainedEventStore:
    """The store at ``--data-dir``: an existing plain store opens as it is; a new one is
    created encrypted, or refused without a secure keyring."""
    try:
        return open_local_store(store_path(args), allow_plain=True)
    except (StoreError, InsecureKeyringError) as err:
        raise SystemExit(f"dutydesk: {err}") from err


def add_password_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read passwords from standard input, one per line, instead of "
        "prompting (passwords are never taken as arguments)",
    )


def read_password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("dutydesk: expected a password on standard input")
        return line.rstrip("\r\n")
    return getpass.getpass(prompt)


def sign_in(args: argparse.Namespace, store: ChainedEventStore, login: str) -> Actor:
    """The signed-in actor; ``SignInError`` (a ``DomainError``) for a wrong password."""
    accounts = AccountService(store, SystemClock())
    return accounts.sign_in(login, read_password(args, f"Password for {login}: "))
