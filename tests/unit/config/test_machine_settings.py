"""Machine-wide settings an administrator fixes (server, policy, watched folder) are on
top of the person's own, who cannot change them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from dutydesk import paths
from dutydesk.config.settings import SettingsError, load_desk, machine_locked


def write(path: Path, values: dict[str, object], mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_machine_file_wins_over_the_persons_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = write(
        tmp_path / "user.json",
        {"server_host": "my-laptop-db", "office": "North", "watch_folder": "/home/me/drop"},
    )
    machine = write(
        tmp_path / "machine.json",
        {
            "version": 1,
            "server_host": "dutydesk-db.council.example",
            "server_port": 6432,
            "policy_file": "/etc/dutydesk/policy.toml",
            "watch_folder": "/srv/partner-drop",
        },
    )
    with caplog.at_level(logging.WARNING):
        settings = load_desk(user, machine)
    assert settings.server_host == "dutydesk-db.council.example"
    assert settings.server_port == 6432
    assert settings.policy_file == "/etc/dutydesk/policy.toml"
    assert settings.watch_folder == "/srv/partner-drop"
    assert settings.office == "North"  # not fixed: the person's own
    assert machine_locked(machine) == {"server_host", "server_port", "policy_file", "watch_folder"}
    # The log names the settings, never their values.
    assert "server_host, watch_folder" in caplog.text
    assert "my-laptop-db" not in caplog.text and "/home/me/drop" not in caplog.text


def test_without_a_machine_file_the_persons_settings_are_used(tmp_path: Path) -> None:
    user = write(tmp_path / "user.json", {"server_host": "db.example"})
    assert load_desk(user, tmp_path / "absent.json").server_host == "db.example"
    assert machine_locked(tmp_path / "absent.json") == frozenset()


def test_a_machine_file_other_users_could_change_is_refused(tmp_path: Path) -> None:
    machine = write(tmp_path / "machine.json", {"server_host": "evil.example"}, mode=0o666)
    with pytest.raises(SettingsError, match="can be changed by other users .*mode 666"):
        load_desk(tmp_path / "user.json", machine)
    with pytest.raises(SettingsError, match="chmod 644"):
        machine_locked(machine)


def test_a_broken_machine_file_is_named(tmp_path: Path) -> None:
    machine = tmp_path / "machine.json"
    machine.write_text("{not json", encoding="utf-8")
    machine.chmod(0o644)
    with pytest.raises(SettingsError, match=f"settings file {machine} cannot be read"):
        load_desk(tmp_path / "user.json", machine)
    write(machine, {"server_hots": "x"})
    with pytest.raises(SettingsError, match="unknown setting 'server_hots'"):
        load_desk(tmp_path / "user.json", machine)


def test_the_machine_folder_is_the_platforms_system_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path / 'etc-xdg'}:/etc/xdg")
    assert paths.machine_config_dir() == tmp_path / "etc-xdg" / "dutydesk"
    write(tmp_path / "etc-xdg" / "dutydesk" / "settings.json", {"office": "Central"})
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))
    assert load_desk().office == "Central"
    assert machine_locked() == {"office"}
