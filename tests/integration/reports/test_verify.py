"""``dutydesk verify`` against an attacker who has the printed file and the documented
format (docs/printing.md): every tamper case gives its verdict. The attacks are written
as an attacker would, with pypdf, pyHanko and reportlab on the bytes, not through
DutyDesk's own code paths (except where the attacker re-renders a document with the
published modules, which is the strongest forgery short of stealing a key)."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import text

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.timescales import OfficeHours
from dutydesk.reports import pki
from dutydesk.reports.caselog import CaseLogRequest, write_case_log
from dutydesk.reports.page import DocumentMeta
from dutydesk.reports.seal import read_manifest
from dutydesk.reports.signature import sign
from dutydesk.reports.verify import Verdict
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import authority_for_tests, keys_in, signer_for
from tests.factories import TEST_PASSWORD, add_account, cli_store
from tests.report_cases import Case, stored_case


@pytest.fixture
def printed(documents: DocumentService, case: Case) -> bytes:
    """A case log as it leaves DutyDesk: made, signed, and its export recorded."""
    document = documents.case_log(person_id=case.person_id)
    documents.record_exported(document, "case-log.pdf")
    return document.pdf


@pytest.fixture(scope="module")
def mallory() -> pki.Identity:
    """The attacker's own authority and a certificate naming the real manager."""
    rogue = pki.new_authority("Testshire County Council")  # same name, different key
    return pki.issue(rogue, display_name="Dan Manager", login="dm.manager")


