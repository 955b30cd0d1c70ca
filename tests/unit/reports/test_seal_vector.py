"""Fixed vectors for a printed document's seal: known events give known event hashes, a
known digest and code, and a known rendered PDF sealed with them carries exactly this
verification data. The values were worked out once outside the code under test (SHA-256
of the documented canonical JSON, of the sorted ``id:hash`` lines, base32 of the digest),
so a change to any formula, or to the manifest's format, fails here rather than leaving
documents printed before it unverifiable."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from dutydesk.domain.events import Event
from dutydesk.reports.digest import EventDigest
from dutydesk.reports.page import DocumentMeta
from dutydesk.reports.seal import ATTACHMENT, read_manifest, seal

EVENTS = [
    Event(
        id="0190a0c0-0000-7000-8000-000000000001",
        type="note.added",
        actor="dm.manager",
        actor_role="duty_manager",
        device="desk-1",
        client_time="2026-11-26T09:00:00+00:00",
        payload={"contact_id": "0190a0c0-0000-7000-8000-0000000000aa", "text": 'Zoë said "stop"'},
    ),
    Event(
        id="0190a0c0-0000-7000-8000-000000000002",
        type="handover.noted",
        actor="sp.senior",
        actor_role="senior_practitioner",
        device="desk-2",
        client_time="2026-11-26T17:30:00+00:00",
        payload={
            "handover_id": "0190a0c0-0000-7000-8000-0000000000bb",
            "shift": "day",
            "text": "All quiet",
        },
    ),
]
HASHES = {
    "0190a0c0-0000-7000-8000-000000000001": (
        "a1e48171345fd67e87c5ba000cfc1b1724d577e1c6d554e8d49d7a5a4becce0c"
    ),
    "0190a0c0-0000-7000-8000-000000000002": (
        "305f1280abed7730d94dff8041588f1ffee34801f8896e9de1c3f86d7e106337"
    ),
}
DIGEST = "1d9c093e293ebb8aa84f9796922ea744d0f6874942825ea4bcb615ece060baac"
CODE = "DWOAS-PRJH2"

# A one-page PDF standing in for what reportlab renders (its bytes are all the seal reads).
RENDERED = (
    b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n2 0 obj\n<<\n"
    b"/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\nendobj\n3 0 obj\n<<\n/Type /Catalog\n"
    b"/Pages 2 0 R\n>>\nendobj\n4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n"
    b"/MediaBox [ 0.0 0.0 72 72 ]\n/Parent 2 0 R\n>>\nendobj\nxref\n0 5\n"
    b"0000000000 65535 f \n0000000015 00000 n \n0000000054 00000 n \n0000000113 00000 n \n"
    b"0000000162 00000 n \ntrailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n"
    b"254\n%%EOF\n"
)
META = DocumentMeta(
    kind="duty-log",
    title="Duty log 26 Nov 2026",
    subject="Contacts and decisions",
    generated_by="Dee Manager (dm.manager)",
    generated_at=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
    login="dm.manager",
)
MANIFEST = (
    '{"format":"dutydesk-verification/1","kind":"duty-log","title":"Duty log 26 Nov 2026",'
    '"generated_by":"Dee Manager (dm.manager)","login":"dm.manager",'
    '"generated_at":"2026-11-26T18:00:00+00:00","marking":"OFFICIAL-SENSITIVE",'
    '"digest":"1d9c093e293ebb8aa84f9796922ea744d0f6874942825ea4bcb615ece060baac",'
    '"code":"DWOAS-PRJH2","events":[["0190a0c0-0000-7000-8000-000000000001",'
    '"a1e48171345fd67e87c5ba000cfc1b1724d577e1c6d554e8d49d7a5a4becce0c"],'
    '["0190a0c0-0000-7000-8000-000000000002",'
    '"305f1280abed7730d94dff8041588f1ffee34801f8896e9de1c3f86d7e106337"]],'
    '"rendered":{"length":429,'
    '"sha256":"260e2f55fdddd8a17c66699f0852fed9d9299cfe5b47d5d12c1b6cfb8f824f0c"}}'
)


def test_event_hashes_digest_and_code_match_the_fixed_vector() -> None:
    digest = EventDigest.of(EVENTS)
    assert dict(digest.hashes) == HASHES
    assert digest.digest == DIGEST
    assert digest.code == CODE


def test_the_seal_carries_exactly_the_fixed_manifest() -> None:
    sealed = seal(RENDERED, META, EventDigest.of(EVENTS))
    assert sealed.startswith(RENDERED)  # the rendered document is kept byte for byte
    raw = PdfReader(io.BytesIO(sealed)).attachments[ATTACHMENT]
    assert [r.decode("utf-8") for r in raw] == [MANIFEST]
    manifest = read_manifest(sealed)
    assert (manifest.digest, manifest.code, manifest.hashes) == (DIGEST, CODE, HASHES)
    assert (manifest.rendered_length, manifest.rendered_sha256) == (
        429,
        "260e2f55fdddd8a17c66699f0852fed9d9299cfe5b47d5d12c1b6cfb8f824f0c",
    )
