"""The sign-in dialog: login and password for a standalone account, or a choice of demo
user (no password) under the DEMO banner.

The dialog only collects input and shows the answer; checking the password is the
accounts service's job (``AccountService.sign_in``), passed in as ``sign_in`` and run on
the writer thread when a ``TaskRunner`` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import ROLE_LABELS
from ..domain.errors import DomainError
from ..domain.events import Actor
from .tasks import TaskRunner

SignIn = Callable[[str, str], Actor]  # (login, password) -> actor, or DomainError


class SignInDialog(QDialog):
    """``actor`` is set when the dialog is accepted."""

    def __init__(
        self,
        sign_in: SignIn,
        *,
        demo_users: Sequence[Actor] = (),
        tasks: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to DutyDesk" + (" — DEMO" if demo_users else ""))
        self.setObjectName("signInDialog")
        self._sign_in = sign_in
        self._demo_users = list(demo_users)
        self._tasks = tasks
        self.actor: Actor | None = None

        layout = QVBoxLayout(self)
        form = QFormLayout()
        if self._demo_users:
            banner = QLabel("DEMO — synthetic data, not real children")
            banner.setObjectName("demoBanner")
            banner.setStyleSheet("background:#6a1b9a;color:white;font-weight:bold;padding:4px;")
            layout.addWidget(banner)
            self.demo_user = QComboBox()
            self.demo_user.setObjectName("signInDemoUser")
            self.demo_user.setAccessibleName("Demo user")
            for user in self._demo_users:
                self.demo_user.addItem(f"{user.display_name} — {ROLE_LABELS[user.role]}")
            form.addRow("Sign in as", self.demo_user)
        else:
            self.login = QLineEdit()
            self.login.setObjectName("signInLogin")
            self.login.setAccessibleName("Login")
            self.password = QLineEdit()
            self.password.setObjectName("signInPassword")
            self.password.setAccessibleName("Password")
            self.password.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow("&Login", self.login)
            form.addRow("&Password", self.password)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("signInMessage")
        self.message.setStyleSheet("color:#c62828;")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        ok.setObjectName("signInOk")
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

    def try_sign_in(self) -> None:
        if self._demo_users:
            self.actor = self._demo_users[self.demo_user.currentIndex()]
            self.accept()
            return
        login, password = self.login.text().strip(), self.password.text()
        self.password.clear()
        if not login or not password:
            self.message.setText("Enter your login and password.")
            return
        if self._tasks is None:
            try:
                self._signed_in(self._sign_in(login, password))
            except DomainError as err:
                self._refused(err)
            return
        self._tasks.submit(lambda: self._sign_in(login, password), self._signed_in, self._refused)

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.message.setText(
            str(error)
            if isinstance(error, DomainError)
            else f"Sign-in failed: {type(error).__name__}"
        )
        self.password.setFocus()