def _overlay(words: str) -> bytes:
    """A page that paints a white box over the top of page 1 and writes ``words``."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setFillColorRGB(1, 1, 1)
    c.rect(0, A4[1] - 300, A4[0], 300, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.drawString(60, A4[1] - 120, words)
    c.showPage()
    c.save()
    return buf.getvalue()


def _shown_text(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


def test_a_fresh_print_is_signed_by_the_person_and_matches(
    documents: DocumentService, printed: bytes
) -> None:
    report = documents.verify(printed)
    assert report.verdict is Verdict.MATCHES, report.detail
    assert report.manifest is not None and report.manifest.kind == "case-log"
    sig = report.signature
    assert sig is not None and sig.trusted and sig.intact and sig.valid and sig.covers_all
    assert (sig.signer_name, sig.signer_login) == ("Dan Manager", "dm.manager")
    assert "Testshire County Council" in sig.issuer
    assert "signed by Dan Manager (dm.manager)" in report.detail
    # the record binding is inside the signed bytes, not after them
    assert read_manifest(sig.signed_bytes).digest == report.manifest.digest


def test_one_flipped_byte_is_altered(documents: DocumentService, printed: bytes) -> None:
    at = printed.index(b"stream\n", len(printed) // 3) + 20  # inside a page stream
    damaged = printed[:at] + bytes([printed[at] ^ 0x01]) + printed[at + 1 :]
    report = documents.verify(damaged)
    assert report.verdict is Verdict.ALTERED
    assert "signature does not match" in report.detail


def test_an_edited_title_is_altered(documents: DocumentService, printed: bytes) -> None:
    edited = printed.replace(b"Case decision log", b"Case decision loG", 1)
    assert edited != printed
    assert documents.verify(edited).verdict is Verdict.ALTERED


def test_a_word_changed_by_resaving_is_altered(documents: DocumentService, printed: bytes) -> None:
    reader = PdfReader(io.BytesIO(printed))
    writer = PdfWriter(clone_from=reader)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(_overlay("Refuse."))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert "Refuse." in _shown_text(forged)
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED, report.detail


def test_a_page_removed_by_resaving_is_altered(documents: DocumentService, printed: bytes) -> None:
    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(printed))
    for page in reader.pages[:-1]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    report = documents.verify(out.getvalue())
    assert report.verdict is Verdict.ALTERED
    assert "signature is gone" in report.detail


def test_an_incremental_overlay_over_page_text_is_altered(
    documents: DocumentService, printed: bytes
) -> None:
    writer = PdfWriter(io.BytesIO(printed), incremental=True)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(_overlay("Refuse."))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(printed)  # only appended: the signed revision is untouched
    assert "Refuse." in _shown_text(forged)  # but a reader shows the overlay
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED
    assert "after signing" in report.detail


def test_an_incremental_page_removal_is_altered(documents: DocumentService, printed: bytes) -> None:
    pages = len(PdfReader(io.BytesIO(printed)).pages)
    writer = PdfWriter(io.BytesIO(printed), incremental=True)
    writer.remove_page(pages - 1)
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(printed)
    assert len(PdfReader(io.BytesIO(forged)).pages) == pages - 1
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED
    assert "after signing" in report.detail


def _contents(pdf: bytes) -> re.Match[bytes]:
    found = re.search(rb"/Contents <([0-9a-fA-F]+)>", pdf)
    assert found is not None
    return found


def test_a_signature_moved_from_another_document_is_altered(
    documents: DocumentService, printed: bytes, case: Case
) -> None:
    other = documents.case_log(contact_id=case.contact_ids[1]).pdf
    mine, theirs = _contents(printed), _contents(other)
    stolen = theirs.group(1)[: len(mine.group(1))].ljust(len(mine.group(1)), b"0")
    forged = printed[: mine.start(1)] + stolen + printed[mine.end(1) :]
    assert len(forged) == len(printed) and forged != printed
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED
    assert "signature does not match" in report.detail


def test_verification_data_moved_from_another_document_is_altered(
    documents: DocumentService, printed: bytes, case: Case, mallory: pki.Identity
) -> None:
    """Pages of one log with the event list of another, signed by whatever key."""
    other = documents.case_log(contact_id=case.contact_ids[1]).pdf
    pages_part = printed[: read_manifest(printed).rendered_length]
    their_list = PdfReader(io.BytesIO(other)).attachments["dutydesk-verification.json"][0]
    writer = PdfWriter(io.BytesIO(pages_part), incremental=True)
    writer.add_attachment("dutydesk-verification.json", their_list)
    out = io.BytesIO()
    writer.write(out)
    forged_unsigned = out.getvalue()
    for key in (mallory, signer_for("dm.manager", "Dan Manager").identity):
        forged = sign(forged_unsigned, key, reason="forged")
        report = documents.verify(forged)
        assert report.verdict is Verdict.ALTERED, report.detail


def test_content_resigned_with_another_key_is_untrusted(
    documents: DocumentService,
    store: EventStore,
    case: Case,
    clock,  # type: ignore[no-untyped-def]
    mallory: pki.Identity,
    printed: bytes,
) -> None:
    """The attack of the issue: change the manager's sign-off, render and seal it with
    the published modules, and sign it with a certificate naming the manager."""
    events = [
        dataclasses.replace(e, payload={**e.payload, "comment": "Refuse."})
        if e.type == "decision.signed_off"
        else e
        for e in case.events
    ]
    meta = DocumentMeta(
        kind="case-log",
        title="Case decision log: Siobhán Wiśniewski",
        subject="Case decision log (children's front door)",
        generated_by="Dan Manager (dm.manager)",
        generated_at=clock.now(),
        login="dm.manager",
    )
    buf = io.BytesIO()
    write_case_log(
        events, CaseLogRequest(person_id=case.person_id), meta, buf, office=OfficeHours()
    )
    forged = sign(buf.getvalue(), mallory, reason="Case decision log")
    assert "Refuse." in " ".join(
        PdfReader(io.BytesIO(forged)).pages[i].extract_text()
        for i in range(len(PdfReader(io.BytesIO(forged)).pages))
    )
    report = documents.verify(forged)
    assert report.verdict is Verdict.UNTRUSTED and report.verdict.exit_code == 3
    assert (
        "does not chain to a trusted authority" in report.detail or "not trusted" in report.detail
    )
    # the genuine content, its signature stripped and re-signed: also not trusted
    resigned = sign(
        printed[: _contents(printed).start()].rsplit(b"%%EOF", 1)[0] + b"%%EOF\n",
        mallory,
        reason="again",
    )
    assert documents.verify(resigned).verdict is Verdict.UNTRUSTED


def test_signed_by_someone_other_than_the_printer_is_altered(
    documents: DocumentService, case: Case, clock
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    other = signer_for("sp.senior", "Sue Senior")
    service = DocumentService(
        documents.store,
        documents.actor,
        clock,
        signer=replace(other),
        trust=[authority_for_tests().certificate],
        office=OfficeHours(),
    )
    pdf = service.case_log(person_id=case.person_id).pdf
    report = service.verify(pdf)
    assert report.verdict is Verdict.ALTERED
    assert "says dm.manager printed it" in report.detail


def test_an_event_edited_in_sqlite_behind_the_apps_back_is_a_changed_record(
    documents: DocumentService, store: EventStore, case: Case, printed: bytes
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE events SET payload = replace(payload, 'ANALYSIS-1', "
                "'ANALYSIS-X') WHERE payload LIKE '%ANALYSIS-1%'"
            )
        )
    report = documents.verify(printed)
    assert report.verdict is Verdict.RECORD_CHANGED
    assert len(report.changed) == 1
    assert store.get_event(report.changed[0]).type == "decision.proposed"  # type: ignore[union-attr]


def test_events_missing_from_the_store_are_reported(
    documents: DocumentService, store: EventStore, case: Case, printed: bytes
) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE type = 'decision.amended'"))
    report = documents.verify(printed)
    assert report.verdict is Verdict.MISSING_EVENTS
    assert len(report.missing) == 1


def test_foreign_pdfs_are_not_dutydesk_documents(
    documents: DocumentService, mallory: pki.Identity
) -> None:
    plain = _overlay("An invoice")
    assert documents.verify(plain).verdict is Verdict.NOT_DUTYDESK
    signed_elsewhere = sign(plain, mallory, reason="someone else's signed PDF")
    assert documents.verify(signed_elsewhere).verdict is Verdict.NOT_DUTYDESK
    assert documents.verify(b"not a pdf at all").verdict is Verdict.NOT_DUTYDESK
    assert Verdict.NOT_DUTYDESK.exit_code == 6


def test_a_revoked_certificate_is_not_trusted(documents: DocumentService, printed: bytes) -> None:
    from dutydesk.reports.verify import verify_pdf

    serial = documents.signer.identity.certificate.serial_number  # type: ignore[union-attr]
    crl = pki.revocation_list(authority_for_tests(), [(serial, datetime(2020, 1, 1).astimezone())])
    report = verify_pdf(
        printed,
        documents.queries.events_by_ids,
        trust=[authority_for_tests().certificate],
        crls=[crl],
    )
    assert report.verdict is Verdict.UNTRUSTED, report.detail


def test_print_and_verify_commands_with_one_exit_code_per_verdict(
    tmp_path: Path,
    now: datetime,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a signed-in person (a local account and its password, issue 13), on encrypted
    stores; nobody prints or verifies under a name they merely type."""
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
    assert (
        cli(
            "print",
            "case-log",
            "--person",
            case.person_id,
            "-o",
            str(good),
            "--data-dir",
            str(data_dir),
        )
        == 2
    )
    assert "no signing key for ann.auditor" in capsys.readouterr().err and not good.exists()
    keys_in(data_dir, "ann.auditor")
    assert (
        cli(
            "print",
            "case-log",
            "--person",
            case.person_id,
            "-o",
            str(good),
            "--data-dir",
            str(data_dir),
        )
        == 0
    )
    assert "verification code" in capsys.readouterr().out
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(good.read_bytes().replace(b"Case decision log", b"Case decision loG", 1))
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(_overlay("not ours"))
    assert cli("verify", str(good), "--data-dir", str(data_dir)) == 0
    out, err = capsys.readouterr()
    assert "MATCHES THE RECORD" in out and "signed by: ann.auditor (ann.auditor)" in out
    assert "chain: trusted" in out and "added after signing: nothing" in out
    assert err == ""
    assert cli("verify", str(bad), "--data-dir", str(data_dir)) == 3
    out, err = capsys.readouterr()
    assert "DOCUMENT ALTERED" in out and err == ""
    assert cli("verify", str(foreign), "--data-dir", str(data_dir)) == 6
    out, err = capsys.readouterr()
    assert "NOT A DUTYDESK DOCUMENT" in out and err == ""  # no library warnings leak
    # another desk with the same authority's certificate but not the events
    assert cli("verify", str(good), "--data-dir", str(other)) == 3  # trusts nothing yet
    assert "SIGNATURE NOT TRUSTED" in capsys.readouterr().out
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.pem(authority_for_tests().certificate))
    assert cli("verify", str(good), "--data-dir", str(other), "--trust", str(ca)) == 4
    assert "REFERS TO EVENTS THE STORE DOES NOT HAVE" in capsys.readouterr().out
    store = cli_store(data_dir)
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET actor = 'someone.else' WHERE type = 'decision.recorded'")
        )
    exported = [e for e in store.events() if e.type == "document.exported"]
    store.close()
    assert cli("verify", str(good), "--data-dir", str(data_dir)) == 5
    assert "CHANGED SINCE PRINTING" in capsys.readouterr().out
    assert cli("verify", str(tmp_path / "none.pdf"), "--data-dir", str(data_dir)) == 2
    # the export itself is on the record: who, what, which events
    assert len(exported) == 1 and exported[0].actor == "ann.auditor"
    assert exported[0].payload["person_id"] == case.person_id
    assert len(exported[0].payload["event_ids"]) == len(case.events) - 1


