"""The sign-in dialog against the real accounts service; demo users without a password."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.services.accounts import AccountService, demo_sign_in
from dutydesk.ui.sign_in import SignInDialog
from dutydesk.ui.tasks import TaskRunner

# Pictures go to a temporary folder: a test run never writes tracked files
# (DUTYDESK_SCREENSHOTS=docs/screenshots refreshes the README's pictures on purpose).
SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))
PASSWORD = "correct horse battery staple"


def test_wrong_then_right_password(qtbot, store, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    accounts = AccountService(store, clock)
    accounts.init_admin("ad.min", "Ada Admin", PASSWORD)
    dialog = SignInDialog(accounts.sign_in, tasks=TaskRunner(synchronous=True))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.login, "ad.min")
    qtbot.keyClicks(dialog.password, "not my password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.actor is None and "wrong login or password" in dialog.message.text()
    assert dialog.password.text() == ""
    dialog.grab().save(str(SHOTS / "sign-in.png"))
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.role is Role.ADMIN


def test_demo_users_need_no_password(qtbot) -> None:  # type: ignore[no-untyped-def]
    users = [demo_sign_in(login, demo=True) for login in ("cc.officer", "dm.manager")]
    dialog = SignInDialog(lambda login, pw: users[0], demo_users=users)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.findChild(type(dialog.message), "demoBanner") is not None
    dialog.demo_user.setCurrentIndex(1)
    dialog.try_sign_in()
    assert dialog.actor is not None and dialog.actor.login == "dm.manager"
