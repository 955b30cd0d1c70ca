"""Signed data exports (issue 16): Annex A CSV/XLSX, the CIN census XML and the audit
trail CSV each leave DutyDesk with a detached CMS signature (``FILE.p7s``) by the
signed-in person's key, and the file's SHA-256 in the ``document.exported`` event.
``verify`` recognises a data export and gives one verdict; attacked as someone holding
the files would: a cell edited, the signature swapped from another export, re-signed with
a self-made certificate, the signature deleted, a revoked key, a key holder's own file."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.mi.records import Filters
from dutydesk.reports import pki
from dutydesk.reports.detached import sign_detached, signature_path
from dutydesk.reports.verify import Report, Verdict, read_file_to_check, verify_file
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.mi import MiService
from dutydesk.services.signing import NoSigningKey
from dutydesk.store.eventstore import EventStore
from dutydesk.store.report_queries import ReportQueries
from tests.document_fixtures import authority_for_tests, keys_in, signer_for
from tests.factories import TEST_PASSWORD, add_account, cli_store
from tests.report_cases import Case, stored_case

EVERYTHING = Filters(date(2000, 1, 1), date(2030, 12, 31))
DM = Actor("dm.manager", Role.DUTY_MANAGER, "test-desk", display_name="Dan Manager")


@pytest.fixture
def mi(store: EventStore, clock: FixedClock, case: Case) -> MiService:
    return MiService(store, clock, actor=DM, signer=signer_for(DM.login, "Dan Manager"))


@pytest.fixture
def audit(store: EventStore, clock: FixedClock) -> AuditService:
    return AuditService(GuardedStore(store, DM, clock), signer=signer_for(DM.login, "Dan Manager"))


@pytest.fixture(scope="module")
def mallory() -> pki.Identity:
    rogue = pki.new_authority("Testshire County Council")  # same names, another key
    return pki.issue(rogue, display_name="Dan Manager", login="dm.manager")


def _check(store: EventStore, path: Path, **kwargs: object) -> Report:
    queries = ReportQueries(store.engine)
    kwargs.setdefault("trust", [authority_for_tests().certificate])
    return verify_file(
        read_file_to_check(path),
        queries.events_by_ids,
        recorded=queries.document_records,
        **kwargs,  # type: ignore[arg-type]
    )


def _export(kind: str, mi: MiService, audit: AuditService, folder: Path) -> Path:
    if kind == "annex-a-csv":
        mi.export_annex_a(folder / "list1.csv", 1, "csv", EVERYTHING)
        return folder / "list1.csv"
    if kind == "annex-a-xlsx":
        mi.export_annex_a(folder / "list1.xlsx", 1, "xlsx", EVERYTHING)
        return folder / "list1.xlsx"
    if kind == "cin-census":
        mi.export_cin_census(folder / "census.xml", 2027, lea="201")
        return folder / "census.xml"
    audit.export_csv_file(AuditFilter(), folder / "audit.csv")
    return folder / "audit.csv"


KINDS = ["annex-a-csv", "annex-a-xlsx", "cin-census", "audit-csv"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_export_is_signed_recorded_and_matches(
    kind: str, mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    path = _export(kind, mi, audit, tmp_path)
    assert signature_path(path).is_file()
    data = path.read_bytes()
    [event] = [e for e in store.events() if e.type == "document.exported"]
    assert event.payload["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert event.actor == "dm.manager"
    report = _check(store, path)
    assert report.verdict is Verdict.MATCHES, report.detail
    assert report.signature is not None and report.signature.signer_login == "dm.manager"
    assert "Dan Manager (dm.manager)" in report.detail and "on the record" in report.detail
    # Given the signature file instead of the export: the same check.
    assert _check(store, signature_path(path)).verdict is Verdict.MATCHES
    # Without a store (an inspector with the authority's certificate): still signed and
    # trusted; the record is not checked.
    alone = verify_file(
        read_file_to_check(path), lambda ids: {}, trust=[authority_for_tests().certificate]
    )
    assert alone.verdict is Verdict.MATCHES and "on the record" not in alone.detail


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_an_independent_cms_tool_checks_the_signature(
    mi: MiService, audit: AuditService, tmp_path: Path
) -> None:
    path = _export("annex-a-csv", mi, audit, tmp_path)
    ca = tmp_path / "authority.pem"
    ca.write_bytes(pki.pem(authority_for_tests().certificate))

    def openssl(content: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(signature_path(path)),
                "-content",
                str(content),
                "-CAfile",
                str(ca),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    good = openssl(path)
    assert good.returncode == 0 and "Verification successful" in good.stderr, good.stderr
    edited = tmp_path / "edited.csv"
    edited.write_bytes(path.read_bytes().replace(b",", b";", 1))
    assert openssl(edited).returncode != 0


def test_one_cell_edited_is_altered(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    csv_path = _export("annex-a-csv", mi, audit, tmp_path)
    lines = csv_path.read_bytes().split(b"\n")
    assert len(lines) > 2  # a heading and at least one child
    cells = lines[1].split(b",")
    cells[-1] = cells[-1] + b"X"
    lines[1] = b",".join(cells)
    csv_path.write_bytes(b"\n".join(lines))
    report = _check(store, csv_path)
    assert report.verdict is Verdict.ALTERED and report.verdict.exit_code == 3
    assert "not what was signed" in report.detail

    xlsx = _export("annex-a-xlsx", mi, audit, tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.active
    assert ws is not None and ws.max_row >= 2
    ws.cell(row=2, column=ws.max_column).value = "changed"
    wb.save(xlsx)  # re-saved by a spreadsheet program
    assert _check(store, xlsx).verdict is Verdict.ALTERED


def test_a_signature_swapped_from_another_export_is_altered(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    list1 = _export("annex-a-csv", mi, audit, tmp_path)
    list3 = tmp_path / "list3.csv"
    mi.export_annex_a(list3, 3, "csv", EVERYTHING)
    shutil.copyfile(signature_path(list1), signature_path(list3))
    report = _check(store, list3)
    assert report.verdict is Verdict.ALTERED, report.detail
    assert "belongs to another file" in report.detail
    # ... and a damaged signature file, or one that is not a signature at all
    signature_path(list3).write_bytes(b"-----BEGIN PKCS7-----\nnot really\n")
    assert _check(store, list3).verdict is Verdict.ALTERED


def test_re_signed_with_a_self_made_certificate_is_not_trusted(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path, mallory: pki.Identity
) -> None:
    path = _export("annex-a-csv", mi, audit, tmp_path)
    forged = path.read_bytes().replace(b",", b";", 1)  # whatever Mallory wants it to say
    path.write_bytes(forged)
    signature_path(path).write_bytes(sign_detached(forged, mallory))
    report = _check(store, path)
    assert report.verdict is Verdict.UNTRUSTED and report.verdict.exit_code == 3
    assert "not signed by DutyDesk" in report.detail


def test_a_deleted_signature_is_reported_missing(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    path = _export("cin-census", mi, audit, tmp_path)
    signature_path(path).unlink()
    report = _check(store, path)
    assert report.verdict is Verdict.SIGNATURE_MISSING and report.verdict.exit_code == 6
    assert "census.xml.p7s" in report.detail and "exported by dm.manager" in report.detail
    # a CSV DutyDesk never made: not signed by DutyDesk
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("Child Unique ID,Gender\nX1,M\n", encoding="utf-8")
    other = _check(store, foreign)
    assert other.verdict is Verdict.SIGNATURE_MISSING
    assert "not signed by DutyDesk" in other.detail and "exported by" not in other.detail
    # a PDF with bytes before its header (readers accept it) is still checked as a PDF
    pdf = tmp_path / "junk-first.pdf"
    pdf.write_bytes(b"junk\n%PDF-1.4\n%%EOF\n")
    assert _check(store, pdf).verdict is Verdict.NOT_DUTYDESK


def test_a_revoked_signer_is_reported(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    path = _export("audit-csv", mi, audit, tmp_path)
    serial = signer_for(DM.login, "Dan Manager").identity.certificate.serial_number
    crl = pki.revocation_list(authority_for_tests(), [(serial, datetime.now(UTC))])
    report = _check(store, path, crls=[crl])
    assert report.verdict is Verdict.UNTRUSTED and "revoked" in report.detail


def test_a_key_holders_own_file_is_not_on_the_record(
    mi: MiService, audit: AuditService, store: EventStore, tmp_path: Path
) -> None:
    """A colleague with a genuine key signs a list they wrote themselves: the signature is
    sound and trusted, but no export of that file is on the record."""
    path = _export("annex-a-csv", mi, audit, tmp_path)
    made_up = path.read_bytes() + b"X9,M,made up\r\n"
    path.write_bytes(made_up)
    signature_path(path).write_bytes(
        sign_detached(made_up, signer_for(DM.login, "Dan Manager").identity)
    )
    report = _check(store, path)
    assert report.verdict is Verdict.MISSING_EVENTS and report.verdict.exit_code == 4
    assert "no record of this file being exported by dm.manager" in report.detail


def test_without_a_signing_key_nothing_is_written(
    store: EventStore, clock: FixedClock, case: Case, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    bare = MiService(store, clock, actor=DM, unsigned_reason="no key on this desk")
    with pytest.raises(NoSigningKey, match="no key on this desk"):
        bare.export_annex_a(out / "l1.csv", 1, "csv", EVERYTHING)
    with pytest.raises(NoSigningKey):
        AuditService(GuardedStore(store, DM, clock)).export_csv_file(AuditFilter(), out / "a.csv")
    assert list(out.iterdir()) == []
    assert not [e for e in store.events() if e.type == "document.exported"]


def test_if_the_export_cannot_be_recorded_neither_file_nor_signature_is_kept(
    store: EventStore, clock: FixedClock, case: Case, tmp_path: Path
) -> None:
    class Broken:
        name = "broken"

        def sign_detached(self, data: bytes) -> bytes:
            raise OSError("disk full")

    out = tmp_path / "out"
    out.mkdir()
    mi = MiService(store, clock, actor=DM, signer=Broken())  # type: ignore[arg-type]
    with pytest.raises(OSError, match="disk full"):
        mi.export_annex_a(out / "l1.csv", 1, "csv", EVERYTHING)
    assert list(out.iterdir()) == []


def test_export_and_verify_commands(
    tmp_path: Path,
    now: datetime,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir = tmp_path / "data"
    store = cli_store(data_dir)
    add_account(store, clock, "dm.manager", Role.DUTY_MANAGER, "Dan Manager")
    stored_case(store, now - timedelta(days=1))
    store.close()
    keys_in(data_dir, "dm.manager")

    def cli(*args: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(TEST_PASSWORD + "\n"))
        return main([*args, "--data-dir", str(data_dir), "--as", "dm.manager", "--password-stdin"])

    out_csv = tmp_path / "l1.csv"
    assert cli("export", "annex-a", "--list", "1", "-o", str(out_csv), "--from", "2000-01-01") == 0
    assert "signed in l1.csv.p7s" in capsys.readouterr().out
    assert cli("verify", str(out_csv)) == 0
    out, err = capsys.readouterr()
    assert "MATCHES THE RECORD" in out and "signed by: dm.manager (dm.manager)" in out
    assert err == ""
    out_csv.write_bytes(out_csv.read_bytes().replace(b"\r\n", b"\n"))  # re-saved on a Mac
    assert cli("verify", str(out_csv)) == 3
    assert "DOCUMENT ALTERED" in capsys.readouterr().out
    signature_path(out_csv).unlink()
    assert cli("verify", str(out_csv)) == 6
    assert "SIGNATURE MISSING" in capsys.readouterr().out
    audit_csv = tmp_path / "audit.csv"
    assert cli("audit", "export", str(audit_csv)) == 0
    assert signature_path(audit_csv).is_file()
    assert cli("verify", str(audit_csv)) == 0
    capsys.readouterr()
