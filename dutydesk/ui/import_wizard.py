"""The import wizard: choose a file, preview it with its errors, import with progress.

Parsing and writing run on the TaskRunner's writer thread; progress comes back by a
queued signal, and Cancel stops after the batch in hand (every written batch is whole).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ..domain.clock import Clock
from ..domain.triage.policy import Policy
from ..intake.formats import FORMATS
from ..services.guard import GuardedStore
from ..services.importer import Importer, ImportOptions, ImportReport
from .tasks import TaskRunner

FILTER = "Import files (*.json *.jsonl *.ndjson *.csv *.xlsx *.xml);;All files (*)"


class _Progress(QObject):
    rows = Signal(int)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))


class ChoosePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Choose a file")
        self.setSubTitle(
            "Police notifications (CSV), intake JSON, Ofsted Annex A or a CIN "
            "census return. Nothing is written until the last step."
        )
        self.path = QLineEdit()
        self.path.setObjectName("importPath")
        self.path.setAccessibleName("File to import")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        self.format = QComboBox()
        self.format.addItems(["auto", *FORMATS])
        self.all_or_nothing = QCheckBox("Refuse the whole file if any row is bad")
        form = QFormLayout(self)
        form.addRow("File", row)
        form.addRow("Format", self.format)
        form.addRow("", self.all_or_nothing)
        self.path.textChanged.connect(self.completeChanged)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import file", "", FILTER)
        if name:
            self.path.setText(name)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return Path(self.path.text().strip()).is_file()


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Preview")
        self.setSubTitle("A dry run: what would be imported, and every problem found.")
        self.summary = QLabel("Checking…")
        self.summary.setWordWrap(True)
        self.rows = _table(["Row", "Reference", "What", "Status"])
        self.errors = _table(["Row", "Column", "Value", "Problem"])
        self.errors.setObjectName("errorTable")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.rows, 3)
        layout.addWidget(QLabel("Errors and warnings"))
        layout.addWidget(self.errors, 2)
        self.report: ImportReport | None = None

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.report = None
        self.summary.setText("Checking…")
        self._wizard.run_import(dry_run=True, done=self.show_report)

    def show_report(self, report: ImportReport) -> None:
        self.report = report
        self.summary.setText("\n".join(report.lines()))
        _fill(
            self.rows,
            [
                [
                    str(p.number),
                    p.ref,
                    p.summary,
                    ("ready" if p.ok else "rejected") + (f": {p.problems}" if p.problems else ""),
                ]
                for p in report.preview
            ],
        )
        _fill(
            self.errors,
            [
                [str(e.row), e.column, e.value, ("warning: " if e.warning else "") + e.rule]
                for e in report.errors + report.warnings
            ],
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.report is not None and self.report.refused is None and self.report.rows_ok > 0


class RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Import")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.cancel = QPushButton("Cancel import")
        self.cancel.clicked.connect(wizard.cancel_import)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.cancel)
        layout.addStretch()
        self.report: ImportReport | None = None

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.report = None
        self.status.setText("Importing…")
        self._wizard.run_import(dry_run=False, done=self.finished)

    @Slot(int)
    def rows_done(self, rows: int) -> None:
        self.status.setText(f"{rows:,} rows read…")

    def finished(self, report: ImportReport) -> None:
        self.report = report
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.cancel.setEnabled(False)
        self.status.setText("\n".join(report.lines()))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.report is not None


class ImportWizard(QWizard):
    def __init__(
        self,
        store: GuardedStore,
        clock: Clock,
        runner: TaskRunner,
        parent: QWidget | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import contacts and history")
        self.store, self.clock, self.runner = store, clock, runner
        self.policy = policy  # the desk's triage policy: imports are rated as the queue is
        self._cancel = threading.Event()
        self._progress = _Progress()
        self.choose = ChoosePage()
        self.preview = PreviewPage(self)
        self.run_page = RunPage(self)
        self._progress.rows.connect(self.run_page.rows_done)
        for page in (self.choose, self.preview, self.run_page):
            self.addPage(page)
        self.resize(900, 620)

    def import_options(self, dry_run: bool) -> ImportOptions:
        return ImportOptions(
            format=self.choose.format.currentText(),
            dry_run=dry_run,
            all_or_nothing=self.choose.all_or_nothing.isChecked(),
            preview_limit=2000,
        )

    def run_import(self, *, dry_run: bool, done: Callable[[ImportReport], None]) -> None:
        self._cancel.clear()
        path = Path(self.choose.path.text().strip())
        options = self.import_options(dry_run)
        importer = Importer(self.store, self.clock, self.policy)
        self.runner.submit(
            lambda: importer.run(
                path, options, progress=self._progress.rows.emit, cancelled=self._cancel.is_set
            ),
            done,
            self._failed,
        )

    def cancel_import(self) -> None:
        self._cancel.set()
        self.run_page.status.setText("Cancelling after the current batch…")

    def _failed(self, error: BaseException) -> None:
        self.preview.summary.setText(f"The import stopped: {type(error).__name__}: {error}")
