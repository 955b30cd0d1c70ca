"""TLS is required for a desk's connection to the shared server (dutydesk.config.tls)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.config.settings import Settings
from dutydesk.config.tls import TlsSettingError, desk_sslmode, explain_connection_failure


def test_the_default_requires_tls() -> None:
    assert Settings().server_sslmode == "require"
    assert desk_sslmode("db.council.example", Settings().server_sslmode) == "require"
    assert desk_sslmode("db.council.example", "") == "require"


def test_a_ca_file_makes_require_verify_the_server_and_its_name(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert desk_sslmode("db.council.example", "require", str(ca)) == "verify-full"
    assert desk_sslmode("db.council.example", "verify-ca", str(ca)) == "verify-ca"
    with pytest.raises(TlsSettingError, match="server_sslrootcert .*missing.crt is not a file"):
        desk_sslmode("db.council.example", "require", str(tmp_path / "missing.crt"))


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_modes_that_may_send_records_unencrypted_are_refused_on_the_network(mode: str) -> None:
    with pytest.raises(
        TlsSettingError,
        match=f"'{mode}' would let the connection to db.council.example run unencrypted",
    ):
        desk_sslmode("db.council.example", mode)
    # ...but not for a server on this computer, whose traffic never reaches a network.
    for host in ("localhost", "127.0.0.1", "::1", "/var/run/postgresql"):
        assert desk_sslmode(host, mode) == mode


def test_an_unknown_mode_is_named() -> None:
    with pytest.raises(TlsSettingError, match="'required' is not a PostgreSQL sslmode"):
        desk_sslmode("db.council.example", "required")


def test_libpq_tls_failures_are_explained_and_others_are_not() -> None:
    no_tls = (
        'connection to server at "10.0.0.5", port 5432 failed: server does not '
        "support SSL, but SSL was required"
    )
    assert "does not offer encrypted (TLS) connections" in str(explain_connection_failure(no_tls))
    assert "not signed by the CA" in str(
        explain_connection_failure("SSL error: certificate verify failed")
    )
    assert "does not name the address" in str(
        explain_connection_failure(
            'server certificate for "db" does not match host name "10.0.0.5"'
        )
    )
    assert explain_connection_failure("password authentication failed for user") is None
