"""TLS against the real test server (tests/pg.sh turns ssl on with a throwaway CA):
required by default, verify-full with the CA, and plain words when the server offers no
TLS or the certificate does not match."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dutydesk.config.tls import TlsSettingError
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport, conninfo, tls_required
from dutydesk.sync.transport import SyncError
from tests.integration.sync.conftest import Login

PASSWORD = "a long test password"  # make_login's


@pytest.fixture(scope="module")
def test_ca() -> Path:
    ca = os.environ.get("DUTYDESK_TEST_PG_CA")
    if not ca:
        pytest.fail("DUTYDESK_TEST_PG_CA is not set: start the server with tests/pg.sh")
    return Path(ca)


def desk_dsn(login: Login, **settings: str) -> str:
    where = conninfo_to_dict(login.dsn)
    return conninfo(
        host=str(where["host"]),
        port=int(str(where["port"])),
        database=str(where["dbname"]),
        user=login.name,
        **settings,
    )


def tls_in_use(dsn: str) -> bool:
    with psycopg.connect(dsn, password=PASSWORD) as conn:
        return bool(conn.pgconn.ssl_in_use)


def test_a_desk_connects_with_tls_by_default(
    pg_server: str, make_login: Callable[[str], Login]
) -> None:
    login = make_login("practitioner")
    dsn = desk_dsn(login)
    assert conninfo_to_dict(dsn)["sslmode"] == "require"
    assert tls_in_use(dsn)


def test_with_the_ca_the_server_certificate_and_name_are_verified(
    pg_server: str, make_login: Callable[[str], Login], test_ca: Path
) -> None:
    login = make_login("practitioner")
    dsn = desk_dsn(login, sslrootcert=str(test_ca))
    assert conninfo_to_dict(dsn)["sslmode"] == "verify-full"
    assert tls_in_use(dsn)
    with PgTransport(dsn, PASSWORD) as transport:
        assert transport.whoami(None).login == login.name


def test_a_certificate_from_another_ca_is_refused_in_plain_words(
    pg_server: str, make_login: Callable[[str], Login], tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=another CA",
            "-keyout",
            str(tmp_path / "k"),
            "-out",
            str(other),
        ],
        check=True,
        capture_output=True,
    )
    dsn = desk_dsn(make_login("practitioner"), sslrootcert=str(other))
    with PgTransport(dsn, PASSWORD) as transport, pytest.raises(SyncError) as err:
        transport.whoami(None)
    assert "certificate is not signed by the CA in server_sslrootcert" in str(err.value)


def test_admin_connections_require_tls_unless_told_otherwise(pg_server: str) -> None:
    assert conninfo_to_dict(tls_required(pg_server))["sslmode"] == "require"
    explicit = tls_required(pg_server + "?sslmode=verify-ca")
    assert conninfo_to_dict(explicit)["sslmode"] == "verify-ca"
    with pytest.raises(TlsSettingError, match="unencrypted"):
        tls_required("postgresql://postgres@db.council.example/dutydesk?sslmode=prefer")
    assert admin.status(pg_server)["initialised"] is True  # over TLS (sslmode=require)


@contextlib.contextmanager
def server_without_tls(pg_admin_dsn: str) -> Iterator[None]:
    """The test server with ssl turned off for the length of one test."""

    def set_ssl(value: str) -> None:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM {value}")
            conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # the postmaster applies the reload asynchronously

    set_ssl("SET ssl = off")
    try:
        yield
    finally:
        set_ssl("RESET ssl")


def test_a_server_without_tls_gets_a_clear_message_not_plain_text(
    pg_server: str, make_login: Callable[[str], Login], pg_admin_dsn: str
) -> None:
    login = make_login("practitioner")
    with server_without_tls(pg_admin_dsn):
        with PgTransport(desk_dsn(login), PASSWORD) as transport, pytest.raises(SyncError) as err:
            transport.whoami(None)
        with pytest.raises(admin.AdminError, match="does not offer encrypted") as refused:
            admin.status(pg_admin_dsn)
    assert "does not offer encrypted (TLS) connections" in str(err.value)
    assert "docs/deploy.md" in str(err.value) and "docs/deploy.md" in str(refused.value)
    assert tls_in_use(desk_dsn(login))  # back on for the other tests
