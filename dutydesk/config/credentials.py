"""The server password: in the operating system's keyring, or in memory only.

``keyring`` picks a backend for the platform. When that backend is not a secure store (the
"fail" or "null" backends of a machine with no desktop keyring, or a file-based backend
from ``keyrings.alt``, which writes the secret to disk), DutyDesk says so in plain words and
keeps the password in this process's memory only. It never writes a secret to a file.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

SERVICE = "dutydesk"

# Backends that store nothing, refuse everything, or keep secrets in a plain file.
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


def _account(user: str, server: str) -> str:
    return f"{user}@{server}"


def insecure_reason(backend: KeyringBackend | None = None) -> str | None:
    """Why the keyring cannot hold the password safely, in plain words; None if it can."""
    backend = backend or keyring.get_keyring()
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return "no secure password store (keyring) was found on this computer"
    module = type(backend).__module__
    if any(module == m or module.startswith(m + ".") for m in _INSECURE_MODULES):
        if module.startswith("keyrings.alt"):
            return (
                f"the password store on this computer ({type(backend).__name__}) keeps "
                "passwords in a file, which is not secure"
            )
        return "no secure password store (keyring) was found on this computer"
    return None


@dataclass
class Credentials:
    """Where the sign-in password lives for this session."""

    _memory: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def secure(self) -> bool:
        return insecure_reason() is None

    def message(self) -> str | None:
        """What to tell the person when "remember password" cannot work."""
        why = insecure_reason()
        if why is None:
            return None
        return (
            f"{why.capitalize()}. DutyDesk will keep your password in memory until it "
            "closes and will ask for it again next time. It is never written to a file."
        )

    def get(self, user: str, server: str) -> str | None:
        account = _account(user, server)
        if account in self._memory:
            return self._memory[account]
        if not self.secure:
            return None
        try:
            return keyring.get_password(SERVICE, account)
        except KeyringError:
            return None

    def put(self, user: str, server: str, password: str, *, remember: bool) -> bool:
        """Keep ``password`` for this session; with ``remember``, also in the keyring.
        Returns True only when the keyring holds it."""
        account = _account(user, server)
        self._memory[account] = password
        if not remember or not self.secure:
            return False
        try:
            keyring.set_password(SERVICE, account, password)
        except KeyringError:
            return False
        return True

    def forget(self, user: str, server: str) -> None:
        account = _account(user, server)
        self._memory.pop(account, None)
        if self.secure:
            with contextlib.suppress(KeyringError):  # nothing stored: already forgotten
                keyring.delete_password(SERVICE, account)
