"""Opening this desk's local store the secure way: encrypted with the keyring's key.

A new store for real records is created encrypted (SQLCipher, key from the OS keyring);
without a secure keyring that is refused (``InsecureKeyringError``), except for demo data,
which may live in a plain SQLite file. A demo store is marked as one when it is made
(``store_kind = demo`` in its meta table): demo mode opens only a store so marked (never
an encrypted store of real records, never a leftover plain one), and a marked demo store
opens only in demo mode. An unmarked plain file (one made before encryption) opens as it
is only when ``allow_plain`` says so (encrypting it, verifying its chain).
"""

from __future__ import annotations

from pathlib import Path

from ..store.chain import ChainedEventStore
from ..store.database import StoreError
from ..store.encrypt import encrypt_plain_store

PLAIN_HEADER = b"SQLite format 3\x00"
STORE_KIND = "store_kind"
DEMO_KIND = "demo"


def is_plain_sqlite(path: Path) -> bool:
    """True for an unencrypted SQLite file (its first 16 bytes are readable)."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def open_local_store(
    path: Path, *, demo: bool = False, allow_plain: bool = False
) -> ChainedEventStore:
    """The chained store at ``path``: encrypted (a demo store too, when the keyring is
    secure), plain only for demo data without a secure keyring. Demo mode opens only a
    store marked as demo data; a marked store opens only in demo mode."""
    plain = is_plain_sqlite(path)
    exists = path.exists() and path.stat().st_size > 0
    if plain:
        store = ChainedEventStore.open(path)
    else:
        from ..config.keys import store_key  # the keyring: not needed for a plain demo file

        key = store_key(path, demo=demo and not exists, create=not exists)
        store = ChainedEventStore.open(path, key=key)
    if not exists:
        if demo:
            store.set_meta(STORE_KIND, DEMO_KIND)
        return store
    marked = store.get_meta(STORE_KIND) == DEMO_KIND
    problem = None
    if demo and not marked:
        problem = (
            f"the store at {path} is not a demo store; demo mode never opens real "
            "records. Give another --data-dir for demo data"
        )
    elif marked and not demo and not allow_plain:
        problem = f"the store at {path} holds demo data; open it in demo mode (--demo)"
    elif plain and not marked and not allow_plain:
        problem = (
            f"the store at {path} is not encrypted; real records must be kept "
            "encrypted. Encrypt it (dutydesk admin encrypt-store) or move it aside"
        )
    if problem is not None:
        store.close()
        raise StoreError(problem)
    return store


def encrypt_existing(path: Path) -> int:
    """Encrypt a plain store in place with a new keyring key (refused without a secure
    keyring). Returns the number of events it holds."""
    from ..config.keys import store_key

    if not is_plain_sqlite(path):
        raise StoreError(f"{path} is not a plain SQLite store (already encrypted, or missing)")
    key = store_key(path, create=True)
    assert key is not None
    return encrypt_plain_store(path, key)
