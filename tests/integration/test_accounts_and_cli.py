"""Standalone accounts (argon2), first-run set-up, sign-in, and the admin/audit commands."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from dutydesk.app import STORE_FILE
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import DomainError, PermissionDenied, ValidationError
from dutydesk.services.accounts import AccountService, SignInError, demo_sign_in
from dutydesk.services.local_store import is_plain_sqlite, open_local_store
from dutydesk.store.chain import ChainedEventStore

PASSWORD = "correct horse battery staple"


def test_first_admin_then_users_and_sign_in(store, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    accounts = AccountService(store, clock)
    assert accounts.needs_first_admin()
    accounts.init_admin("ad.min", "Ada Admin", PASSWORD)
    with pytest.raises(DomainError, match="already exists"):
        accounts.init_admin("ad.other", "Other", PASSWORD)
    admin = accounts.sign_in("ad.min", PASSWORD)
    assert admin.role is Role.ADMIN
    accounts.create_user(admin, "dm.one", "Dan One", Role.DUTY_MANAGER, "a long pass phrase here")
    with pytest.raises(PermissionDenied):
        accounts.create_user(
            accounts.sign_in("dm.one", "a long pass phrase here"), "x.y", "X", Role.ADMIN, PASSWORD
        )
    with pytest.raises(SignInError):
        accounts.sign_in("dm.one", "wrong password!!")
    with pytest.raises(SignInError):
        accounts.sign_in("nobody", PASSWORD)
    with sqlite3.connect(store.engine.url.database) as db:
        stored = db.execute("SELECT password_hash FROM accounts WHERE login='ad.min'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "at least 12"),
        ("ad.min-is-my-password", "login"),
        ("aaaaaaaaaaaaaaaa", "repetitive"),
    ],
)
def test_password_rules(store, clock: FixedClock, password: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        AccountService(store, clock).init_admin("ad.min", "Ada", password)


def test_account_locks_after_many_wrong_passwords(store, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    accounts = AccountService(store, clock)
    accounts.init_admin("ad.min", "Ada Admin", PASSWORD)
    for _ in range(10):
        assert not accounts.verify_password("ad.min", "not the password")
    with pytest.raises(SignInError, match="locked"):
        accounts.sign_in("ad.min", PASSWORD)


def test_reset_password_unlocks_a_locked_account(store, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    accounts = AccountService(store, clock)
    accounts.init_admin("ad.min", "Ada Admin", PASSWORD)
    admin = accounts.sign_in("ad.min", PASSWORD)
    accounts.create_user(admin, "dm.one", "Dan One", Role.DUTY_MANAGER, "a long pass phrase here")
    for _ in range(10):
        assert not accounts.verify_password("dm.one", "not the password")
    with pytest.raises(SignInError, match="locked"):
        accounts.sign_in("dm.one", "a long pass phrase here")
    accounts.reset_password(admin, "dm.one", "a new long pass phrase")
    assert accounts.sign_in("dm.one", "a new long pass phrase").login == "dm.one"


def test_demo_sign_in_only_in_demo_mode() -> None:
    assert demo_sign_in("dm.manager", demo=True).role is Role.DUTY_MANAGER
    with pytest.raises(SignInError):
        demo_sign_in("dm.manager", demo=False)
    with pytest.raises(SignInError, match="demo users are"):
        demo_sign_in("nobody", demo=True)


def _cli(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(args)


def test_admin_and_audit_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path), "--password-stdin"]
    assert (
        _cli(
            ["admin", "init", *d, "--login", "ad.min", "--name", "Ada Admin"],
            PASSWORD + "\n",
            monkeypatch,
        )
        == 0
    )
    assert not is_plain_sqlite(tmp_path / STORE_FILE)  # a new store is encrypted
    assert (
        _cli(
            [
                "admin",
                "create-user",
                *d,
                "--as",
                "ad.min",
                "--login",
                "au.ditor",
                "--name",
                "Ali Auditor",
                "--role",
                "auditor",
            ],
            f"{PASSWORD}\nauditor pass phrase 1\n",
            monkeypatch,
        )
        == 0
    )
    assert (
        _cli(
            [
                "admin",
                "create-user",
                *d,
                "--as",
                "ad.min",
                "--login",
                "x.y",
                "--name",
                "X",
                "--role",
                "auditor",
            ],
            "wrong password here\nwhatever\n",
            monkeypatch,
        )
        != 0
    )
    capsys.readouterr()
    assert _cli(["admin", "list-users", *d, "--as", "ad.min"], PASSWORD + "\n", monkeypatch) == 0
    assert "au.ditor\tAuditor\tAli Auditor\tactive" in capsys.readouterr().out
    out = tmp_path / "audit.csv"
    assert (
        _cli(
            ["audit", "export", *d, "--as", "au.ditor", str(out)],
            "auditor pass phrase 1\n",
            monkeypatch,
        )
        == 0
    )
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0][0] == "seq"
    store = open_local_store(tmp_path / STORE_FILE)
    [exported] = [e for e in store.events() if e.type == "document.exported"]
    assert exported.actor == "au.ditor" and exported.payload["destination"] == str(out)
    store.close()
    assert (
        _cli(
            ["audit", "list", *d, "--as", "au.ditor", "--type", "document.exported"],
            "auditor pass phrase 1\n",
            monkeypatch,
        )
        == 0
    )
    assert exported.id in capsys.readouterr().out
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0


def test_disable_and_enable_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path), "--password-stdin"]
    user_pw = "duty manager pass 1"
    assert (
        _cli(
            ["admin", "init", *d, "--login", "ad.min", "--name", "Ada Admin"],
            PASSWORD + "\n",
            monkeypatch,
        )
        == 0
    )
    assert (
        _cli(
            [
                "admin",
                "create-user",
                *d,
                "--as",
                "ad.min",
                "--login",
                "dm.jones",
                "--name",
                "Dee Jones",
                "--role",
                "duty_manager",
            ],
            f"{PASSWORD}\n{user_pw}\n",
            monkeypatch,
        )
        == 0
    )
    assert _cli(["info", *d, "--as", "dm.jones"], user_pw + "\n", monkeypatch) == 0
    # Only an administrator disables accounts; nobody disables the last administrator.
    assert (
        _cli(
            ["admin", "disable-user", *d, "--as", "dm.jones", "--login", "dm.jones"],
            user_pw + "\n",
            monkeypatch,
        )
        != 0
    )
    assert (
        _cli(
            ["admin", "disable-user", *d, "--as", "ad.min", "--login", "ad.min"],
            PASSWORD + "\n",
            monkeypatch,
        )
        != 0
    )
    assert "last active administrator" in capsys.readouterr().err
    assert (
        _cli(
            ["admin", "disable-user", *d, "--as", "ad.min", "--login", "nobody"],
            PASSWORD + "\n",
            monkeypatch,
        )
        != 0
    )
    assert (
        _cli(
            ["admin", "disable-user", *d, "--as", "ad.min", "--login", "dm.jones"],
            PASSWORD + "\n",
            monkeypatch,
        )
        == 0
    )
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:
        _cli(["info", *d, "--as", "dm.jones"], user_pw + "\n", monkeypatch)
    assert refused.value.code == 2 and "disabled" in capsys.readouterr().err
    assert _cli(["admin", "list-users", *d, "--as", "ad.min"], PASSWORD + "\n", monkeypatch) == 0
    assert "dm.jones\tDuty manager\tDee Jones\tdisabled" in capsys.readouterr().out
    assert (
        _cli(
            ["admin", "enable-user", *d, "--as", "ad.min", "--login", "dm.jones"],
            PASSWORD + "\n",
            monkeypatch,
        )
        == 0
    )
    assert _cli(["info", *d, "--as", "dm.jones"], user_pw + "\n", monkeypatch) == 0


def test_audit_filters_by_date(tmp_path: Path, clock: FixedClock) -> None:
    from dutydesk.domain.events import Actor
    from dutydesk.services.audit import AuditFilter, AuditService
    from dutydesk.services.guard import GuardedStore

    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    dm = Actor("dm", Role.DUTY_MANAGER, "d")
    audit = AuditService(GuardedStore(store, dm, clock))
    first = audit.record_print("queue")
    clock.advance(days=2)
    second = audit.record_print("queue")
    today = clock.now().date()
    assert [e.event_id for e in audit.query(AuditFilter(since=today))] == [second.id]
    assert [
        e.event_id for e in audit.query(AuditFilter(until=today.replace(day=today.day - 1)))
    ] == [first.id]
    assert [e.event_id for e in audit.query()] == [second.id, first.id]
    store.close()


def test_encrypt_store_command(tmp_path: Path, clock: FixedClock) -> None:
    from tests.factories import contact_payload, event

    plain = ChainedEventStore.open(tmp_path / STORE_FILE)
    plain.append([event("contact.received", contact_payload(), clock.now())])
    plain.close()
    assert main(["admin", "encrypt-store", "--data-dir", str(tmp_path)]) == 0
    assert not is_plain_sqlite(tmp_path / STORE_FILE)
    assert main(["admin", "encrypt-store", "--data-dir", str(tmp_path)]) == 1
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0
