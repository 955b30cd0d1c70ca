"""Sign in to the shared server: address, login, password and "remember password".

The password goes to ``Credentials`` (the OS keyring when "remember" is ticked and a secure
keyring exists, otherwise memory only). With no secure keyring the dialog says so plainly
and the "remember" box is disabled. Nothing here is written to a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..config.credentials import Credentials
from ..config.settings import Settings
from ..config.tls import SECURE_MODES

# TLS always (dutydesk.config.tls); a weak mode set for a server on this computer is
# added to the list when the settings name it.
SSL_MODES = SECURE_MODES


@dataclass(frozen=True)
class SignIn:
    host: str
    port: int
    database: str
    user: str
    sslmode: str
    remembered: bool

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


class LoginDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        parent: QWidget | None = None,
        *,
        locked: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(parent)
        self.credentials = credentials
        self.setWindowTitle("Sign in to the shared DutyDesk server")
        self._build_server_fields(settings)
        self._build_notes(credentials)
        self._lock(locked)
        self._build_layout()
        self.sign_in: SignIn | None = None
        (self.password if self.user.text() else self.host).setFocus()

    def _build_server_fields(self, settings: Settings) -> None:
        """Where the server is and who is signing in, as the settings say."""
        self.host = self._line(settings.server_host, "Server address")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(settings.server_port)
        self.port.setAccessibleName("Server port")
        self.database = self._line(settings.server_database, "Database name")
        self.user = self._line(settings.server_user, "Your login")
        self.password = self._line("", "Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox()
        self.sslmode.addItems(SSL_MODES)
        if settings.server_sslmode not in SSL_MODES:
            self.sslmode.addItem(settings.server_sslmode)
        self.sslmode.setCurrentText(settings.server_sslmode)
        self.sslmode.setAccessibleName("Encryption (TLS) mode")

    def _build_notes(self, credentials: Credentials) -> None:
        """Remember the password (when the keyring can), its warning and the error line."""
        self.remember = QCheckBox("&Remember password on this computer")
        self.remember.setAccessibleName("Remember password")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName("Password storage warning")
        self.error = QLabel()
        self.error.setAccessibleName("Sign-in problem")
        self.error.setStyleSheet("color: #b00020")
        message = credentials.message()
        if message:
            self.remember.setEnabled(False)
            self.warning.setText(message)
        else:
            self.warning.hide()
        self.error.hide()

    def _lock(self, locked: frozenset[str]) -> None:
        """Fields fixed by the administrator for this computer (machine-wide settings)."""
        # Fixed by the administrator for this computer (machine-wide settings).
        for key, widget in (
            ("server_host", self.host),
            ("server_port", self.port),
            ("server_database", self.database),
            ("server_user", self.user),
            ("server_sslmode", self.sslmode),
        ):
            if key in locked:
                widget.setEnabled(False)
                widget.setToolTip("Set by your administrator for this computer")

    def _build_layout(self) -> None:
        """The fields in a form, then the notes and the buttons."""
        form = QFormLayout()
        form.addRow("&Server:", self.host)
        form.addRow("P&ort:", self.port)
        form.addRow("&Database:", self.database)
        form.addRow("&Login:", self.user)
        form.addRow("&Password:", self.password)
        form.addRow("&Encryption:", self.sslmode)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.remember)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    @staticmethod
    def _line(value: str, name: str) -> QLineEdit:
        edit = QLineEdit(value)
        edit.setAccessibleName(name)
        return edit

    def accept(self) -> None:
        missing = [
            name
            for name, edit in (
                ("server", self.host),
                ("login", self.user),
                ("password", self.password),
                ("database", self.database),
            )
            if not edit.text().strip()
        ]
        if missing:
            self.error.setText("Please fill in: " + ", ".join(missing) + ".")
            self.error.show()
            return
        details = SignIn(
            self.host.text().strip(),
            self.port.value(),
            self.database.text().strip(),
            self.user.text().strip(),
            self.sslmode.currentText(),
            remembered=False,
        )
        stored = self.credentials.put(
            details.user, details.server, self.password.text(), remember=self.remember.isChecked()
        )
        self.password.clear()  # the widget no longer holds it
        self.sign_in = SignIn(**{**details.__dict__, "remembered": stored})
        super().accept()
