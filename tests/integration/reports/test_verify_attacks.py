"""More attacks on a printed document, by someone with the file, the documented format
(docs/printing.md) and the published modules: a second signature or an empty signature
field appended, an overlay hidden in an object stream behind a cross-reference stream,
truncated files, a certificate from another DutyDesk authority, a key holder forging
pages, keys rotated and revoked. Each gives its verdict; the attacks are written on the
bytes with pypdf and pyHanko, as an attacker would."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
)

from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.reports import pki
from dutydesk.reports.caselog import CaseLogBuilder, CaseLogRequest
from dutydesk.reports.digest import EventDigest
from dutydesk.reports.page import DocumentMeta, Styles, render
from dutydesk.reports.seal import seal
from dutydesk.reports.signature import sign
from dutydesk.reports.verify import Verdict, verify_pdf
from dutydesk.services.documents import DocumentService
from dutydesk.services.signing import DocumentSigner
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import authority_for_tests, signer_for
from tests.report_cases import Case


@pytest.fixture
def printed(documents: DocumentService, case: Case) -> bytes:
    """A case log as it leaves DutyDesk: made, signed, and its export recorded."""
    document = documents.case_log(person_id=case.person_id)
    documents.record_exported(document, "case-log.pdf")
    return document.pdf


@pytest.fixture(scope="module")
def mallory() -> pki.Identity:
    rogue = pki.new_authority("Testshire County Council")  # same names, another key
    return pki.issue(rogue, display_name="Dan Manager", login="dm.manager")


def _all_text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _pyhanko_signer(identity: pki.Identity) -> signers.SimpleSigner:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def der(c):  # type: ignore[no-untyped-def]
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    key = asn1_keys.PrivateKeyInfo.load(
        identity.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=der(identity.certificate),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([der(c) for c in identity.chain]),
    )


# ---- appended after signing ---------------------------------------------------------------


def test_a_second_signature_by_a_same_named_authority_is_altered(
    documents: DocumentService, printed: bytes, mallory: pki.Identity
) -> None:
    """A counter-signature "by Dan Manager" from a self-made CA with the same names,
    appended as PDF allows: the DutyDesk signature stays intact, the verdict does not."""
    writer = IncrementalPdfFileWriter(io.BytesIO(printed), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="Approval", md_algorithm="sha256", reason="Agreed"
    )
    out = signers.PdfSigner(meta, signer=_pyhanko_signer(mallory)).sign_pdf(writer)
    forged = bytes(out.getbuffer())
    assert forged.startswith(printed)
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED, report.detail
    assert report.signature is not None and report.signature.signer_login == "dm.manager"


def test_an_empty_signature_field_added_later_is_altered(
    documents: DocumentService, printed: bytes
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(printed), strict=False)
    fields.append_signature_field(
        writer, fields.SigFieldSpec("Countersign", on_page=0, box=(50, 50, 250, 100))
    )
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(printed) and len(forged) > len(printed)
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED, report.detail
    assert "after signing" in report.detail


def _objstm_overlay(pdf: bytes, words: str) -> bytes:
    """An incremental update written the modern way: page 1's dictionary replaced from
    inside a (compressed-object) object stream, indexed by a cross-reference stream, with
    a content stream that paints a white box over the top and writes ``words``."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert page.indirect_reference is not None
    page_id = page.indirect_reference.idnum
    size = int(reader.trailer["/Size"])  # type: ignore[call-overload]
    content_id, objstm_id, xref_id, font_id = size, size + 1, size + 2, size + 3

    new_page = DictionaryObject({k: page.raw_get(k) for k in page})
    old = page.raw_get("/Contents")
    old_list = list(old.get_object()) if isinstance(old.get_object(), ArrayObject) else [old]
    new_page[NameObject("/Contents")] = ArrayObject(
        [*old_list, IndirectObject(content_id, 0, reader)]
    )
    resources = DictionaryObject(dict(page["/Resources"].get_object()))
    font = DictionaryObject(dict(resources.get("/Font", DictionaryObject()).get_object()))
    font[NameObject("/FZ")] = IndirectObject(font_id, 0, reader)
    resources[NameObject("/Font")] = font
    new_page[NameObject("/Resources")] = resources

    def ser(obj: object) -> bytes:
        buf = io.BytesIO()
        obj.write_to_stream(buf)  # type: ignore[attr-defined]
        return buf.getvalue()

    body_page = ser(new_page)
    body_font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    header = f"{page_id} 0 {font_id} {len(body_page) + 1} ".encode()
    objstm_data = header + body_page + b"\n" + body_font
    draw = (f"q 1 1 1 rg 0 540 595 302 re f Q BT /FZ 14 Tf 0 g 60 720 Td ({words}) Tj ET").encode()

    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    at_content = len(out)
    out += (
        f"{content_id} 0 obj\n<< /Length {len(draw)} >>\nstream\n".encode()
        + draw
        + b"\nendstream\nendobj\n"
    )
    at_objstm = len(out)
    out += (
        (
            f"{objstm_id} 0 obj\n<< /Type /ObjStm /N 2 /First {len(header)} "
            f"/Length {len(objstm_data)} >>\nstream\n"
        ).encode()
        + objstm_data
        + b"\nendstream\nendobj\n"
    )
    at_xref = len(out)

    def row(kind: int, a: int, b: int) -> bytes:
        return bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")

    rows = (
        row(2, objstm_id, 0)
        + row(1, at_content, 0)
        + row(1, at_objstm, 0)
        + row(1, at_xref, 0)
        + row(2, objstm_id, 1)
    )
    prev = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
    root = reader.trailer.raw_get("/Root")
    info = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
    trailer = (
        f"<< /Type /XRef /Size {size + 4} /W [1 4 2] "
        f"/Index [{page_id} 1 {content_id} 4] /Root {root.idnum} 0 R "
        + (f"/Info {info.idnum} 0 R " if info is not None else "")
        + f"/Prev {prev} /Length {len(rows)} >>"
    )
    out += (
        f"{xref_id} 0 obj\n{trailer}\nstream\n".encode()
        + rows
        + b"\nendstream\nendobj\n"
        + f"startxref\n{at_xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def test_an_overlay_hidden_in_an_object_stream_is_altered(
    documents: DocumentService, printed: bytes
) -> None:
    forged = _objstm_overlay(printed, "Refuse.")
    assert forged.startswith(printed)
    assert "Refuse." in PdfReader(io.BytesIO(forged)).pages[0].extract_text()  # shown
    report = documents.verify(forged)
    assert report.verdict is Verdict.ALTERED, report.detail
    assert "after signing" in report.detail


