"""The local store encrypted at rest with SQLCipher, keyed from the OS keyring."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

from dutydesk.config.keys import SERVICE, InsecureKeyringError, key_account, store_key
from dutydesk.services.local_store import is_plain_sqlite, open_local_store
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.database import StoreError, current_revision, head_revision, open_engine
from tests.conftest import MemoryKeyring
from tests.factories import contact_payload, event


def _filled(path: Path, now) -> ChainedEventStore:  # type: ignore[no-untyped-def]
    store = open_local_store(path)
    store.append([event("contact.received", contact_payload(), now)])
    return store


def test_encrypted_file_is_not_a_database_to_plain_sqlite(tmp_path: Path, now) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "enc.sqlite3"
    _filled(path, now).close()
    assert not is_plain_sqlite(path)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert b"Siobh" not in path.read_bytes() and b"bruise" not in path.read_bytes()


def test_right_key_opens_and_migrations_ran(tmp_path: Path, now) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "enc.sqlite3"
    _filled(path, now).close()
    store = open_local_store(path)
    assert store.event_count() == 1
    assert current_revision(store.engine) == head_revision()
    assert store.verify_chain().ok
    store.close()


def test_wrong_key_fails_clearly(tmp_path: Path, now) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "enc.sqlite3"
    _filled(path, now).close()
    with pytest.raises(StoreError, match="cannot be opened with this desk's key"):
        open_engine(path, key=bytes(32))


def test_key_lives_only_in_the_keyring(tmp_path: Path, memory_keyring: MemoryKeyring, now) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "enc.sqlite3"
    _filled(path, now).close()
    stored = memory_keyring.secrets[(SERVICE, key_account(path))]
    key = store_key(path)
    assert key is not None and len(key) == 32
    for file in tmp_path.rglob("*"):
        data = file.read_bytes()
        assert stored.encode() not in data and key.hex().encode() not in data
    memory_keyring.secrets.clear()
    with pytest.raises(InsecureKeyringError, match="no key for the store"):
        open_local_store(path)


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_no_secure_keyring_refuses_real_data_but_allows_demo(tmp_path: Path, backend: type) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(InsecureKeyringError, match="will not keep real records"):
        open_local_store(tmp_path / "real.sqlite3")
    assert not (tmp_path / "real.sqlite3").exists()
    demo = open_local_store(tmp_path / "demo.sqlite3", demo=True)
    demo.close()
    assert is_plain_sqlite(tmp_path / "demo.sqlite3")


def test_plaintext_file_keyring_counts_as_insecure(tmp_path: Path) -> None:
    """keyrings.alt is not installed here (it must stay out of the dependencies); a backend
    from its module, however it behaves, is refused by where it comes from."""
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    keyring.set_keyring(plaintext())
    with pytest.raises(InsecureKeyringError, match="keyrings.alt.file.PlaintextKeyring"):
        store_key(tmp_path / "x.sqlite3")


def test_plain_store_is_refused_for_real_data(tmp_path: Path) -> None:
    ChainedEventStore.open(tmp_path / "plain.sqlite3").close()
    with pytest.raises(StoreError, match="not encrypted"):
        open_local_store(tmp_path / "plain.sqlite3")
    with pytest.raises(StoreError, match="not a demo store"):  # issue 13: was opened
        open_local_store(tmp_path / "plain.sqlite3", demo=True)


def test_a_plain_store_can_be_encrypted_in_place(tmp_path: Path, now) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.services.local_store import encrypt_existing

    path = tmp_path / "plain.sqlite3"
    plain = ChainedEventStore.open(path)
    plain.append([event("contact.received", contact_payload(), now)])
    plain.close()
    assert encrypt_existing(path) == 1
    assert not is_plain_sqlite(path)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()
    store = open_local_store(path)
    assert store.event_count() == 1 and store.verify_chain().ok
    assert current_revision(store.engine) == head_revision()
    store.close()
