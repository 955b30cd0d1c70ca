"""Benchmark: case decision logs and duty logs of 1,000 and 10,000 decisions, signing,
and printing.

Prints, per document: decisions, pages, events digested, time to build, seal and sign
the PDF, file size, and the process's peak memory (ru_maxrss, each size in its own
process so one run does not inflate the next), plus the time ``verify`` takes.

    .venv/bin/python -m tests.bench.bench_reports 1000 10000
    .venv/bin/python -m tests.bench.bench_reports sign 1000    # signed vs unsigned, written
    .venv/bin/python -m tests.bench.bench_reports print 80     # an 80-page log to a PDF printer

``sign N``: a case log of N decisions made unsigned (rendered and sealed, as before) and
signed (PAdES, pyHanko), each written to a file, each in its own process.
``print P``: a case log of about P pages printed to Qt's PDF printer at 1,200 dpi: the
vector route (the signed PDF itself), page by page (capped at 300 dpi), and, for three
pages only, the old way (every page rendered at the printer's 1,200 dpi).
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor, Event, make_event
from dutydesk.domain.ids import new_id
from dutydesk.domain.timescales import OfficeHours
from dutydesk.reports import pki
from dutydesk.services.documents import DocumentService
from dutydesk.services.signing import DocumentSigner
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
OUTCOMES = ["nfa", "advice", "early_help", "cin_assessment", "strategy_s47"]


def _history(person_id: str, decisions: int) -> list[Event]:
    """One child with ``decisions`` contacts, each rated and decided with a full rationale."""

    def ev(kind: str, payload: dict, at: datetime, role: Role = Role.DUTY_MANAGER) -> Event:
        return make_event(
            kind, payload, actor="dm.manager", actor_role=role.value, device="bench", at=at
        )

    start = NOW - timedelta(days=29)
    step = timedelta(days=28) / decisions
    out = [
        ev(
            "person.registered",
            {
                "person_id": person_id,
                "given_name": "Zoë",
                "family_name": "Wiśniewski",
                "date_of_birth": "2018-02-01",
            },
            start,
        )
    ]
    for i in range(decisions):
        at = start + step * i
        cid = new_id()
        out.append(
            ev(
                "contact.received",
                {
                    "contact_id": cid,
                    "received_at": at.isoformat(),
                    "channel": "phone",
                    "source_code": "2A",
                    "children": [{"person_id": person_id, "given_name": "Zoë"}],
                    "concern": f"Concern {i}: school reports bruising and a worrying comment. " * 3,
                    "consent": "given",
                    "immediate_danger": False,
                    "office": "North",
                    "team": "MASH A",
                    "categories": ["18C", "16A"],
                },
                at,
                Role.CONTACT_OFFICER,
            )
        )
        out.append(
            ev(
                "contact.rated",
                {
                    "contact_id": cid,
                    "score": 60,
                    "rating": "amber",
                    "policy_version": "bench",
                    "reasons": [
                        {"text": "injury reported", "points": 30},
                        {"factor": "16A", "points": 10},
                    ],
                },
                at + timedelta(seconds=1),
            )
        )
        out.append(
            ev(
                "decision.recorded",
                {
                    "decision_id": new_id(),
                    "contact_id": cid,
                    "outcome": OUTCOMES[i % 5],
                    "threshold_level": 1 + i % 4,
                    "rationale": {
                        "concerns_and_risks": (
                            "Bruising reported by school; second contact this term."
                        ),
                        "strengths_and_protective_factors": "Mother engages; grandmother nearby.",
                        "childs_voice": "Zoë said she likes school and is worried about home.",
                        "consent_and_information_sharing": "Consent given by mother to share.",
                        "analysis": "Cumulative concerns; threshold for assessment considered.",
                        "next_steps": [
                            {
                                "action": "Feedback to the school",
                                "owner": "dm.manager",
                                "due": "2026-11-27",
                            }
                        ],
                        "feedback_to_referrer": "School told of the outcome by phone.",
                    },
                },
                at + timedelta(minutes=30),
            )
        )
    return out


def _measure(decisions: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    store = EventStore.open(folder / "store.sqlite3")
    person_id = new_id()
    store.import_events(_history(person_id, decisions), validate=False)
    service = DocumentService(
        store,
        Actor("bench", Role.AUDITOR, "bench"),
        FixedClock(NOW),
        signer=_signer(),
        office=OfficeHours(),
    )
    for kind, make in (
        (
            "duty log",
            lambda: service.duty_log((NOW - timedelta(days=30)).date(), NOW.date(), office="North"),
        ),
        ("case log", lambda: service.case_log(person_id=person_id)),
    ):
        started = time.perf_counter()
        doc = make()
        elapsed = time.perf_counter() - started
        pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
        service.record_printed(doc)  # verify looks for the print on the record
        started = time.perf_counter()
        verdict = service.verify(doc.pdf).verdict.name
        checked = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{kind:9} {decisions:>6} decisions: {pages:>5} pages, "
            f"{len(doc.event_ids):>6} events, {elapsed:6.1f} s, "
            f"{len(doc.pdf) / 1e6:5.1f} MB, peak RSS {peak:5.0f} MB; "
            f"verify {checked:.2f} s ({verdict})",
            flush=True,
        )
    store.close()


def _signer() -> DocumentSigner:
    authority = pki.new_authority("Benchshire")
    return DocumentSigner(pki.issue(authority, display_name="Bench Auditor", login="bench"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _case_store(decisions: int) -> tuple[EventStore, str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    store = EventStore.open(folder / "store.sqlite3")
    person_id = new_id()
    store.import_events(_history(person_id, decisions), validate=False)
    return store, person_id, folder


def _sign_case(decisions: int, signed: bool) -> None:
    from dutydesk.reports.caselog import CaseLogRequest, write_case_log
    from dutydesk.services.documents import write_atomically

    store, person_id, folder = _case_store(decisions)
    service = DocumentService(
        store,
        Actor("bench", Role.AUDITOR, "bench"),
        FixedClock(NOW),
        signer=_signer(),
        office=OfficeHours(),
    )
    before = _peak_mb()
    started = time.perf_counter()
    if signed:  # made, signed, written and its export recorded, as `dutydesk print -o`
        document = service.case_log(person_id=person_id)
        service.export_to_file(document, folder / "log.pdf")
        pdf = document.pdf
    else:  # what DutyDesk wrote before signatures: rendered and sealed
        events = service.queries.person_case_events(person_id)
        buf = io.BytesIO()
        write_case_log(
            events,
            CaseLogRequest(person_id=person_id),
            service._meta("case-log", "Case decision log", "bench"),
            buf,
            office=OfficeHours(),
        )
        pdf = buf.getvalue()
        write_atomically(folder / "log.pdf", pdf)
    elapsed = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    started = time.perf_counter()
    verdict = service.verify(pdf).verdict.name if signed else "-"
    checked = time.perf_counter() - started
    print(
        f"case log {decisions} decisions {'signed  ' if signed else 'unsigned'}: "
        f"{pages} pages, {elapsed:6.1f} s to make and write, {len(pdf) / 1e6:5.2f} MB, "
        f"peak RSS {_peak_mb():5.0f} MB (store loaded: {before:.0f} MB); "
        f"verify {checked:.2f} s ({verdict})",
        flush=True,
    )
    store.close()


def _print_case(pages_wanted: int, route: str) -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from dutydesk.services.documents import write_atomically
    from dutydesk.ui import print_job

    app = QApplication([])  # noqa: F841 - Qt needs it alive
    store, person_id, folder = _case_store(max(1, round(pages_wanted / 1.1)))
    service = DocumentService(
        store,
        Actor("bench", Role.AUDITOR, "bench"),
        FixedClock(NOW),
        signer=_signer(),
        office=OfficeHours(),
    )
    doc = service.case_log(person_id=person_id)
    count = len(PdfReader(io.BytesIO(doc.pdf)).pages)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(1200)
    out = folder / f"printed-{route}.pdf"
    printer.setOutputFileName(str(out))
    before = _peak_mb()
    started = time.perf_counter()
    if route == "vector":
        result = print_job.send_vector(doc.pdf, printer, doc.title, count, write_atomically)
        assert result is not None
        printed = result.pages
    elif route == "pages":
        printed = print_job.paint_pages(doc.pdf, printer, list(range(count)))
    else:  # the old way: every page at the printer's own resolution, 3 pages only
        print_job.MAX_DPI = 10_000
        printed = print_job.paint_pages(doc.pdf, printer, [0, 1, 2])
    elapsed = time.perf_counter() - started
    print(
        f"print to PDF printer at 1200 dpi, route {route:7}: {printed:3} of {count} pages, "
        f"{elapsed:6.1f} s, output {out.stat().st_size / 1e6:6.1f} MB, peak RSS "
        f"{_peak_mb():5.0f} MB (before printing: {before:.0f} MB)",
        flush=True,
    )
    store.close()


def _spawn(target, *args) -> None:  # type: ignore[no-untyped-def]
    proc = multiprocessing.get_context("spawn").Process(target=target, args=args)
    proc.start()
    proc.join()


def main(argv: list[str]) -> None:
    if argv[:1] == ["sign"]:
        for size in [int(a) for a in argv[1:]] or [1000]:
            _spawn(_sign_case, size, False)
            _spawn(_sign_case, size, True)
        return
    if argv[:1] == ["print"]:
        for pages in [int(a) for a in argv[1:]] or [80]:
            for route in ("vector", "pages", "old"):
                _spawn(_print_case, pages, route)
        return
    for size in [int(a) for a in argv] or [1000, 10000]:
        _spawn(_measure, size)


if __name__ == "__main__":
    main(sys.argv[1:])