@pytest.mark.parametrize(
    "cut",
    ["last-byte", "eof-marker", "inside-signature", "before-signature", "half", "header-only"],
)
def test_a_truncated_file_is_altered(documents: DocumentService, printed: bytes, cut: str) -> None:
    """Anywhere after the header comment (which says DutyDesk): altered, the signature
    gone or not matching. Nine bytes (``%PDF-1.4`` and a newline) say nothing of DutyDesk:
    "not a DutyDesk document" (6), which proves nothing either."""
    contents = printed.index(b"/Contents <")
    at = {
        "last-byte": len(printed) - 1,
        "eof-marker": printed.rindex(b"%%EOF"),
        "inside-signature": contents + 500,
        "before-signature": printed.rindex(b"%%EOF", 0, contents) + 6,
        "half": len(printed) // 2,
        "header-only": 9,
    }[cut]
    assert printed[:100].count(b"DutyDesk document") == 1
    report = documents.verify(printed[:at])
    unmarked = cut == "header-only"
    assert report.verdict is (Verdict.NOT_DUTYDESK if unmarked else Verdict.ALTERED), (
        f"{cut}: {report.detail}"
    )
    if unmarked:
        assert "proves nothing" in report.detail


# ---- signed, but by whom ------------------------------------------------------------------


