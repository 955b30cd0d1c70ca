"""Opening this desk's local store the secure way: encrypted with the keyring's key.

A new store for real records is created encrypted (SQLCipher, key from the OS keyring);
without a secure keyring that is refused (``InsecureKeyringError``), except for demo data,
which may live in a plain SQLite file. An existing plain file (a demo store, or one made
before encryption) opens as it is only when ``allow_plain`` says so.
"""

from __future__ import annotations

from pathlib import Path

from ..config.keys import store_key
from ..store.chain import ChainedEventStore
from ..store.database import StoreError
from ..store.encrypt import encrypt_plain_store

PLAIN_HEADER = b"SQLite format 3\x00"


def is_plain_sqlite(path: Path) -> bool:
    """True for an unencrypted SQLite file (its first 16 bytes are readable)."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def open_local_store(path: Path, *, demo: bool = False,
                     allow_plain: bool = False) -> ChainedEventStore:
    """The chained store at ``path``; encrypted unless it is demo data or already plain."""
    if is_plain_sqlite(path):
        if not (demo or allow_plain):
            raise StoreError(
                f"the store at {path} is not encrypted; real records must be kept encrypted. "
                f"Move it aside and start a new store, or open it as demo data")
        return ChainedEventStore.open(path)
    exists = path.exists() and path.stat().st_size > 0
    key = store_key(path, demo=demo and not exists, create=not exists)
    return ChainedEventStore.open(path, key=key)


def encrypt_existing(path: Path) -> int:
    """Encrypt a plain store in place with a new keyring key (refused without a secure
    keyring). Returns the number of events it holds."""
    if not is_plain_sqlite(path):
        raise StoreError(f"{path} is not a plain SQLite store (already encrypted, or missing)")
    key = store_key(path, create=True)
    assert key is not None
    return encrypt_plain_store(path, key)
