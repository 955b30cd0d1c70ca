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


def test_preview_shows_every_page(
    qtbot,
    actions: DocumentActions,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    case: Case,
) -> None:
    actions.preview(lambda: documents.case_log(person_id=case.person_id))
    dialog = actions.last_preview
    assert dialog is not None
    qtbot.addWidget(dialog)
    expected = len(PdfReader(io.BytesIO(dialog.document.pdf)).pages)
    assert dialog.pdf.pageCount() == expected >= 2
    info = dialog.findChild(QLabel, "previewInfo")
    assert info is not None and plural(expected, "page") in info.text()
    assert "signed by Dan Manager" in info.text()
    shot = os.environ.get("DUTYDESK_PREVIEW_SHOT")
    if shot:
        qtbot.waitExposed(dialog)
        qtbot.wait(1500)  # QPdfView renders pages on a worker thread
        dialog.grab().save(shot)


def test_a_pdf_printer_gets_the_signed_vector_pdf_itself(
    qtbot,
    tmp_path: Path,
    actions: DocumentActions,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    store: EventStore,
    case: Case,
) -> None:
    """Before: every page rasterised at the printer's resolution (a 10.8 MB bitmap PDF
    for three pages at 1,200 dpi, unsigned). Now the file is the signed document."""
    doc = documents.case_log(person_id=case.person_id)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(1200)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert actions.print_to(doc, printer) is None  # no page-by-page job needed
    assert actions.last_route == "pdf-file"
    assert out.read_bytes() == doc.pdf
    assert documents.verify(out.read_bytes()).verdict is Verdict.MATCHES
    printed = [e for e in store.events() if e.type == "document.printed"]
    assert len(printed) == 1 and printed[0].payload["digest"] == doc.digest


def _ink(image) -> int:  # type: ignore[no-untyped-def]
    return sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if image.pixelColor(x, y).lightness() < 128
    )


def test_a_page_range_prints_page_by_page_off_the_gui_thread(
    qtbot,
    tmp_path: Path,
    actions: DocumentActions,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    store: EventStore,
    case: Case,
) -> None:
    import threading

    doc = documents.case_log(person_id=case.person_id)
    total = len(PdfReader(io.BytesIO(doc.pdf)).pages)
    assert total >= 3
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "range.pdf"
    printer.setOutputFileName(str(out))
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 3)
    job = actions.print_to(doc, printer)
    assert job is not None and actions.last_route == "pages"
    progress = actions.last_progress
    assert progress.objectName() == "printProgress" and progress.maximum() == 2
    steps: list[int] = []
    job.progressed.connect(lambda done, _all: steps.append(done))
    qtbot.waitUntil(lambda: job.outcome is not None and job.isFinished(), timeout=30_000)
    assert job.outcome == "printed"
    assert job.thread_ident is not None and job.thread_ident != threading.get_ident()
    qtbot.waitUntil(
        lambda: any(e.type == "document.printed" for e in store.events()), timeout=5_000
    )
    assert len(PdfReader(out).pages) == 2
    # what was painted is pages 2 and 3 of the document, not blank pages
    from PySide6.QtPdf import QPdfDocument

    printed_pdf = QPdfDocument(None)
    printed_pdf.load(str(out))
    assert printed_pdf.pageCount() == 2
    assert _ink(printed_pdf.render(0, QSize(210, 297))) > 20
    printed_pdf.close()


def test_cancelling_stops_the_job_and_records_no_print(
    qtbot,
    tmp_path: Path,
    actions: DocumentActions,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    store: EventStore,
    case: Case,
) -> None:
    from dutydesk.ui.print_job import PrintJob

    doc = documents.case_log(person_id=case.person_id)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "cancelled.pdf"))
    job = PrintJob(doc.pdf, printer, [0, 1, 2])
    job.cancel()  # the person pressed Cancel before the first page
    job.start()
    qtbot.waitUntil(job.isFinished, timeout=30_000)
    assert job.outcome == "cancelled"
    assert not any(e.type == "document.printed" for e in store.events())


def test_the_page_image_is_capped_whatever_the_printer_resolution() -> None:
    """Before: an A4 page at 1,200 dpi was a 9,921 x 14,031 image (525 MB)."""
    from dutydesk.ui.print_job import MAX_DPI, render_size

    big = render_size(595.28, 841.89, 1200)
    assert (big.width(), big.height()) == (
        round(595.28 * MAX_DPI / 72),
        round(841.89 * MAX_DPI / 72),
    )
    assert big.width() * big.height() * 4 < 40_000_000  # bytes of one ARGB page image
    small = render_size(595.28, 841.89, 96)
    assert small.width() == round(595.28 * 96 / 72)


def test_the_print_dialog_offers_page_ranges_over_the_documents_pages(
    qtbot,
    actions: DocumentActions,
    documents: DocumentService,  # type: ignore[no-untyped-def]
    case: Case,
) -> None:
    from PySide6.QtPrintSupport import QAbstractPrintDialog

    doc = documents.case_log(person_id=case.person_id)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = actions.print_dialog(doc, printer, actions.parent)
    qtbot.addWidget(dialog)
    option = QAbstractPrintDialog.PrintDialogOption
    assert dialog.testOption(option.PrintPageRange)
    assert (dialog.minPage(), dialog.maxPage()) == (1, len(PdfReader(io.BytesIO(doc.pdf)).pages))
    assert doc.title in dialog.windowTitle()


def test_the_print_system_gets_the_pdf_with_the_dialogs_choices() -> None:
    from dutydesk.ui.print_job import lp_arguments, page_ranges_text

    assert page_ranges_text([0, 1, 2, 4, 6, 7]) == "1-3,5,7-8"
    cmd = lp_arguments(
        "front-door-mfd", 2, QPrinter.DuplexMode.DuplexLongSide, "Case decision log", [0, 1, 4], 9
    )
    assert cmd[1:] == [
        "-d",
        "front-door-mfd",
        "-n",
        "2",
        "-t",
        "Case decision log",
        "-o",
        "page-ranges=1-2,5",
        "-o",
        "sides=two-sided-long-edge",
        "-",
    ]
    whole = lp_arguments("mfd", 1, QPrinter.DuplexMode.DuplexNone, "t", list(range(9)), 9)
    assert "page-ranges" not in " ".join(whole) and whole[-3:] == ["-o", "sides=one-sided", "-"]


def test_render_to_printer_counts_pages(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    case: Case,
) -> None:
    doc = documents.letter(case.contact_ids[0], Audience.FAMILY)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "letter.pdf"))
    assert render_to_printer(doc, printer) == 1
    pdf, _buffer = load_pdf(doc)
    image = pdf.render(0, QSize(210, 297))
    inked = sum(
        1
        for x in range(0, 210, 3)
        for y in range(0, 297, 3)
        if image.pixelColor(x, y).lightness() < 128
    )
    assert inked > 20  # the page has text on it, not a blank render


def test_export_writes_the_sealed_pdf_and_records_it(
    qtbot,
    tmp_path: Path,
    actions: DocumentActions,  # type: ignore[no-untyped-def]
    documents: DocumentService,
    store: EventStore,
    case: Case,
) -> None:
    doc = documents.case_log(contact_id=case.contact_ids[0])
    target = tmp_path / "export" / "log.pdf"
    actions.export_to(doc, target)
    assert target.read_bytes() == doc.pdf
    assert documents.verify(target.read_bytes()).verdict is Verdict.MATCHES
    exported = [e for e in store.events() if e.type == "document.exported"]
    assert exported[0].payload["destination"] == str(target.resolve())
