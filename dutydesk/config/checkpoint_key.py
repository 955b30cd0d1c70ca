"""The checkpoint signing key and the administrator's checkpoint journal.

The Ed25519 private key that signs the server's checkpoints lives in the administrator's
OS keyring (service ``dutydesk-checkpoint``) and nowhere else: never in the database,
never in a file. A folder (``<data dir>/checkpoints`` by default) holds what is public:

- ``checkpoint-key.pem``: the public key, the trust anchor ``dutydesk audit verify
  --server --checkpoint-key FILE`` checks signatures with (give it to auditors);
- ``journal.jsonl``: every checkpoint this administrator signed, one JSON object a line,
  with the hash of every sequence since the checkpoint before, so a rewrite is placed
  exactly and checkpoints deleted from the server are noticed.

Without a secure keyring nothing is made: ``InsecureKeyringError`` says why.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

import keyring
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from keyring.errors import KeyringError

from ..domain.checkpoints import Checkpoint, CheckpointError, load_public_pem, public_pem
from .keys import InsecureKeyringError, insecure_reason

SERVICE = "dutydesk-checkpoint"
ACCOUNT = "checkpoint-signing-key"
# A new key during a key change (``server checkpoint --rotate``): kept here until the
# server has recorded the change, then moved to ACCOUNT (the old key is then deleted).
PENDING = "checkpoint-signing-key-next"
FOLDER = "checkpoints"
PUBLIC = "checkpoint-key.pem"
JOURNAL = "journal.jsonl"


def checkpoint_dir(data_dir: Path) -> Path:
    return data_dir / FOLDER


def _secure() -> None:
    reason = insecure_reason()
    if reason is not None:
        raise InsecureKeyringError(
            f"the checkpoint signing key must be kept in the OS keyring: {reason}. Run "
            "this on the administrator's own computer, signed in to a desktop session with "
            "a keyring (Secret Service, macOS Keychain, Windows Credential Manager)"
        )


def _read(account: str) -> Ed25519PrivateKey | None:
    try:
        stored = keyring.get_password(SERVICE, account)
    except KeyringError as err:
        raise InsecureKeyringError(f"the keyring could not be read: {err}") from err
    if stored is None:
        return None
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored, validate=True))
    except (binascii.Error, ValueError) as err:
        raise CheckpointError(
            "the keyring's checkpoint key is damaged; it was not "
            "replaced (that would orphan every checkpoint)"
        ) from err


def _write(account: str, key: Ed25519PrivateKey) -> None:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    try:
        keyring.set_password(SERVICE, account, base64.b64encode(raw).decode("ascii"))
    except KeyringError as err:
        raise InsecureKeyringError(f"the keyring could not store the key: {err}") from err


def load_private(*, create: bool) -> tuple[Ed25519PrivateKey | None, bool]:
    """(the private key or None, whether it was made now)."""
    _secure()
    stored = _read(ACCOUNT)
    if stored is not None:
        return stored, False
    if not create:
        return None, False
    key = Ed25519PrivateKey.generate()
    _write(ACCOUNT, key)
    return key, True


def load_pending() -> Ed25519PrivateKey | None:
    """The new key of a key change not yet finished, if any."""
    _secure()
    return _read(PENDING)


def store_pending(key: Ed25519PrivateKey) -> None:
    _secure()
    _write(PENDING, key)


def finish_pending(*, adopted: bool) -> None:
    """After a key change: the new key replaces the old one (``adopted``, the server
    recorded the change; the old private key is deleted, retired), or is thrown away."""
    key = load_pending()
    if key is None:
        return
    if adopted:
        _write(ACCOUNT, key)
    try:
        keyring.delete_password(SERVICE, PENDING)
    except KeyringError as err:
        raise InsecureKeyringError(f"the keyring could not be updated: {err}") from err


def publish_public(folder: Path, public: Ed25519PublicKey) -> Path:
    """Write (or rewrite) the public key file; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PUBLIC
    pem = public_pem(public)
    if not path.is_file() or path.read_bytes() != pem:  # nothing written when unchanged
        path.write_bytes(pem)
    return path


def keep_retired(folder: Path, public: Ed25519PublicKey, kid: str) -> Path:
    """A copy of a retired key's public half, ``checkpoint-key-KID.pem``, for the record."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint-key-{kid}.pem"
    path.write_bytes(public_pem(public))
    return path


def trusted_public(pem_file: Path | None, folder: Path) -> Ed25519PublicKey | None:
    """The public key to trust: the file given, else this folder's published key, else the
    one derived from this machine's keyring (the administrator's own machine)."""
    if pem_file is not None:
        if not pem_file.is_file():
            raise CheckpointError(f"{pem_file}: no such checkpoint key file")
        return load_public_pem(pem_file.read_bytes())
    if (folder / PUBLIC).is_file():
        return load_public_pem((folder / PUBLIC).read_bytes())
    if insecure_reason() is None:
        try:
            key, _ = load_private(create=False)
        except InsecureKeyringError:
            return None
        return key.public_key() if key is not None else None
    return None


def read_journal(folder: Path) -> list[Checkpoint]:
    path = folder / JOURNAL
    if not path.is_file():
        return []
    found = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint.from_entry(json.loads(line)))
        except (json.JSONDecodeError, CheckpointError) as err:
            raise CheckpointError(f"{path} line {n}: {err}") from err
    return found


def append_journal(folder: Path, checkpoint: Checkpoint) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / JOURNAL
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(checkpoint.journal_entry(), separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return path


def desk_key(setting: str) -> Ed25519PublicKey | None:
    """The checkpoint key a desk's settings name (``server_checkpoint_key``, a PEM file), or
    None when the setting is empty. Raises ``CheckpointError`` naming the file."""
    if not setting.strip():
        return None
    path = Path(setting).expanduser()
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CheckpointError(
            f"server_checkpoint_key {path}: cannot be read ({err.strerror})"
        ) from err
    try:
        return load_public_pem(data)
    except CheckpointError as err:
        raise CheckpointError(f"server_checkpoint_key {path}: {err}") from err
