"""``dutydesk verify`` tells a true print from an altered file, from a record edited behind
the application's back, and from a document about events this store does not have."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import text

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.reports.verify import Verdict
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.factories import TEST_PASSWORD, add_account, cli_store
from tests.report_cases import Case, stored_case


@pytest.fixture
def printed(documents: DocumentService, case: Case) -> bytes:
    return documents.case_log(person_id=case.person_id).pdf


def test_a_fresh_print_matches_the_record(documents: DocumentService, printed: bytes) -> None:
    report = documents.verify(printed)
    assert report.verdict is Verdict.MATCHES
    assert report.manifest is not None and report.manifest.kind == "case-log"


def test_one_changed_byte_of_content_is_detected(documents: DocumentService,
                                                 printed: bytes) -> None:
    at = printed.index(b"stream\n", len(printed) // 3) + 20  # inside a page stream
    damaged = printed[:at] + bytes([printed[at] ^ 0x01]) + printed[at + 1:]
    assert documents.verify(damaged).verdict is Verdict.ALTERED


def test_an_edited_title_is_detected(documents: DocumentService, printed: bytes) -> None:
    edited = printed.replace(b"Case decision log", b"Case decision loG", 1)
    assert edited != printed
    report = documents.verify(edited)
    assert report.verdict is Verdict.ALTERED
    assert "bytes have changed" in report.detail


def test_a_resaved_pdf_without_the_verification_data_is_altered(
        documents: DocumentService, printed: bytes) -> None:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(printed)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    report = documents.verify(out.getvalue())
    assert report.verdict is Verdict.ALTERED
    assert "no DutyDesk verification data" in report.detail


def test_an_event_edited_in_sqlite_behind_the_apps_back_is_detected(
        documents: DocumentService, store: EventStore, case: Case, printed: bytes) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET payload = replace(payload, 'ANALYSIS-1', "
                          "'ANALYSIS-X') WHERE payload LIKE '%ANALYSIS-1%'"))
    report = documents.verify(printed)
    assert report.verdict is Verdict.RECORD_CHANGED
    assert len(report.changed) == 1
    assert store.get_event(report.changed[0]).type == "decision.proposed"  # type: ignore[union-attr]


def test_events_missing_from_the_store_are_reported(
        documents: DocumentService, store: EventStore, case: Case, printed: bytes) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE type = 'decision.amended'"))
    report = documents.verify(printed)
    assert report.verdict is Verdict.MISSING_EVENTS
    assert len(report.missing) == 1


def test_print_and_verify_commands_with_one_exit_code_per_verdict(
        tmp_path: Path, now: datetime, clock: FixedClock, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As a signed-in person (a local account and its password), on an encrypted store."""
    data_dir, other = tmp_path / "data", tmp_path / "other"
    for folder in (data_dir, other):
        store = cli_store(folder)
        add_account(store, clock, "ann.auditor", Role.AUDITOR, "Ann Auditor")
        if folder == data_dir:
            case = stored_case(store, now)
        store.close()

    def cli(*args: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(TEST_PASSWORD + "\n"))
        return main([*args, "--as", "ann.auditor", "--password-stdin"])

    good = tmp_path / "good.pdf"
    assert cli("print", "case-log", "--person", case.person_id, "-o", str(good),
               "--data-dir", str(data_dir)) == 0
    assert "verification code" in capsys.readouterr().out
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(good.read_bytes().replace(b"Case decision log", b"Case decision loG", 1))
    assert cli("verify", str(good), "--data-dir", str(data_dir)) == 0
    assert "MATCHES THE RECORD" in capsys.readouterr().out
    assert cli("verify", str(bad), "--data-dir", str(data_dir)) == 3
    assert "DOCUMENT ALTERED" in capsys.readouterr().out
    assert cli("verify", str(good), "--data-dir", str(other)) == 4
    assert "REFERS TO EVENTS THE STORE DOES NOT HAVE" in capsys.readouterr().out
    store = cli_store(data_dir)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'someone.else' "
                          "WHERE type = 'decision.recorded'"))
    exported = [e for e in store.events() if e.type == "document.exported"]
    store.close()
    assert cli("verify", str(good), "--data-dir", str(data_dir)) == 5
    assert "CHANGED SINCE PRINTING" in capsys.readouterr().out
    assert cli("verify", str(tmp_path / "none.pdf"), "--data-dir", str(data_dir)) == 2
    # the export itself is on the record: who, what, which events
    assert len(exported) == 1 and exported[0].actor == "ann.auditor"
    assert exported[0].payload["person_id"] == case.person_id
    assert len(exported[0].payload["event_ids"]) == len(case.events) - 1
