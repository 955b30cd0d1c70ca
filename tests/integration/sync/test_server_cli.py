"""`dutydesk server init` and `add-user` from the command line, against a database of
their own on the test server: schema, signing authority and a person's signing key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dutydesk.cli import main


@pytest.fixture
def empty_database(pg_admin_dsn: str) -> Iterator[str]:
    name = f"dutydesk_cli_{os.getpid()}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(pg_admin_dsn)
    yield make_conninfo(pg_admin_dsn, dbname=name, host=str(params["host"]))
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def test_server_init_and_add_user_from_the_command_line(
        empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    signing = tmp_path / "signing"
    assert main(["server", "init", "--dsn", empty_database, "--signing-dir", str(signing),
                 "--organisation", "Test Council"]) == 0
    out = capsys.readouterr().out
    assert "server initialised" in out and "signing authority created" in out

    monkeypatch.setenv("DUTYDESK_NEW_USER_PASSWORD", "a long test password")
    login = f"t{os.getpid() % 10000}.cli"
    assert main(["server", "add-user", "--dsn", empty_database, "--login", login,
                 "--role", "duty_manager", "--name", "Test Manager",
                 "--signing-dir", str(signing), "--key-out", str(tmp_path / "keys")]) == 0
    out = capsys.readouterr().out
    assert f"{login} " in out and "signing certificate issued" in out
    assert (tmp_path / "keys" / f"{login}.p12").stat().st_size > 0
