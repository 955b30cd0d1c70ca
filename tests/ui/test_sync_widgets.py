"""Sign-in dialog and sync status widget."""

from __future__ import annotations

from pathlib import Path

import keyring
from keyring.backends import null
from pytestqt.qtbot import QtBot

from dutydesk.config.credentials import SERVICE, Credentials
from dutydesk.config.settings import Settings
from dutydesk.sync.engine import SyncReport
from dutydesk.ui.login_dialog import LoginDialog
from dutydesk.ui.sync_status import SyncStatusWidget
from tests.conftest import MemoryKeyring

SETTINGS = Settings(server_host="db.council.example", server_user="dm.one")


def test_sign_in_remembers_the_password_in_the_keyring(
    qtbot: QtBot, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = LoginDialog(SETTINGS, Credentials())
    qtbot.addWidget(dialog)
    assert dialog.warning.isHidden() and dialog.remember.isEnabled()
    dialog.password.setText("correct horse battery")
    dialog.remember.setChecked(True)
    dialog.grab().save(str(tmp_path / "login.png"))
    dialog.accept()
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert dialog.sign_in is not None and dialog.sign_in.remembered
    assert memory_keyring.secrets == {
        (SERVICE, "dm.one@db.council.example:5432"): "correct horse battery"
    }
    assert dialog.password.text() == ""


def test_sign_in_without_a_secure_keyring_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    keyring.set_keyring(null.Keyring())
    credentials = Credentials()
    dialog = LoginDialog(SETTINGS, credentials)
    qtbot.addWidget(dialog)
    assert not dialog.remember.isEnabled()
    assert "never written to a file" in dialog.warning.text()
    dialog.resize(460, dialog.sizeHint().height())
    dialog.grab().save(str(tmp_path / "login-no-keyring.png"))
    dialog.password.setText("correct horse battery")
    dialog.accept()
    assert dialog.sign_in is not None and not dialog.sign_in.remembered
    assert credentials.get("dm.one", "db.council.example:5432") == "correct horse battery"


def test_sign_in_names_missing_fields(qtbot: QtBot) -> None:
    dialog = LoginDialog(Settings(), Credentials())
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.result() != LoginDialog.DialogCode.Accepted
    assert dialog.error.text() == "Please fill in: server, login, password."


def test_status_widget_shows_online_waiting_last_sync_and_rejected(
    qtbot: QtBot, tmp_path: Path
) -> None:
    widget = SyncStatusWidget()
    qtbot.addWidget(widget)
    widget.show_report(
        SyncReport(
            online=True,
            accepted=3,
            waiting=2,
            rejected_total=1,
            last_sync_at="2026-11-26T09:30:05+00:00",
        )
    )
    assert (
        widget.state.text(),
        widget.waiting.text(),
        widget.last.text(),
        widget.rejected.text(),
    ) == ("● Online", "2 waiting", "last sync 09:30:05", "1 rejected")
    widget.grab().save(str(tmp_path / "status-online.png"))
    widget.show_report(
        SyncReport(
            online=False, waiting=5, retry_in_s=20.0, problem="the server could not be reached"
        )
    )
    assert widget.state.text() == "○ Offline" and "retrying in 20 s" in widget.state.toolTip()
    assert not widget.rejected.isEnabled()
    widget.grab().save(str(tmp_path / "status-offline.png"))


def test_status_widget_shows_the_quarantine_only_when_something_is_in_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    widget = SyncStatusWidget()
    qtbot.addWidget(widget)
    widget.show_report(SyncReport(online=True, quarantined_total=0))
    assert widget.quarantined.isHidden()
    widget.show_report(SyncReport(online=True, quarantined_total=2))
    assert not widget.quarantined.isHidden()
    assert widget.quarantined.text() == "⚠ 2 quarantined"
    assert "dutydesk sync --quarantine" in widget.quarantined.toolTip()
    widget.grab().save(str(tmp_path / "status-quarantine.png"))
