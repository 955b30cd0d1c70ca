"""Getting a signed PDF onto paper without rasterising the world.

Three routes, best first:

1. **The PDF itself, to a PDF printer** (Qt's "Print to file (PDF)" with every page):
   the signed bytes are written as they are. Vector, exact, and still signed.
2. **The PDF itself, to the desktop's print system** (CUPS on Linux and macOS, through
   ``lp``): the printer receives the vector PDF (from standard input, so no copy of the
   document is left in a temporary file) with the copies, page ranges, duplex and title
   chosen in the print dialog.
3. **Page by page, off the GUI thread** (Windows, or a page range to a PDF file): each
   page is rendered by QtPdf at the printer's resolution capped at ``MAX_DPI`` and
   painted on the printer, one page at a time, on a worker thread, with progress and
   cancel. Peak memory is one page image (about 35 MB for A4 at 300 dpi) whatever the
   number of pages; at 1,200 dpi it used to be 525 MB a page.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPointF,
    QRectF,
    QSize,
    QThread,
    Signal,
)
from PySide6.QtGui import QImageWriter, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

MAX_DPI = 300  # text and line art print sharply; images in our documents are none


class PdfRenderError(RuntimeError):
    """QtPdf could not read the document, or the printer could not be started."""


class PrintCancelled(RuntimeError):
    """The person cancelled; the printer was told to abort (nothing half-recorded)."""


def open_pdf(data: bytes, parent: QObject | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A QtPdf document over ``data``, made in the calling thread. Keep both alive."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    pdf = QPdfDocument(parent)  # type: ignore[arg-type]  # None is accepted at run time
    pdf.load(buffer)
    if pdf.status() != QPdfDocument.Status.Ready or pdf.pageCount() == 0:
        raise PdfRenderError(f"the document could not be rendered ({pdf.error().name})")
    return pdf, buffer


def chosen_pages(printer: QPrinter, count: int) -> list[int]:
    """The 0-based pages the print dialog asked for (page ranges, from-to, or all)."""
    if printer.printRange() != QPrinter.PrintRange.PageRange:
        return list(range(count))
    ranges = printer.pageRanges()
    if not ranges.isEmpty():
        return [p - 1 for p in range(1, count + 1) if ranges.contains(p)]
    first, last = printer.fromPage(), printer.toPage()
    if first > 0:
        return list(range(first - 1, min(last or count, count)))
    return list(range(count))


def page_ranges_text(pages: list[int]) -> str:
    """``[0, 1, 2, 4]`` as ``1-3,5`` (CUPS's page-ranges option, 1-based)."""
    parts: list[str] = []
    start = prev = None
    for p in [*pages, None]:
        if p is not None and prev is not None and p == prev + 1:
            prev = p
            continue
        if start is not None and prev is not None:
            parts.append(f"{start + 1}" if start == prev else f"{start + 1}-{prev + 1}")
        start = prev = p
    return ",".join(parts)


def lp_command(printer: QPrinter, title: str, pages: list[int], count: int) -> list[str]:
    """The ``lp`` command line that prints the PDF read from standard input."""
    return lp_arguments(
        printer.printerName(), printer.copyCount(), printer.duplex(), title, pages, count
    )


def lp_arguments(
    name: str, copies: int, duplex: QPrinter.DuplexMode, title: str, pages: list[int], count: int
) -> list[str]:
    lp = shutil.which("lp") or "lp"
    cmd = [lp, "-d", name, "-n", str(max(1, copies)), "-t", title[:120]]
    if len(pages) != count:
        cmd += ["-o", f"page-ranges={page_ranges_text(pages)}"]
    if duplex == QPrinter.DuplexMode.DuplexLongSide:
        cmd += ["-o", "sides=two-sided-long-edge"]
    elif duplex == QPrinter.DuplexMode.DuplexShortSide:
        cmd += ["-o", "sides=two-sided-short-edge"]
    elif duplex == QPrinter.DuplexMode.DuplexNone:
        cmd += ["-o", "sides=one-sided"]
    return [*cmd, "-"]


@dataclass(frozen=True, slots=True)
class VectorResult:
    route: str  # "pdf-file" or "print-system"
    pages: int


def send_vector(
    data: bytes,
    printer: QPrinter,
    title: str,
    count: int,
    write_file: Callable[[Path, bytes], None],
) -> VectorResult | None:
    """Routes 1 and 2; None when neither applies (the caller renders page by page)."""
    pages = chosen_pages(printer, count)
    if not pages:
        raise PdfRenderError("the page range chosen holds no page of this document")
    fmt = printer.outputFormat()
    if fmt == QPrinter.OutputFormat.PdfFormat:
        target = printer.outputFileName()
        if target and len(pages) == count:
            write_file(Path(target), data)
            return VectorResult("pdf-file", count)
        return None
    if fmt == QPrinter.OutputFormat.NativeFormat and printer.printerName() and shutil.which("lp"):
        done = subprocess.run(
            lp_command(printer, title, pages, count),
            input=data,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise PdfRenderError(
                f"the print system refused the job: "
                f"{done.stderr.decode('utf-8', 'replace').strip()[:300]}"
            )
        return VectorResult("print-system", len(pages))
    return None


def render_size(width_pt: float, height_pt: float, printer_dpi: int) -> QSize:
    """The page image's size: the printer's resolution, but never above ``MAX_DPI``."""
    dpi = min(printer_dpi, MAX_DPI)
    return QSize(max(1, round(width_pt * dpi / 72)), max(1, round(height_pt * dpi / 72)))


def paint_pages(
    data: bytes,
    printer: QPrinter,
    pages: list[int],
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> int:
    """Route 3: render and paint ``pages`` one at a time (callable from any thread)."""
    pdf, buffer = open_pdf(data)
    painter = QPainter()
    try:
        if not painter.begin(printer):
            raise PdfRenderError("the printer could not be started")
        dpi = printer.resolution()
        target = printer.pageLayout().paintRectPixels(printer.resolution())
        for n, page in enumerate(pages):
            if cancelled():
                printer.abort()
                raise PrintCancelled("printing was cancelled")
            if n:
                printer.newPage()
            points = pdf.pagePointSize(page)
            fit = min(target.width() / points.width(), target.height() / points.height())
            image = pdf.render(page, render_size(points.width(), points.height(), dpi))
            painter.drawImage(
                QRectF(
                    QPointF(0, 0),
                    QSize(int(points.width() * fit), int(points.height() * fit)).toSizeF(),
                ),
                image,
            )
            del image  # one page image alive at a time
            if progress is not None:
                progress(n + 1, len(pages))
    finally:
        if painter.isActive():
            painter.end()
        pdf.close()
        buffer.close()
    return len(pages)


@functools.cache
def load_image_plugins() -> None:
    """Load Qt's image-format plugins on the GUI thread, once, before a print thread paints.

    Painting an image into a PDF asks which formats can be written; the first such call
    loads the plugins and moves each to the GUI thread under a Qt lock while the worker
    holds Python's GIL. If the GUI thread is then destroying a Python-backed QObject (it
    holds that lock and waits for the GIL), both wait for ever: seen as a hung print test.
    Loaded here first, later calls find the plugins already on the GUI thread."""
    QImageWriter.supportedImageFormats()


class PrintJob(QThread):
    """Route 3 on a worker thread. Signals arrive on the GUI thread (queued)."""

    progressed = Signal(int, int)  # pages done, pages in all
    succeeded = Signal(int)
    failed = Signal(str)
    cancelled_job = Signal()

    def __init__(
        self, data: bytes, printer: QPrinter, pages: list[int], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        load_image_plugins()  # on the GUI thread that makes the job: see its docstring
        self.data = data
        self.printer = printer
        self.pages = pages
        self._cancel = threading.Event()
        self.outcome: str | None = None  # "printed", "cancelled" or "failed"
        self.thread_ident: int | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        self.thread_ident = threading.get_ident()
        try:
            done = paint_pages(
                self.data,
                self.printer,
                self.pages,
                progress=lambda a, b: self.progressed.emit(a, b),
                cancelled=self._cancel.is_set,
            )
        except PrintCancelled:
            self.outcome = "cancelled"
            self.cancelled_job.emit()
        except PdfRenderError as err:
            self.outcome = "failed"
            self.failed.emit(str(err))
        else:
            self.outcome = "printed"
            self.succeeded.emit(done)
