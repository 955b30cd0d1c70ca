"""Encryption of the desk's connection to the shared server: TLS is required.

A desk sends and receives children's records, so its connection to PostgreSQL must be
encrypted whatever the network. The libpq ``sslmode`` the desk uses comes from the
settings and these rules:

- ``require`` (the default): TLS, refused if the server offers none;
- with a CA file configured (``server_sslrootcert``), ``require`` becomes ``verify-full``:
  the server's certificate must be signed by that CA and name the host connected to;
- ``verify-ca`` and ``verify-full`` as configured;
- the modes that may send data unencrypted (``disable``, ``allow``, ``prefer``) are refused,
  except for a server on this computer (loopback address or Unix socket), where the
  traffic never reaches a network.
"""

from __future__ import annotations

from pathlib import Path

SECURE_MODES = ("require", "verify-ca", "verify-full")
WEAK_MODES = ("disable", "allow", "prefer")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_MODE = "require"


class TlsSettingError(ValueError):
    """The connection settings would not encrypt the traffic (the message says which)."""


def on_this_computer(host: str) -> bool:
    """A loopback address or a Unix-socket folder: traffic that never leaves the machine."""
    return host in LOOPBACK_HOSTS or host.startswith("/") or host == ""


def desk_sslmode(host: str, sslmode: str, sslrootcert: str = "") -> str:
    """The libpq sslmode for a desk's connection to ``host`` (see the module doc)."""
    mode = (sslmode or DEFAULT_MODE).strip()
    if mode not in SECURE_MODES + WEAK_MODES:
        raise TlsSettingError(
            f"server_sslmode {mode!r} is not a PostgreSQL sslmode; use require, verify-ca "
            f"or verify-full"
        )
    if mode in WEAK_MODES:
        if not on_this_computer(host):
            raise TlsSettingError(
                f"server_sslmode {mode!r} would let the connection to {host} run "
                f"unencrypted; DutyDesk requires TLS to a server on the network (require, "
                f"or verify-full with server_sslrootcert)"
            )
        return mode
    if sslrootcert:
        if not Path(sslrootcert).is_file():
            raise TlsSettingError(
                f"server_sslrootcert {sslrootcert} is not a file: name the CA certificate "
                f"that signed the server's certificate (PEM)"
            )
        if mode == "require":
            return "verify-full"
    return mode


def explain_connection_failure(message: str) -> str | None:
    """Plain words for a TLS failure reported by libpq, or None for other failures."""
    if "server does not support SSL" in message:
        return (
            "the server does not offer encrypted (TLS) connections, and DutyDesk will "
            "not send records unencrypted; the server's administrator must turn on "
            "ssl in postgresql.conf (see docs/deploy.md, 'TLS')"
        )
    if "certificate verify failed" in message:
        return (
            "the server's certificate is not signed by the CA in server_sslrootcert "
            "(or has expired): check the CA file the administrator configured"
        )
    if "does not match host name" in message or "server certificate for" in message:
        return (
            "the server's certificate does not name the address in server_host: use "
            "the name on the certificate, or ask the administrator for a matching one"
        )
    if "root certificate file" in message and "does not exist" in message:
        return (
            "verify-ca and verify-full need the CA certificate: set server_sslrootcert "
            "to the CA file the administrator gave you"
        )
    return None
