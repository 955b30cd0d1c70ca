"""The local store's encryption key, kept in the OS keyring and nowhere else.

A random 256-bit key is made the first time a store is opened and saved in the keyring
under service ``dutydesk`` (one entry per store file). It never goes into settings, logs
or command lines. Without a secure keyring backend DutyDesk will not keep real children's
data on this machine: ``store_key`` raises ``InsecureKeyringError`` saying why. Demo data
may use a plain store (``demo=True`` returns ``None``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keyring loads when a key is first asked for (a demo store needs none)
    from keyring.backend import KeyringBackend

SERVICE = "dutydesk"
KEY_BYTES = 32

# Backends that keep nothing (fail, null) or keep secrets in a readable file (keyrings.alt).
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class InsecureKeyringError(Exception):
    """No secure place for the key: the message says what is missing and what to do."""


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    inner = getattr(backend, "backends", None)  # the chainer wraps several
    return list(inner) if isinstance(inner, list | tuple) else [backend]


def insecure_reason(backend: KeyringBackend | None = None) -> str | None:
    """Why the keyring cannot hold the store key, or None when it can."""
    import keyring

    backend = backend or keyring.get_keyring()
    found = _backends(backend)
    if not found:
        return "no keyring backend is available"
    for b in found:
        module = type(b).__module__
        if any(module == m or module.startswith(m + ".") for m in _INSECURE_MODULES):
            return (
                f"the keyring backend {type(b).__module__}.{type(b).__name__} is not a "
                f"secure store (it keeps nothing, or keeps secrets in a plain file)"
            )
    return None


def key_account(store_path: Path | str) -> str:
    """The keyring user name for one store file (a digest of its path, not the path)."""
    resolved = str(Path(store_path).expanduser().resolve())
    return "local-store:" + hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:24]


def store_key(store_path: Path | str, *, demo: bool = False, create: bool = True) -> bytes | None:
    """The key for ``store_path``, made and saved on first use.

    Returns ``None`` only for demo data when no secure keyring exists (a plain store).
    """
    import keyring
    from keyring.errors import KeyringError

    reason = insecure_reason()
    if reason is not None:
        if demo:
            return None
        raise InsecureKeyringError(
            f"DutyDesk will not keep real records on this computer: {reason}. Children's "
            f"records must be encrypted with a key held by the operating system's keyring "
            f"(GNOME Keyring / KWallet via Secret Service, macOS Keychain, Windows Credential "
            f"Manager). Sign in to a desktop session with a keyring, or use --demo for "
            f"synthetic data."
        )
    account = key_account(store_path)
    try:
        stored = keyring.get_password(SERVICE, account)
        if stored is not None:
            return _decode(stored)
        if not create:
            raise InsecureKeyringError(
                "this desk has no key for the store; it was made on another computer or the "
                "keyring entry was removed"
            )
        key = secrets.token_bytes(KEY_BYTES)
        keyring.set_password(SERVICE, account, base64.b64encode(key).decode("ascii"))
        return key
    except KeyringError as err:
        raise InsecureKeyringError(
            f"the keyring refused access to the store key: {type(err).__name__}"
        ) from None


def _decode(stored: str) -> bytes:
    try:
        key = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise InsecureKeyringError("the store key in the keyring is damaged (not 256 bits)")
    return key