def test_a_permitted_validation_data_update_still_matches(
    documents: DocumentService, printed: bytes
) -> None:
    """PAdES lets long-term-validation data (a DSS with certificates and revocation
    lists) be appended after signing; that alone is not an alteration."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    ca = authority_for_tests()
    crl = pki.revocation_list(ca, [])
    buf = io.BytesIO(printed)
    sig = PdfFileReader(io.BytesIO(printed)).embedded_signatures[0]
    DocumentSecurityStore.add_dss(
        buf,
        sig.sig_object["/Contents"],
        certs=[asn1_x509.Certificate.load(ca.certificate.public_bytes(serialization.Encoding.DER))],
        crls=[asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))],
    )
    with_dss = buf.getvalue()
    assert len(with_dss) > len(printed) and with_dss.startswith(printed)
    assert b"/DSS" in with_dss[len(printed) :]
    report = documents.verify(with_dss)
    assert report.verdict is Verdict.MATCHES, report.detail


def test_checked_years_later_an_expired_certificate_is_judged_at_signing_time(
    documents: DocumentService, printed: bytes
) -> None:
    from datetime import UTC, timedelta

    from dutydesk.reports.verify import verify_pdf

    later = datetime.now(UTC) + timedelta(days=3 * 365)  # the person's certificate: 2 years
    report = verify_pdf(
        printed,
        documents.queries.events_by_ids,
        trust=[authority_for_tests().certificate],
        at=later,
    )
    assert report.verdict is Verdict.MATCHES, report.detail
    assert report.signature is not None and "expired on" in report.signature.trust_note
    assert "no trusted timestamp" in report.detail


def test_a_certificate_already_expired_when_signing_is_not_trusted(
    documents: DocumentService, case: Case, clock
) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, timedelta

    old = pki.issue(
        authority_for_tests(),
        display_name="Dan Manager",
        login="dm.manager",
        now=datetime.now(UTC) - timedelta(days=400),
        days=30,
    )
    service = DocumentService(
        documents.store,
        documents.actor,
        clock,
        signer=type(signer_for("dm.manager"))(old),
        trust=[authority_for_tests().certificate],
        office=OfficeHours(),
    )
    report = service.verify(service.case_log(person_id=case.person_id).pdf)
    assert report.verdict is Verdict.UNTRUSTED, report.detail
