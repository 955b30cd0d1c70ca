"""Issue 13, item 3: every command that reads or writes records signs in and records the
real person; demo mode never opens a store that is not a demo store; real data never
lands in a plain store.

Before: ``--demo`` opened an existing real store with a demo user and no password;
``print`` took any name with ``--by`` (default: the operating-system user as auditor);
``export`` recorded nothing; a command-line import into a leftover plain store wrote real
records unencrypted.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.paths import STORE_FILE
from dutydesk.services.local_store import is_plain_sqlite, open_local_store
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.database import StoreError
from tests.document_fixtures import keys_in
from tests.factories import TEST_PASSWORD, add_account, cli_store, contact_payload, event

ROOT = Path(__file__).resolve().parents[2]
POLICE = str(ROOT / "docs/examples/police-notification.json")


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str, password: str = TEST_PASSWORD) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main([*args, "--password-stdin"])


@pytest.fixture
def real(tmp_path: Path, clock: FixedClock) -> Path:
    """An encrypted store of real records with a practitioner and an auditor."""
    store = cli_store(tmp_path / "real")
    add_account(store, clock, "sw.khan", Role.PRACTITIONER, "Sam Khan")
    add_account(store, clock, "au.jones", Role.AUDITOR, "Ann Jones")
    store.append([event("contact.received", contact_payload(), clock.now())])
    store.close()
    return tmp_path / "real"


def test_demo_mode_never_opens_a_real_store(real: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StoreError, match="not a demo store"):
        open_local_store(real / STORE_FILE, demo=True)
    with pytest.raises(SystemExit):
        main(["info", "--data-dir", str(real), "--demo"])
    assert "not a demo store" in capsys.readouterr().err


def test_a_demo_store_opens_only_in_demo_mode(tmp_path: Path, clock: FixedClock) -> None:
    cli_store(tmp_path / "demo", demo=True).close()
    with pytest.raises(StoreError, match="holds demo data"):
        open_local_store(tmp_path / "demo" / STORE_FILE)
    open_local_store(tmp_path / "demo" / STORE_FILE, demo=True).close()


def test_commands_sign_in_and_refuse_a_wrong_password(
    real: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(real)]
    for command in (
        ["info"],
        ["mi"],
        ["triage", "evaluate"],
        ["import", POLICE],
        ["print", "duty-log", "--team", "x", "--from", "2026-11-26", "-o", str(real / "x.pdf")],
    ):
        with pytest.raises(SystemExit) as exit_:
            main([*command, *d])  # nobody signed in
        assert exit_.value.code == 2
        assert "sign in with --as" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            _cli(monkeypatch, *command, *d, "--as", "sw.khan", password="wrong password")
        assert "wrong login or password" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["print", "case-log", "--contact", "x", "-o", "x.pdf", *d, "--by", "anyone"])


def test_import_is_the_signed_in_persons_and_rated(
    real: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(monkeypatch, "import", POLICE, "--data-dir", str(real), "--as", "sw.khan") == 0
    store = cli_store(real)
    imported = [
        e
        for e in store.events()
        if e.type in ("contact.received", "contact.rated") and e.actor != "dm.manager"
    ]
    store.close()
    assert {e.type for e in imported} == {"contact.received", "contact.rated"}
    assert {(e.actor, e.actor_role) for e in imported} == {("sw.khan", "practitioner")}


def test_an_import_into_a_leftover_plain_store_writes_nothing(
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "old").mkdir()
    ChainedEventStore.open(tmp_path / "old" / STORE_FILE).close()
    with pytest.raises(SystemExit):
        _cli(monkeypatch, "import", POLICE, "--data-dir", str(tmp_path / "old"), "--as", "x")
    assert "not encrypted" in capsys.readouterr().err
    plain = ChainedEventStore.open(tmp_path / "old" / STORE_FILE)
    assert plain.event_count() == 0 and is_plain_sqlite(tmp_path / "old" / STORE_FILE)
    plain.close()


def test_export_and_mi_need_a_role_that_may_and_the_export_is_recorded(
    real: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(real)]
    out = real / "l1.csv"
    assert (
        _cli(monkeypatch, "export", "annex-a", "--list", "1", "-o", str(out), *d, "--as", "sw.khan")
        == 1
    )
    assert "may not export" in capsys.readouterr().err and not out.exists()
    assert _cli(monkeypatch, "mi", *d, "--as", "sw.khan") == 2
    export = ["export", "annex-a", "--list", "1", "-o", str(out), *d, "--as", "au.jones"]
    # an export is signed by the person's key: without one on this desk, nothing is written
    assert _cli(monkeypatch, *export) == 2
    assert "no signing key for au.jones" in capsys.readouterr().err and not out.exists()
    keys_in(real, "au.jones")
    assert _cli(monkeypatch, *export) == 0
    assert (real / "l1.csv.p7s").is_file()
    store = cli_store(real)
    [exported] = [e for e in store.events() if e.type == "document.exported"]
    store.close()
    assert (exported.actor, exported.actor_role) == ("au.jones", "auditor")
    assert exported.payload["document"].startswith("Ofsted Annex A List 1")
