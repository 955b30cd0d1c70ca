"""Print…, Export PDF… and Preview for DutyDesk documents.

The PDF is made by ``DocumentService`` on the writer thread (it reads the store); Qt only
shows and prints it: QtPdf renders each page to an image at the printer's resolution and
paints it on the printer, so the paper copy is the same document that ``dutydesk verify``
checks. Every print and export is recorded as an event through the service.

The lead wires these into the main window, e.g.::

    actions = DocumentActions(self, documents_service, self.tasks)
    act.triggered.connect(lambda: actions.preview(
        lambda: documents_service.case_log(contact_id=current_id)))
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.wording import plural
from ..services.documents import Document, DocumentService
from .tasks import TaskRunner

log = logging.getLogger(__name__)

MakeDocument = Callable[[], Document]


class PdfRenderError(RuntimeError):
    """QtPdf could not read the document (it should never happen for our own PDFs)."""


def load_pdf(document: Document, parent: QWidget | None = None
             ) -> tuple[QPdfDocument, QBuffer]:
    """A QtPdf document over the bytes. The buffer must outlive the document: keep both."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(document.pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    pdf = QPdfDocument(parent)  # type: ignore[arg-type]  # None is accepted at run time
    pdf.load(buffer)
    if pdf.status() != QPdfDocument.Status.Ready or pdf.pageCount() == 0:
        raise PdfRenderError(f"the document could not be rendered ({pdf.error().name})")
    return pdf, buffer


def render_to_printer(document: Document, printer: QPrinter) -> int:
    """Paint every page on ``printer`` at its resolution; returns the pages printed."""
    pdf, buffer = load_pdf(document)
    pages = pdf.pageCount()
    painter = QPainter()
    try:
        if not painter.begin(printer):
            raise PdfRenderError("the printer could not be started")
        dpi = printer.resolution()
        target = printer.pageLayout().paintRectPixels(dpi)
        for page in range(pages):
            if page:
                printer.newPage()
            points = pdf.pagePointSize(page)
            scale = min(target.width() / points.width(), target.height() / points.height())
            size = QSize(int(points.width() * scale), int(points.height() * scale))
            image = pdf.render(page, size)
            painter.drawImage(QRectF(QPointF(0, 0), image.size().toSizeF()), image)
    finally:
        if painter.isActive():
            painter.end()
        pdf.close()
        buffer.close()
    return pages


class PreviewDialog(QDialog):
    """The rendered pages, with Print… and Export PDF… beside them."""

    def __init__(self, document: Document, actions: DocumentActions,
                 parent: QWidget | None = None) -> None:
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
        info = QLabel(f"{plural(self.pdf.pageCount(), 'page')} · verification code "
                      f"{document.code}")
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

    # ---- entry points for menu actions ----------------------------------------------

    def preview(self, make: MakeDocument) -> None:
        self.tasks.submit(make, lambda doc: self._open_preview(doc), self._failed)

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

    def print_ready(self, document: Document, parent: QWidget) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(document.title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {document.title}")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(document, printer)

    def print_to(self, document: Document, printer: QPrinter) -> None:
        """Print without asking (the dialog's result, or tests) and record it."""
        try:
            render_to_printer(document, printer)
        except PdfRenderError as err:
            self._failed(err)
            return
        self.tasks.submit(lambda: self.service.record_printed(document), None, self._failed)

    def export_ready(self, document: Document, parent: QWidget) -> None:
        name, _ = QFileDialog.getSaveFileName(parent, "Export PDF",
                                              _file_name(document), "PDF files (*.pdf)")
        if name:
            self.export_to(document, Path(name))

    def export_to(self, document: Document, path: Path) -> None:
        """Write the PDF (atomically) and record the export, on the writer thread."""
        self.tasks.submit(lambda: self.service.export_to_file(document, path), None,
                          self._failed)

    def _failed(self, error: BaseException) -> None:
        log.warning("document action failed: %s", type(error).__name__)
        QMessageBox.warning(self.parent, "DutyDesk", f"The document could not be made: "
                                                     f"{error}")


def _file_name(document: Document) -> str:
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in document.title)
    return f"{safe.strip()[:80] or 'document'}.pdf"