def test_a_document_from_another_dutydesk_authority_is_not_trusted(
    documents: DocumentService, store: EventStore, case: Case, clock
) -> None:  # type: ignore[no-untyped-def]
    """Another council's DutyDesk, its own authority and a real key for someone with
    the same login: genuine there, not trusted here."""
    elsewhere = pki.new_authority("Otherside Borough Council")
    theirs = DocumentService(
        store,
        documents.actor,
        clock,
        signer=DocumentSigner(pki.issue(elsewhere, display_name="Dan Manager", login="dm.manager")),
        office=OfficeHours(),
    )
    document = theirs.case_log(person_id=case.person_id)
    theirs.record_exported(document, "theirs.pdf")
    assert theirs.verify(document.pdf).verdict is Verdict.MATCHES  # under its own authority
    report = documents.verify(document.pdf)
    assert report.verdict is Verdict.UNTRUSTED, report.detail
    assert "Otherside Borough Council" in report.signature.issuer  # type: ignore[union-attr]


def _forged_pages(
    case: Case,
    clock,
    login: str,
    name: str,  # type: ignore[no-untyped-def]
    *,
    claim_genuine: bool,
) -> bytes:
    """Pages showing the sign-off as "Refuse." rendered with the published modules; with
    ``claim_genuine`` the verification data and every footer carry the genuine events'
    hashes and digest, so the event list still matches the record."""
    forged_events = [
        dataclasses.replace(e, payload={**e.payload, "comment": "Refuse."})
        if e.type == "decision.signed_off"
        else e
        for e in case.events
    ]
    digest = EventDigest.of(case.events if claim_genuine else forged_events)
    meta = DocumentMeta(
        kind="case-log",
        title="Case decision log: Siobhán Wiśniewski",
        subject="Case decision log (children's front door)",
        generated_by=f"{name} ({login})",
        generated_at=clock.now(),
        login=login,
    )
    request = CaseLogRequest(person_id=case.person_id)
    story = CaseLogBuilder(
        forged_events, request, Styles(), clock.now().date(), office=OfficeHours()
    ).story()
    return seal(render(story, meta, digest), meta, digest)


@pytest.mark.parametrize("claim_genuine", [True, False])
def test_a_key_holder_forging_pages_is_not_a_match(
    documents: DocumentService,
    store: EventStore,
    case: Case,
    clock,  # type: ignore[no-untyped-def]
    claim_genuine: bool,
) -> None:
    """Someone with a real, trusted key (a colleague) renders a log whose pages say
    "Refuse." and signs it as themselves. The signature is genuine; the document was
    never printed from the record, and verify must not say it matches."""
    forged = sign(
        _forged_pages(case, clock, "sp.senior", "Sue Senior", claim_genuine=claim_genuine),
        signer_for("sp.senior", "Sue Senior").identity,
        reason="forged",
    )
    assert "Refuse." in _all_text(forged)
    report = documents.verify(forged)
    assert report.verdict is not Verdict.MATCHES, report.detail
    assert report.verdict is Verdict.MISSING_EVENTS, report.detail
    assert "no record of this document" in report.detail
    assert report.verdict.exit_code == 4


def test_a_valid_pdf_signed_by_someone_not_on_the_record_is_not_a_match(
    documents: DocumentService, case: Case, clock
) -> None:  # type: ignore[no-untyped-def]
    """A certificate from the right authority for a login this record has never seen
    (issued outside add-user, or by a stolen authority key), on genuine content."""
    stranger = DocumentSigner(
        pki.issue(authority_for_tests(), display_name="X Stranger", login="x.stranger")
    )
    service = DocumentService(
        documents.store,
        Actor(
            login="x.stranger",
            role=documents.actor.role,
            device="elsewhere",
            display_name="X Stranger",
        ),
        clock,
        signer=stranger,
        trust=[authority_for_tests().certificate],
        office=OfficeHours(),
    )
    document = service.case_log(person_id=case.person_id)  # not recorded anywhere
    report = documents.verify(document.pdf)
    assert report.verdict is Verdict.MISSING_EVENTS, report.detail
    assert "no record of this document" in report.detail


