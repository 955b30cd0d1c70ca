"""Tools ▸ Verify a document…: pick a printed PDF or a data export and see its verdict.

The check is ``DocumentService.verify_file``, the same one ``dutydesk verify`` uses (the
desk's trust anchors and revocation lists, and this store's record), run on the writer
thread; the dialog shows the verdict in words first (never by colour alone), then the
same lines the command prints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .tasks import TaskRunner

if TYPE_CHECKING:  # the signature and PDF stack loads when a file is checked, not at start
    from ..reports.verify import Report
    from ..services.documents import DocumentService

log = logging.getLogger(__name__)

FILE_TYPES = (
    "DutyDesk documents and exports (*.pdf *.csv *.xlsx *.xml *.p7s);;"
    "PDF documents (*.pdf);;Data exports (*.csv *.xlsx *.xml);;All files (*)"
)

_MARK = {  # by the name of each ``Verdict``
    "MATCHES": "✔",
    "ALTERED": "✖",
    "UNTRUSTED": "✖",
    "NOT_DUTYDESK": "?",
    "SIGNATURE_MISSING": "?",
    "MISSING_EVENTS": "⚠",
    "RECORD_CHANGED": "⚠",
}


def headline(report: Report) -> str:
    """One sentence a duty manager can act on."""
    from ..reports.verify import Verdict

    sig = report.signature
    who = ""
    if sig is not None:
        who = f"{sig.signer_name} ({sig.signer_login})" if sig.signer_login else sig.signer_name
    when = sig.signed_at.strftime("%d %b %Y %H:%M UTC") if sig and sig.signed_at else ""
    if report.verdict is Verdict.MATCHES:
        return f"Genuine: signed by {who} on {when}, unchanged, and on the record."
    if report.verdict is Verdict.ALTERED:
        return "Altered: this file is not what DutyDesk signed. Do not rely on it."
    if report.verdict is Verdict.UNTRUSTED:
        if sig is not None and "revoked" in sig.trust_problem:
            return f"Not trusted: signed as {who}, but that certificate has been revoked."
        return f"Not trusted: signed as {who}, but not by a key this authority stands behind."
    if report.verdict is Verdict.SIGNATURE_MISSING:
        return "Signature missing: nothing shows DutyDesk made this file."
    if report.verdict is Verdict.NOT_DUTYDESK:
        return "Not a DutyDesk document: it proves nothing."
    if report.verdict is Verdict.MISSING_EVENTS:
        return "Signed, but this store has no record of it (or of events it shows)."
    return "Signed, but the store's events have changed since it was printed."


class VerifyDialog(QDialog):
    """The verdict on one file, and the details behind it."""

    def __init__(self, path: Path, report: Report, parent: QWidget | None = None) -> None:
        from ..reports.verify import report_lines

        super().__init__(parent)
        self.report = report
        self.setObjectName("verifyDialog")
        self.setWindowTitle(f"Verify: {path.name}")
        self.verdict = QLabel(f"{_MARK[report.verdict.name]}  {report.verdict.text.upper()}")
        self.verdict.setObjectName("verifyVerdict")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.verdict.setFont(font)
        self.verdict.setAccessibleName(f"Verdict: {report.verdict.text}")
        self.summary = QLabel(headline(report))
        self.summary.setObjectName("verifySummary")
        self.summary.setWordWrap(True)
        file_label = QLabel(str(path))
        file_label.setObjectName("verifyFile")
        file_label.setWordWrap(True)
        self.details = QPlainTextEdit("\n".join(report_lines(report)))
        self.details.setObjectName("verifyDetails")
        self.details.setAccessibleName("What was checked")
        self.details.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.summary)
        layout.addWidget(file_label)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)


class VerifyAction:
    """Ask for a file, check it on the writer thread, show the verdict."""

    def __init__(self, parent: QWidget, service: DocumentService, tasks: TaskRunner) -> None:
        self.parent = parent
        self.service = service
        self.tasks = tasks
        self.last_dialog: VerifyDialog | None = None

    def ask(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self.parent, "Verify a document or export", "", FILE_TYPES
        )
        if name:
            self.check(Path(name))

    def check(self, path: Path) -> None:
        self.tasks.submit(lambda: self.service.verify_file(path), self._show, self._failed)

    def _show(self, result: tuple[Path, Report]) -> None:
        path, report = result
        dialog = VerifyDialog(path, report, self.parent)
        self.last_dialog = dialog
        dialog.open()

    def _failed(self, error: BaseException) -> None:
        log.warning("verify failed: %s", type(error).__name__)
        if isinstance(error, OSError):
            text = f"The file cannot be read: {error.strerror or error}"
        else:
            text = f"The file cannot be checked: {error}"
        QMessageBox.warning(self.parent, "Verify", text)
