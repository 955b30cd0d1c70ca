"""Print…, Export PDF… and Preview for DutyDesk documents.

The PDF is made (and signed) by ``DocumentService`` on the writer thread (it reads the
store); Qt only shows and prints it. Printing sends the vector PDF itself where it can (to
a PDF file, or to the desktop's print system) and otherwise renders page by page on a
worker thread with progress and cancel (``print_job``). Every print and export is
recorded as an event through the service.

The window's session (``ui.session``) holds one ``DocumentActions`` and hands each menu
action the document to make, e.g. the case log of the selected contact::

    printing.preview(lambda: documents.case_log(contact_id=contact_id))
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QCoreApplication, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.wording import plural
from ..services.documents import Document, DocumentService, write_atomically
from .print_job import (
    PdfRenderError,
    PrintJob,
    chosen_pages,
    open_pdf,
    paint_pages,
    send_vector,
)
from .tasks import TaskRunner

log = logging.getLogger(__name__)

MakeDocument = Callable[[], Document]


def load_pdf(document: Document, parent: QWidget | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A QtPdf document over the bytes. The buffer must outlive the document: keep both."""
    return open_pdf(document.pdf, parent)


def render_to_printer(document: Document, printer: QPrinter) -> int:
    """Paint every page on ``printer``, one page image at a time (capped at MAX_DPI)."""
    pdf, buffer = load_pdf(document)
    count = pdf.pageCount()
    pdf.close()
    buffer.close()
    return paint_pages(document.pdf, printer, list(range(count)))


def page_count(document: Document) -> int:
    pdf, buffer = load_pdf(document)
    try:
        return pdf.pageCount()
    finally:
        pdf.close()
        buffer.close()


class PreviewDialog(QDialog):
    """The rendered pages, with Print… and Export PDF… beside them."""

    def __init__(
        self, document: Document, actions: DocumentActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.setWindowTitle(f"Preview: {document.title}")
        self.setObjectName("documentPreview")
        self.pdf, self._buffer = load_pdf(document, self)
        self.view = QPdfView(self)
        self.view.setObjectName("previewPages")
        self.view.setAccessibleName("Document pages")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.pdf)
        signed = f" · signed by {document.signed_by}" if document.signed_by else ""
        info = QLabel(
            f"{plural(self.pdf.pageCount(), 'page')} · verification code {document.code}{signed}"
        )
        info.setObjectName("previewInfo")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        print_button = QPushButton("&Print…")
        print_button.setAccessibleName("Print this document")
        export_button = QPushButton("&Export PDF…")
        export_button.setAccessibleName("Export this document as a PDF file")
        buttons.addButton(print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        print_button.clicked.connect(lambda: actions.print_ready(document, self))
        export_button.clicked.connect(lambda: actions.export_ready(document, self))
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(820, 960)


class DocumentActions:
    """Preview, print and export, with the document made off the GUI thread."""

    def __init__(self, parent: QWidget, service: DocumentService, tasks: TaskRunner) -> None:
        self.parent = parent
        self.service = service
        self.tasks = tasks
        self.last_preview: PreviewDialog | None = None
        self.last_job: PrintJob | None = None
        self.last_route: str | None = None  # "pdf-file", "print-system" or "pages"

    # ---- entry points for menu actions ----------------------------------------------

    def preview(self, make: MakeDocument) -> None:
        """Make the document and record the preview as a view of the record (both on the
        writer thread), then show it: no preview without its access-log entry."""
        service = self.service

        def made_and_recorded() -> Document:
            document = make()
            service.record_previewed(document)
            return document

        self.tasks.submit(made_and_recorded, lambda doc: self._open_preview(doc), self._failed)

    def _open_preview(self, document: Document) -> None:
        self.show_preview(document)

    def print_(self, make: MakeDocument) -> None:
        self.tasks.submit(make, lambda doc: self.print_ready(doc, self.parent), self._failed)

    def export(self, make: MakeDocument) -> None:
        self.tasks.submit(make, lambda doc: self.export_ready(doc, self.parent), self._failed)

    # ---- with a document in hand ----------------------------------------------------

    def show_preview(self, document: Document) -> PreviewDialog:
        dialog = PreviewDialog(document, self, self.parent)
        self.last_preview = dialog
        dialog.open()
        return dialog

    def print_dialog(self, document: Document, printer: QPrinter, parent: QWidget) -> QPrintDialog:
        """Qt's print dialog with page ranges, copies and the current page offered."""
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {document.title}")
        option = QAbstractPrintDialog.PrintDialogOption
        dialog.setOptions(
            option.PrintPageRange
            | option.PrintToFile
            | option.PrintCollateCopies
            | option.PrintShowPageSize
        )
        dialog.setMinMax(1, page_count(document))
        return dialog

    def print_ready(self, document: Document, parent: QWidget) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(document.title)
        dialog = self.print_dialog(document, printer, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(document, printer)

    def print_to(self, document: Document, printer: QPrinter) -> PrintJob | None:
        """Print without asking (the dialog's result, or tests); record it once printed.
        Returns the page-by-page job when that route is taken (it runs on its thread)."""
        count = page_count(document)
        try:
            vector = send_vector(document.pdf, printer, document.title, count, write_atomically)
        except (PdfRenderError, OSError) as err:
            self._failed(err)
            return None
        if vector is not None:
            self.last_route = vector.route
            self._record_printed(document)
            return None
        self.last_route = "pages"
        pages = chosen_pages(printer, count)
        if not pages:
            self._failed(PdfRenderError("the page range chosen holds no page of this document"))
            return None
        job = PrintJob(document.pdf, printer, pages, self.parent)
        job.setObjectName("dutydesk-print")  # owned here; stopped with the session (stop)
        progress = QProgressDialog(
            f"Printing {document.title}…", "Cancel", 0, len(pages), self.parent
        )
        progress.setObjectName("printProgress")
        progress.setWindowTitle("Printing")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        job.progressed.connect(lambda done, _all: progress.setValue(done))
        progress.canceled.connect(job.cancel)
        job.succeeded.connect(lambda _n: self._record_printed(document))
        job.failed.connect(lambda text: self._failed(PdfRenderError(text)))
        job.finished.connect(progress.close)
        job.finished.connect(progress.deleteLater)
        self.last_job = job
        self.last_progress = progress
        job.start()
        return job

    def stop(self) -> None:
        """The session is closing: let a print job on its thread finish (its pages are
        already going to the printer), then hand its record to the writer before the
        writer stops (``SessionThreads.close`` calls this first)."""
        job = self.last_job
        if job is not None and job.isRunning():
            job.wait()
            QCoreApplication.sendPostedEvents()  # its "succeeded": the record is submitted

    def _record_printed(self, document: Document) -> None:
        self.tasks.submit(lambda: self.service.record_printed(document), None, self._failed)

    def export_ready(self, document: Document, parent: QWidget) -> None:
        name, _ = QFileDialog.getSaveFileName(
            parent, "Export PDF", _file_name(document), "PDF files (*.pdf)"
        )
        if name:
            self.export_to(document, Path(name))

    def export_to(self, document: Document, path: Path) -> None:
        """Write the PDF (atomically) and record the export, on the writer thread."""
        self.tasks.submit(lambda: self.service.export_to_file(document, path), None, self._failed)

    def _failed(self, error: BaseException) -> None:
        log.warning("document action failed: %s", type(error).__name__)
        QMessageBox.warning(self.parent, "DutyDesk", f"The document could not be made: {error}")


def _file_name(document: Document) -> str:
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in document.title)
    return f"{safe.strip()[:80] or 'document'}.pdf"
