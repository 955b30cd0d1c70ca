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
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_server_init_and_add_user_from_the_command_line(
    empty_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing = tmp_path / "signing"
    assert (
        main(
            [
                "server",
                "init",
                "--dsn",
                empty_database,
                "--signing-dir",
                str(signing),
                "--organisation",
                "Test Council",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "server initialised" in out and "signing authority created" in out

    monkeypatch.setenv("DUTYDESK_NEW_USER_PASSWORD", "a long test password")
    login = f"t{os.getpid() % 10000}.cli"
    assert (
        main(
            [
                "server",
                "add-user",
                "--dsn",
                empty_database,
                "--login",
                login,
                "--role",
                "duty_manager",
                "--name",
                "Test Manager",
                "--signing-dir",
                str(signing),
                "--key-out",
                str(tmp_path / "keys"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"{login} " in out and "signing certificate issued" in out
    assert (tmp_path / "keys" / f"{login}.p12").stat().st_size > 0


def test_remove_user_takes_a_role_away_then_stops_the_login(
    pg_server: str, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    login = f"t{os.getpid() % 10000}.leaver"
    for role in ("duty_manager", "auditor"):
        assert (
            main(
                [
                    "server",
                    "add-user",
                    "--dsn",
                    pg_server,
                    "--login",
                    login,
                    "--role",
                    role,
                    "--no-password",
                ]
            )
            == 0
        )
    as_them = make_conninfo(pg_dsn, user=login)
    capsys.readouterr()

    def groups() -> set[str]:
        with psycopg.connect(pg_server) as conn:
            return {
                g
                for (g,) in conn.execute(
                    "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
                    "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s",
                    (login,),
                )
            }

    assert (
        main(["server", "remove-user", "--dsn", pg_server, "--login", login, "--role", "auditor"])
        == 0
    )
    assert "still in: duty_manager" in capsys.readouterr().out
    assert groups() == {"duty_manager"}
    assert (
        main(["server", "remove-user", "--dsn", pg_server, "--login", login, "--role", "auditor"])
        == 2
    )  # not in it any more
    # Someone leaves while their desk is connected: the session ends, no new one starts.
    open_desk = psycopg.connect(as_them, autocommit=True)
    assert main(["server", "remove-user", "--dsn", pg_server, "--login", login]) == 0
    assert "can no longer sign in (1 open session(s) ended)" in capsys.readouterr().out
    with pytest.raises(psycopg.OperationalError):
        open_desk.execute("SELECT 1")
    open_desk.close()
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(as_them)
    assert groups() == {"duty_manager"}  # the login keeps naming its events
    # Nothing else is touched: unknown logins, the superuser and group roles are refused.
    for other in ("nobody.here", "postgres", "duty_manager"):
        assert main(["server", "remove-user", "--dsn", pg_server, "--login", other]) == 2
