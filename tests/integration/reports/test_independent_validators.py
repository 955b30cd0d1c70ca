"""A second and a third opinion: poppler's ``pdfsig`` (NSS, as many PDF readers on
Linux check signatures) and pyHanko's own command line see a DutyDesk print as signed by
the person, covering the whole document, with a trusted certificate, and see tampering.
Nothing of DutyDesk runs in these checks: only the PDF file and the authority's
certificate, as an inspector or a court would have them."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

from dutydesk.reports.pki import pem
from dutydesk.services.documents import DocumentService
from tests.document_fixtures import authority_for_tests
from tests.report_cases import Case

PYHANKO = Path(sys.executable).parent / "pyhanko"


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:  # tests/setup.sh installs poppler-utils and libnss3-tools
        pytest.fail(f"{tool} is not installed: run tests/setup.sh")
    return found


@pytest.fixture
def files(tmp_path: Path, documents: DocumentService, case: Case) -> dict[str, Path]:
    good = documents.case_log(person_id=case.person_id).pdf
    at = good.index(b"stream\n", len(good) // 3) + 20
    flipped = good[:at] + bytes([good[at] ^ 0x01]) + good[at + 1 :]
    cover = io.BytesIO()
    c = Canvas(cover)
    c.drawString(100, 600, "Refuse.")
    c.showPage()
    c.save()
    writer = PdfWriter(io.BytesIO(good), incremental=True)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(cover.getvalue())).pages[0])
    overlay = io.BytesIO()
    writer.write(overlay)
    out = {}
    for name, data in (("good", good), ("flipped", flipped), ("overlay", overlay.getvalue())):
        out[name] = tmp_path / f"{name}.pdf"
        out[name].write_bytes(data)
    out["ca"] = tmp_path / "ca.pem"
    out["ca"].write_bytes(pem(authority_for_tests().certificate))
    return out


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_pdfsig_sees_a_valid_trusted_signature_and_the_tampering(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    pdfsig, certutil = _need("pdfsig"), _need("certutil")
    nss = tmp_path / "nss"
    nss.mkdir()
    assert _run(certutil, "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    assert (
        _run(
            certutil,
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "DutyDesk authority",
            "-t",
            "CT,C,C",
            "-i",
            str(files["ca"]),
        ).returncode
        == 0
    )
    good = _run(pdfsig, "-nssdir", f"sql:{nss}", str(files["good"])).stdout
    assert "Signer Certificate Common Name: Dan Manager" in good
    assert "UID=dm.manager" in good
    assert "Signature is Valid." in good and "Certificate is Trusted." in good
    assert "Total document signed" in good and "Not total" not in good
    flipped = _run(pdfsig, "-nssdir", f"sql:{nss}", str(files["flipped"])).stdout
    assert "Signature is Valid." not in flipped
    overlay = _run(pdfsig, "-nssdir", f"sql:{nss}", str(files["overlay"])).stdout
    assert "Not total document signed" in overlay
    # without the authority's certificate the signature is intact but not trusted
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(certutil, "-N", "-d", f"sql:{empty}", "--empty-password")
    untrusted = _run(pdfsig, "-nssdir", f"sql:{empty}", str(files["good"])).stdout
    assert "Signature is Valid." in untrusted and "Certificate is Trusted." not in untrusted


def test_pyhankos_own_validator_agrees(files: dict[str, Path]) -> None:
    if not PYHANKO.exists():
        pytest.fail("the pyhanko command (pyhanko-cli) is not installed: run tests/setup.sh")
    good = _run(
        str(PYHANKO),
        "sign",
        "validate",
        "--trust",
        str(files["ca"]),
        "--pretty-print",
        str(files["good"]),
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "judged VALID" in good.stdout and "covers the entire file" in good.stdout
    for tampered in ("flipped", "overlay"):
        bad = _run(
            str(PYHANKO),
            "sign",
            "validate",
            "--trust",
            str(files["ca"]),
            "--pretty-print",
            str(files[tampered]),
        )
        assert bad.returncode != 0 and "judged VALID" not in bad.stdout, tampered
