"""Shared mode: ``dutydesk server init`` makes the DutyDesk signing authority on the
administrator's machine and ``server add-user`` issues the person's key as a PKCS#12
protected by their new password, which they import on their own desk."""

from __future__ import annotations

import io
import os
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dutydesk.cli import main
from dutydesk.config.signing_keys import AUTHORITY, KeyFolder, signing_dir


@pytest.fixture
def fresh_dsn(pg_admin_dsn: str) -> str:
    """An empty database of its own (server init refuses an initialised one)."""
    name = f"dutydesk_i16_{os.getpid()}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )
    params = conninfo_to_dict(pg_admin_dsn)
    params["dbname"] = name
    yield make_conninfo(**params)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_server_init_makes_an_authority_and_add_user_a_key_to_carry(
    fresh_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin_keys = tmp_path / "admin-signing"
    login = f"t{os.getpid() % 10000}.signer"
    add_user = [
        "server",
        "add-user",
        "--dsn",
        fresh_dsn,
        "--login",
        login,
        "--role",
        "duty_manager",
        "--name",
        "Dan Manager",
        "--signing-dir",
        str(admin_keys),
        "--key-out",
        str(tmp_path / "out"),
    ]
    assert (
        main(
            [
                "server",
                "init",
                "--dsn",
                fresh_dsn,
                "--organisation",
                "Testshire County Council",
                "--signing-dir",
                str(admin_keys),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "server initialised" in out
    assert "signing authority created: Testshire County Council DutyDesk" in out
    keys = KeyFolder(admin_keys)
    assert keys.has(AUTHORITY) and keys.authority_pem.is_file()
    monkeypatch.setenv("DUTYDESK_NEW_USER_PASSWORD", "dan's long new password")
    assert main(add_user) == 0
    out = capsys.readouterr().out
    bundle = tmp_path / "out" / f"{login}.p12"
    assert "signing certificate issued: Dan Manager" in out and str(bundle) in out
    assert "dan's long new password" not in out  # never printed
    assert (bundle.stat().st_mode & 0o777) == 0o600
    assert not keys.has(login)  # the administrator's machine does not keep it
    desk = tmp_path / "desk"
    monkeypatch.setattr("sys.stdin", io.StringIO("dan's long new password\n"))
    assert (
        main(["signing", "import", str(bundle), "--data-dir", str(desk), "--password-stdin"]) == 0
    )
    person = KeyFolder(signing_dir(desk)).load(login)
    assert person is not None and person.name == "Dan Manager" and person.login == login
    assert person.chain[-1] == keys.load(AUTHORITY).certificate  # type: ignore[union-attr]


def test_add_user_without_an_authority_creates_the_login_and_says_why_no_key(
    pg_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    login = f"t{os.getpid() % 10000}.nokey"
    monkeypatch.setenv("DUTYDESK_NEW_USER_PASSWORD", "another long password")
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
                "practitioner",
                "--signing-dir",
                str(tmp_path / "none"),
                "--key-out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "the login exists, but no signing key was issued" in err
    assert "no signing authority" in err
    assert not (tmp_path / "out").exists()
