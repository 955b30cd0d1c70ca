"""The password goes to a secure keyring or stays in memory; never to a file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

from dutydesk.config.credentials import SERVICE, Credentials, insecure_reason
from tests.conftest import MemoryKeyring


def test_remembered_password_is_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    creds = Credentials()
    assert creds.secure and creds.message() is None
    assert creds.put("dm.one", "db.example:5432", "s3cret-pass-word", remember=True)
    assert memory_keyring.secrets == {(SERVICE, "dm.one@db.example:5432"): "s3cret-pass-word"}
    assert Credentials().get("dm.one", "db.example:5432") == "s3cret-pass-word"
    Credentials().forget("dm.one", "db.example:5432")
    assert memory_keyring.secrets == {}


def test_not_remembered_stays_in_memory(memory_keyring: MemoryKeyring) -> None:
    creds = Credentials()
    assert not creds.put("dm.one", "db", "s3cret-pass-word", remember=False)
    assert creds.get("dm.one", "db") == "s3cret-pass-word"
    assert memory_keyring.secrets == {} and Credentials().get("dm.one", "db") is None


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring()])
def test_without_a_secure_keyring_it_says_so_and_keeps_memory_only(
    backend: keyring.backend.KeyringBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    keyring.set_keyring(backend)
    creds = Credentials()
    assert insecure_reason() == "no secure password store (keyring) was found on this computer"
    assert "never written to a file" in (creds.message() or "")
    assert not creds.put("dm.one", "db", "s3cret-pass-word", remember=True)
    assert creds.get("dm.one", "db") == "s3cret-pass-word"
    assert Credentials().get("dm.one", "db") is None
    assert list(tmp_path.iterdir()) == []