def test_a_print_record_by_someone_else_does_not_vouch_for_the_file(
    documents: DocumentService, store: EventStore, case: Case, clock
) -> None:  # type: ignore[no-untyped-def]
    """The record holds an export of these bytes, but in another person's name: the
    printer the file names never printed it."""
    document = documents.case_log(person_id=case.person_id)
    other = DocumentService(
        store,
        Actor(login="sp.senior", role=documents.actor.role, device="d2", display_name="Sue Senior"),
        clock,
        signer=signer_for("sp.senior", "Sue Senior"),
        office=OfficeHours(),
    )
    other.record_exported(document, "x.pdf")
    assert documents.verify(document.pdf).verdict is Verdict.MISSING_EVENTS
    documents.record_printed(document)
    assert documents.verify(document.pdf).verdict is Verdict.MATCHES


# ---- keys rotated and revoked ------------------------------------------------------------


def test_rotation_keeps_old_documents_and_revocation_stops_only_the_revoked_key(
    documents: DocumentService,
    store: EventStore,
    case: Case,
    clock,  # type: ignore[no-untyped-def]
    printed: bytes,
    mallory: pki.Identity,
) -> None:
    ca = authority_for_tests()
    old = documents.signer.identity  # type: ignore[union-attr]
    rotated = pki.issue(ca, display_name="Dan Manager", login="dm.manager")
    assert rotated.certificate.serial_number != old.certificate.serial_number
    new_service = DocumentService(
        store,
        documents.actor,
        clock,
        signer=DocumentSigner(rotated),
        trust=[ca.certificate],
        office=OfficeHours(),
    )
    fresh = new_service.case_log(person_id=case.person_id)
    new_service.record_printed(fresh)
    lookup, recorded = documents.queries.events_by_ids, documents.queries.document_records

    def verdict(pdf: bytes, crls: list) -> Verdict:  # type: ignore[type-arg]
        return verify_pdf(pdf, lookup, recorded=recorded, trust=[ca.certificate], crls=crls).verdict

    assert verdict(printed, []) is Verdict.MATCHES  # the old key's document still verifies
    assert verdict(fresh.pdf, []) is Verdict.MATCHES
    # the old key is revoked (a lost laptop): everything it signed is no longer trusted,
    # before or after the revocation date (the signing time is the signer's own claim)
    now = datetime.now(UTC)
    for when in (now - timedelta(days=1), now + timedelta(days=1)):
        crl = pki.revocation_list(ca, [(old.certificate.serial_number, when)])
        assert verdict(printed, [crl]) is Verdict.UNTRUSTED
        assert verdict(fresh.pdf, [crl]) is Verdict.MATCHES
    # signed with the revoked key after its revocation date, and recorded
    crl = pki.revocation_list(ca, [(old.certificate.serial_number, now - timedelta(days=1))])
    later = documents.case_log(person_id=case.person_id)
    documents.record_printed(later)
    report = verify_pdf(later.pdf, lookup, recorded=recorded, trust=[ca.certificate], crls=[crl])
    assert report.verdict is Verdict.UNTRUSTED and "revoked" in report.detail
    # a revocation list from a same-named rogue authority revokes nothing
    rogue_ca = pki.Identity(mallory.key, mallory.chain[0], ())  # wrong key for that name
    fake = pki.revocation_list(rogue_ca, [(rotated.certificate.serial_number, now)])
    assert verdict(fresh.pdf, [fake]) is Verdict.MATCHES


def test_the_record_of_a_print_names_the_exact_file(
    documents: DocumentService, store: EventStore, case: Case, printed: bytes
) -> None:
    exported = [e for e in store.events() if e.type == "document.exported"]
    assert len(exported) == 1
    assert exported[0].payload["file_sha256"] == hashlib.sha256(printed).hexdigest()
