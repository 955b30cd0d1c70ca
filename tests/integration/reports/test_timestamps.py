"""Trusted timestamps (RFC 3161; issue 16 item 3). The time-stamping authority is
pyHanko's test timestamper (``DummyTimeStamper``) served over HTTP on the loopback
interface inside the test process, so DutyDesk's own HTTP client (``UrlTimeStamper``)
is exercised end to end without the network.

What a trusted timestamp changes: the signing time is proved by a third party, so a
certificate revoked *after* the timestamp leaves the document trusted (it was valid when
signed), while one revoked before it does not; without a timestamp, or with one from an
authority the desk does not trust, revocation applies to everything the key signed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from dutydesk.config.signing_keys import KeyFolder
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.mi.records import Filters
from dutydesk.reports import pki
from dutydesk.reports.detached import signature_path
from dutydesk.reports.timestamp import UrlTimeStamper
from dutydesk.reports.verify import Verdict, read_file_to_check, verify_file
from dutydesk.services.documents import DocumentService
from dutydesk.services.mi import MiService
from dutydesk.services.signing import (
    DocumentSigner,
    NoSigningKey,
    TimestampUnavailable,
    timestamper_for,
)
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import authority_for_tests
from tests.report_cases import Case

EVERYTHING = Filters(datetime(2000, 1, 1).date(), datetime(2030, 12, 31).date())


def _tsa(name: str) -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """A time-stamping authority: its root, and its certificate (EKU timeStamping)."""
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} TSA")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root, cert, key


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _Tsa:
    def __init__(self, name: str) -> None:
        self.root, cert, key = _tsa(name)
        self.stamper = DummyTimeStamper(
            tsa_cert=_asn1(cert),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[_asn1(self.root)],
        )
        self.requests = 0
        self.url = ""


def _serve(tsa: _Tsa) -> Iterator[_Tsa]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/timestamp-query"
            request = tsp.TimeStampReq.load(body)
            response = asyncio.run(tsa.stamper.async_request_tsa_response(request))
            tsa.requests += 1
            data = response.dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tsa() -> Iterator[_Tsa]:
    yield from _serve(_Tsa("Testshire time"))


@pytest.fixture(scope="module")
def rogue_tsa() -> Iterator[_Tsa]:
    yield from _serve(_Tsa("Anyone's time"))


@pytest.fixture(scope="module")
def person() -> pki.Identity:
    return pki.issue(authority_for_tests(), display_name="Dan Manager", login="dm.manager")


@pytest.fixture
def stamped(
    store: EventStore, clock: FixedClock, documents: DocumentService, person: pki.Identity, tsa
) -> DocumentService:  # type: ignore[no-untyped-def]
    return DocumentService(
        store,
        documents.actor,
        clock,
        signer=DocumentSigner(person, timestamper=UrlTimeStamper(tsa.url)),
        trust=[authority_for_tests().certificate],
        tsa_trust=[tsa.root],
        office=OfficeHours(),
    )


def _revoked(person: pki.Identity, when: datetime) -> x509.CertificateRevocationList:
    return pki.revocation_list(authority_for_tests(), [(person.certificate.serial_number, when)])


def test_a_timestamped_pdf_proves_its_signing_time_and_outlives_a_later_revocation(
    stamped: DocumentService, case: Case, person: pki.Identity, tsa: _Tsa
) -> None:
    before = tsa.requests
    document = stamped.case_log(person_id=case.person_id)
    assert tsa.requests > before  # the timestamp came from the authority over HTTP
    stamped.record_printed(document)
    report = stamped.verify(document.pdf)
    assert report.verdict is Verdict.MATCHES, report.detail
    sig = report.signature
    assert sig is not None and sig.timestamped and sig.signed_at is not None
    assert abs(sig.signed_at - datetime.now(UTC)) < timedelta(minutes=5)
    # Revoked tomorrow (after the timestamp): it was valid when signed.
    stamped.crls = [_revoked(person, datetime.now(UTC) + timedelta(days=1))]
    later = stamped.verify(document.pdf)
    assert later.verdict is Verdict.MATCHES and "valid when signed" in later.detail
    # Revoked yesterday (before the timestamp): not trusted.
    stamped.crls = [_revoked(person, datetime.now(UTC) - timedelta(days=1))]
    assert stamped.verify(document.pdf).verdict is Verdict.UNTRUSTED
    # A desk that does not trust this time-stamping authority falls back to the signer's
    # clock, and then any revocation applies.
    stamped.crls = [_revoked(person, datetime.now(UTC) + timedelta(days=1))]
    stamped.tsa_trust = []
    untimed = stamped.verify(document.pdf)
    assert untimed.verdict is Verdict.UNTRUSTED
    assert untimed.signature is not None and not untimed.signature.timestamped


def test_a_timestamp_from_an_untrusted_authority_proves_nothing(
    store: EventStore,
    clock: FixedClock,
    documents: DocumentService,
    case: Case,
    person: pki.Identity,
    tsa: _Tsa,
    rogue_tsa: _Tsa,
) -> None:
    service = DocumentService(
        store,
        documents.actor,
        clock,
        signer=DocumentSigner(person, timestamper=UrlTimeStamper(rogue_tsa.url)),
        trust=[authority_for_tests().certificate],
        tsa_trust=[tsa.root],  # the desk trusts the council's TSA, not this one
        crls=[_revoked(person, datetime.now(UTC) + timedelta(days=1))],
        office=OfficeHours(),
    )
    document = service.case_log(person_id=case.person_id)
    service.record_printed(document)
    report = service.verify(document.pdf)
    assert report.verdict is Verdict.UNTRUSTED and "revoked" in report.detail
    assert report.signature is not None and not report.signature.timestamped


def test_a_timestamped_pdf_still_shows_any_change(stamped: DocumentService, case: Case) -> None:
    document = stamped.case_log(person_id=case.person_id)
    stamped.record_printed(document)
    flipped = document.pdf.replace(b"Case decision log", b"Case decision loG", 1)
    assert stamped.verify(flipped).verdict is Verdict.ALTERED


def test_a_timestamped_export(
    store: EventStore,
    clock: FixedClock,
    case: Case,
    person: pki.Identity,
    tsa: _Tsa,
    tmp_path: Path,
) -> None:
    actor = Actor("dm.manager", Role.DUTY_MANAGER, "test-desk")
    mi = MiService(
        store,
        clock,
        actor=actor,
        signer=DocumentSigner(person, timestamper=UrlTimeStamper(tsa.url)),
    )
    path = tmp_path / "list1.csv"
    mi.export_annex_a(path, 1, "csv", EVERYTHING)
    assert signature_path(path).is_file()

    def check(crls: list[x509.CertificateRevocationList]):  # type: ignore[no-untyped-def]
        return verify_file(
            read_file_to_check(path),
            lambda ids: {},
            trust=[authority_for_tests().certificate],
            tsa_trust=[tsa.root],
            crls=crls,
        )

    report = check([])
    assert report.verdict is Verdict.MATCHES and report.signature is not None
    assert report.signature.timestamped
    assert check([_revoked(person, datetime.now(UTC) + timedelta(days=1))]).verdict is (
        Verdict.MATCHES
    )
    assert check([_revoked(person, datetime.now(UTC) - timedelta(days=1))]).verdict is (
        Verdict.UNTRUSTED
    )


def test_no_timestamp_no_signature_when_the_authority_is_down(
    store: EventStore, clock: FixedClock, case: Case, person: pki.Identity, tmp_path: Path
) -> None:
    """A desk configured for timestamps does not quietly sign without one."""
    dead = UrlTimeStamper("http://127.0.0.1:9/tsa", timeout=2)  # the discard port: refused
    mi = MiService(
        store,
        clock,
        actor=Actor("dm.manager", Role.DUTY_MANAGER, "test-desk"),
        signer=DocumentSigner(person, timestamper=dead),
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TimestampUnavailable, match="no trusted timestamp could be had"):
        mi.export_annex_a(out / "list1.csv", 1, "csv", EVERYTHING)
    assert list(out.iterdir()) == []
    assert not [e for e in store.events() if e.type == "document.exported"]


def test_the_setting_must_be_an_http_url(tmp_path: Path) -> None:
    assert timestamper_for("") is None
    assert isinstance(timestamper_for("https://tsa.example.org/rfc3161"), UrlTimeStamper)
    for bad in ("file:///etc/passwd", "ftp://tsa.example.org", "tsa.example.org"):
        with pytest.raises(NoSigningKey, match="tsa_url"):
            timestamper_for(bad)
    keys = KeyFolder(tmp_path / "signing")
    root, _, _ = _tsa("Kept apart")
    keys.add_tsa_anchor(root)
    assert keys.tsa_anchors() == [root] and keys.trust_anchors() == []
