"""Settings on a desk: the demo keeps its window layout apart from real use, machine-wide
settings reach the window and cannot be changed in the sign-in dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dutydesk.config.credentials import Credentials
from dutydesk.config.settings import Settings
from dutydesk.ui.login_dialog import LoginDialog
from tests.ui.test_app import run_main


def test_the_demo_keeps_its_window_layout_apart_from_real_use(tmp_path: Path) -> None:
    done = run_main(
        tmp_path,
        "--demo",
        "--demo-events",
        "300",
        "--data-dir",
        str(tmp_path / "d"),
        "--screenshot",
        str(tmp_path / "w.png"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    folder = tmp_path / "xdg-config" / "DutyDesk"
    demo = (folder / "DutyDesk-demo.conf").read_text(encoding="utf-8")
    assert "geometry" in demo and "splitter" in demo
    # The real desk's layout file is untouched by the demo.
    assert not (folder / "DutyDesk.conf").exists()


def test_a_policy_fixed_by_the_administrator_is_the_one_the_window_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))  # run_main passes it on
    machine = tmp_path / "etc-xdg" / "dutydesk" / "settings.json"
    machine.parent.mkdir(parents=True)
    machine.write_text(
        json.dumps({"policy_file": str(tmp_path / "no-such-policy.toml")}), encoding="utf-8"
    )
    machine.chmod(0o644)
    user = tmp_path / "xdg-config" / "dutydesk" / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"policy_file": ""}), encoding="utf-8")
    done = run_main(
        tmp_path,
        "--demo",
        "--demo-events",
        "200",
        "--data-dir",
        str(tmp_path / "d"),
        "--screenshot",
        str(tmp_path / "w.png"),
    )
    assert done.returncode == 2
    assert "triage policy named in its settings (policy_file)" in done.stderr
    assert "no-such-policy.toml" in done.stderr


def test_settings_fixed_by_the_administrator_are_read_only_at_sign_in(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(server_host="dutydesk-db.council.example", server_user="a.person")
    dialog = LoginDialog(
        settings, Credentials(), locked=frozenset({"server_host", "server_port", "server_sslmode"})
    )
    qtbot.addWidget(dialog)
    assert not dialog.host.isEnabled() and not dialog.port.isEnabled()
    assert not dialog.sslmode.isEnabled()
    assert dialog.user.isEnabled() and dialog.database.isEnabled()
    assert "administrator" in dialog.host.toolTip()
    modes = [dialog.sslmode.itemText(i) for i in range(dialog.sslmode.count())]
    assert modes == ["require", "verify-ca", "verify-full"]  # no mode without TLS
    assert dialog.sslmode.currentText() == "require"
