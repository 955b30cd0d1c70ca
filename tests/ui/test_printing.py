"""Preview, print and export from the window: real QtPdf rendering, a real QPrinter
writing a PDF file, and an audit event for each print and export."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QWidget

from dutydesk.domain.wording import plural
from dutydesk.reports.letters import Audience
from dutydesk.reports.verify import Verdict
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.printing import DocumentActions, load_pdf, render_to_printer
from dutydesk.ui.tasks import TaskRunner
from tests.report_cases import Case


@pytest.fixture
def actions(qtbot, documents: DocumentService) -> DocumentActions:  # type: ignore[no-untyped-def]
    parent = QWidget()
    qtbot.addWidget(parent)
    return DocumentActions(parent, documents, TaskRunner(synchronous=True))


def test_preview_shows_every_page(qtbot, actions: DocumentActions,  # type: ignore[no-untyped-def]
                                  documents: DocumentService, case: Case) -> None:
    actions.preview(lambda: documents.case_log(person_id=case.person_id))
    dialog = actions.last_preview
    assert dialog is not None
    qtbot.addWidget(dialog)
    expected = len(PdfReader(io.BytesIO(dialog.document.pdf)).pages)
    assert dialog.pdf.pageCount() == expected >= 2
    info = dialog.findChild(QLabel, "previewInfo")
    assert info is not None and plural(expected, "page") in info.text()
    shot = os.environ.get("DUTYDESK_PREVIEW_SHOT")
    if shot:
        qtbot.waitExposed(dialog)
        qtbot.wait(1500)  # QPdfView renders pages on a worker thread
        dialog.grab().save(shot)


def test_printing_paints_every_page_and_records_it(
        qtbot, tmp_path: Path, actions: DocumentActions,  # type: ignore[no-untyped-def]
        documents: DocumentService, store: EventStore, case: Case) -> None:
    doc = documents.case_log(person_id=case.person_id)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    actions.print_to(doc, printer)
    pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
    assert len(PdfReader(out).pages) == pages
    printed = [e for e in store.events() if e.type == "document.printed"]
    assert len(printed) == 1 and printed[0].payload["digest"] == doc.digest


def test_render_to_printer_counts_pages(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        documents: DocumentService, case: Case) -> None:
    doc = documents.letter(case.contact_ids[0], Audience.FAMILY)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "letter.pdf"))
    assert render_to_printer(doc, printer) == 1
    pdf, _buffer = load_pdf(doc)
    image = pdf.render(0, QSize(210, 297))
    inked = sum(1 for x in range(0, 210, 3) for y in range(0, 297, 3)
                if image.pixelColor(x, y).lightness() < 128)
    assert inked > 20  # the page has text on it, not a blank render


def test_export_writes_the_sealed_pdf_and_records_it(
        qtbot, tmp_path: Path, actions: DocumentActions,  # type: ignore[no-untyped-def]
        documents: DocumentService, store: EventStore, case: Case) -> None:
    doc = documents.case_log(contact_id=case.contact_ids[0])
    target = tmp_path / "export" / "log.pdf"
    actions.export_to(doc, target)
    assert target.read_bytes() == doc.pdf
    assert documents.verify(target.read_bytes()).verdict is Verdict.MATCHES
    exported = [e for e in store.events() if e.type == "document.exported"]
    assert exported[0].payload["destination"] == str(target.resolve())
