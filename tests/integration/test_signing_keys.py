"""Signing keys as an administrator and a person meet them: a stand-alone desk's
authority from ``admin init``, keys issued by ``create-user``, kept as PKCS#12 with the
passphrase only in the keyring, carried to another desk, rotated and revoked."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from dutydesk.cli import main
from dutydesk.config.signing_keys import KeyFolder, signing_dir
from dutydesk.domain.timescales import OfficeHours
from dutydesk.paths import STORE_FILE
from dutydesk.reports.pki import CertificateError
from dutydesk.services.local_store import open_local_store
from dutydesk.services.signing import issue_for_transfer, signer_for
from tests.report_cases import stored_case

PASSWORD = "correct horse battery staple 1"


def _cli(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(args)


SENIOR = "senior pass phrase 1\n"  # sp.senior's password (create-user's second line)


def _desk_with_senior(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    d = ["--data-dir", str(tmp_path), "--password-stdin"]
    assert (
        _cli(
            [
                "admin",
                "init",
                *d,
                "--login",
                "ad.min",
                "--name",
                "Ada Admin",
                "--organisation",
                "Testshire County Council",
            ],
            PASSWORD + "\n",
            monkeypatch,
        )
        == 0
    )
    assert (
        _cli(
            [
                "admin",
                "create-user",
                *d,
                "--as",
                "ad.min",
                "--login",
                "sp.senior",
                "--name",
                "Sue Senior",
                "--role",
                "senior_practitioner",
            ],
            f"{PASSWORD}\nsenior pass phrase 1\n",
            monkeypatch,
        )
        == 0
    )
    store = open_local_store(tmp_path / STORE_FILE)
    case = stored_case(store, now)
    store.close()
    return tmp_path, case.contact_ids[1]


def test_admin_init_makes_an_authority_and_create_user_a_key_in_the_keyring(
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    memory_keyring,
) -> None:  # type: ignore[no-untyped-def]
    data, contact = _desk_with_senior(tmp_path, now, monkeypatch)
    out = capsys.readouterr().out
    assert "signing authority created: Testshire County Council DutyDesk" in out
    assert "signing certificate issued: Sue Senior" in out
    folder = signing_dir(data)
    p12 = folder / "people" / "sp.senior.p12"
    assert (p12.stat().st_mode & 0o777) == 0o600
    # no private key in plain form anywhere; the PKCS#12 needs the keyring's passphrase
    for path in data.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12.read_bytes(), None)
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12.read_bytes(), PASSWORD.encode())
    assert any(
        service == "dutydesk-signing" and account.startswith("sp.senior:")
        for service, account in memory_keyring.secrets
    )
    pdf = tmp_path / "log.pdf"
    assert (
        _cli(
            [
                "print",
                "case-log",
                "--contact",
                contact,
                "-o",
                str(pdf),
                "--data-dir",
                str(data),
                "--as",
                "sp.senior",
                "--password-stdin",
            ],
            SENIOR,
            monkeypatch,
        )
        == 0
    )
    capsys.readouterr()
    assert (
        _cli(
            ["verify", str(pdf), "--data-dir", str(data), "--as", "sp.senior", "--password-stdin"],
            SENIOR,
            monkeypatch,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "MATCHES THE RECORD" in out and "signed by: Sue Senior (sp.senior)" in out
    # without the keyring entry the key file is useless, and the refusal says why
    account = next(a for s, a in memory_keyring.secrets if a.startswith("sp.senior:"))
    keyring.delete_password("dutydesk-signing", account)
    with pytest.raises(CertificateError, match="passphrase is not in this computer's keyring"):
        signer_for(KeyFolder(folder), "sp.senior")


def test_a_rotated_key_still_verifies_old_prints_and_a_revoked_one_does_not(
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, contact = _desk_with_senior(tmp_path, now, monkeypatch)
    old = tmp_path / "old.pdf"
    args = [
        "case-log",
        "--contact",
        contact,
        "--data-dir",
        str(data),
        "--as",
        "sp.senior",
        "--password-stdin",
    ]
    signed = ["--as", "sp.senior", "--password-stdin"]
    assert _cli(["print", *args, "-o", str(old)], SENIOR, monkeypatch) == 0
    keys = KeyFolder(signing_dir(data))
    first = keys.load("sp.senior")
    assert first is not None
    assert (
        main(
            [
                "signing",
                "issue",
                "--login",
                "sp.senior",
                "--name",
                "Sue Senior",
                "--data-dir",
                str(data),
            ]
        )
        == 0
    )  # rotation: a new key and certificate
    second = keys.load("sp.senior")
    assert second is not None and second.fingerprint != first.fingerprint
    new = tmp_path / "new.pdf"
    assert _cli(["print", *args, "-o", str(new)], SENIOR, monkeypatch) == 0
    capsys.readouterr()
    assert _cli(["verify", str(old), "--data-dir", str(data), *signed], SENIOR, monkeypatch) == 0
    assert _cli(["verify", str(new), "--data-dir", str(data), *signed], SENIOR, monkeypatch) == 0
    capsys.readouterr()
    # the first key was compromised: revoke its certificate
    assert (
        main(
            [
                "signing",
                "revoke",
                "--serial",
                f"{first.certificate.serial_number:X}",
                "--data-dir",
                str(data),
            ]
        )
        == 0
    )
    assert _cli(["verify", str(old), "--data-dir", str(data), *signed], SENIOR, monkeypatch) == 3
    out = capsys.readouterr().out
    assert "SIGNATURE NOT TRUSTED" in out and "revoked" in out
    assert _cli(["verify", str(new), "--data-dir", str(data), *signed], SENIOR, monkeypatch) == 0
    assert main(["signing", "status", "--data-dir", str(data), "--login", "sp.senior"]) == 0
    out = capsys.readouterr().out
    assert f"{first.certificate.serial_number:X}" in out and "key of sp.senior: Sue" in out


def test_a_revoked_or_expired_key_does_not_sign(
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A desk does not sign with a certificate that would only verify as "not trusted":
    printing is refused, nothing is written, and the message says what to do."""
    from datetime import UTC, timedelta

    from cryptography.hazmat.primitives import serialization

    from dutydesk.config.signing_keys import AUTHORITY
    from dutydesk.reports import pki
    from dutydesk.services.signing import NoSigningKey

    data, contact = _desk_with_senior(tmp_path, now, monkeypatch)
    keys = KeyFolder(signing_dir(data))
    current = keys.load("sp.senior")
    assert current is not None
    signer_for(keys, "sp.senior")  # fine today
    with pytest.raises(NoSigningKey, match="expired on"):
        signer_for(
            keys, "sp.senior", now=current.certificate.not_valid_after_utc + timedelta(days=1)
        )
    with pytest.raises(NoSigningKey, match="not valid until"):
        signer_for(keys, "sp.senior", now=datetime.now(UTC) - timedelta(days=1))
    # a revocation list from a same-named authority with another key is not believed
    rogue = pki.new_authority("Testshire County Council")
    (signing_dir(data) / "trust").mkdir(exist_ok=True)
    (signing_dir(data) / "trust" / "rogue.crl").write_bytes(
        pki.revocation_list(
            rogue, [(current.certificate.serial_number, datetime.now(UTC))]
        ).public_bytes(serialization.Encoding.PEM)
    )
    signer_for(keys, "sp.senior")
    assert keys.load(AUTHORITY) is not None
    assert (
        main(
            [
                "signing",
                "revoke",
                "--serial",
                f"{current.certificate.serial_number:X}",
                "--data-dir",
                str(data),
            ]
        )
        == 0
    )
    capsys.readouterr()
    out_file = tmp_path / "after.pdf"
    assert (
        _cli(
            [
                "print",
                "case-log",
                "--contact",
                contact,
                "--data-dir",
                str(data),
                "--as",
                "sp.senior",
                "--password-stdin",
                "-o",
                str(out_file),
            ],
            SENIOR,
            monkeypatch,
        )
        == 2
    )
    assert "has been revoked" in capsys.readouterr().err and not out_file.exists()


def test_a_key_carried_to_another_desk_signs_there(
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Shared mode: the administrator's machine holds the authority; the person's key
    travels as a PKCS#12 protected by their password and is re-kept on their desk."""
    admin_dir = tmp_path / "admin"
    assert (
        main(
            [
                "signing",
                "new-authority",
                "--organisation",
                "Testshire",
                "--data-dir",
                str(admin_dir),
            ]
        )
        == 0
    )
    _identity, bundle = issue_for_transfer(
        KeyFolder(signing_dir(admin_dir)), "dm.manager", "Dan Manager", "dan's new password"
    )
    assert not KeyFolder(signing_dir(admin_dir)).has("dm.manager")  # not kept there
    carried = tmp_path / "dm.manager.p12"
    carried.write_bytes(bundle)
    desk = tmp_path / "desk"
    assert (
        _cli(
            ["signing", "import", str(carried), "--data-dir", str(desk), "--password-stdin"],
            "wrong\n",
            monkeypatch,
        )
        == 2
    )
    assert "wrong passphrase" in capsys.readouterr().err
    assert (
        _cli(
            ["signing", "import", str(carried), "--data-dir", str(desk), "--password-stdin"],
            "dan's new password\n",
            monkeypatch,
        )
        == 0
    )
    assert "key kept for dm.manager" in capsys.readouterr().out
    store = open_local_store(desk / STORE_FILE, demo=True, allow_plain=True)
    case = stored_case(store, now)
    store.close()
    pdf = tmp_path / "log.pdf"
    assert (
        main(
            [
                "print",
                "case-log",
                "--person",
                case.person_id,
                "-o",
                str(pdf),
                "--data-dir",
                str(desk),
                "--demo",
                "--as",
                "dm.manager",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["verify", str(pdf), "--data-dir", str(desk), "--demo"]) == 0
    # an inspector with only the published certificate (and not the record)
    ca = tmp_path / "ca.pem"
    assert main(["signing", "export-authority", "-o", str(ca), "--data-dir", str(admin_dir)]) == 0
    assert (
        main(["verify", str(pdf), "--data-dir", str(tmp_path / "inspector"), "--trust", str(ca)])
        == 4
    )


def test_long_names_fit_in_a_certificate() -> None:
    from dutydesk.reports import pki

    authority = pki.new_authority(
        "The Royal Borough of a Very Long Name Indeed upon Thames Children's Services"
    )
    person = pki.issue(authority, display_name="Siobhán " + "Wiśniewska-" * 8, login="s.w")
    assert len(authority.name) <= 64 and len(person.name) <= 64
    assert person.name.startswith("Siobhán Wiśniewska-")


def test_a_desk_without_a_key_refuses_to_print_and_says_how_to_get_one(
    tmp_path: Path, now: datetime, clock
) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.domain.codes import Role
    from dutydesk.domain.events import Actor
    from dutydesk.services.documents import DocumentService
    from dutydesk.services.signing import NoSigningKey, desk_signer
    from dutydesk.store.eventstore import EventStore

    signer, reason = desk_signer(tmp_path, "dm.manager", "Dan Manager", demo=False)
    assert signer is None and "no signing key for dm.manager" in reason
    store = EventStore.open(tmp_path / "s.sqlite3")
    case = stored_case(store, now)
    service = DocumentService(
        store,
        Actor("dm.manager", Role.DUTY_MANAGER, "d"),
        clock,
        signer=signer,
        unsigned_reason=reason,
        office=OfficeHours(),
    )
    with pytest.raises(NoSigningKey, match="An administrator issues one"):
        service.case_log(person_id=case.person_id)
    assert not [e for e in store.events() if e.type.startswith("document.")]
    demo, _ = desk_signer(tmp_path, "dm.manager", "Dan Manager", demo=True)
    assert demo is not None and demo.identity.login == "dm.manager"
    assert KeyFolder(signing_dir(tmp_path)).trust_anchors()  # demo prints verify here
    store.close()


def test_a_demo_signer_makes_its_keys_when_first_used_and_its_prints_verify(
    tmp_path: Path, now: datetime, clock
) -> None:  # type: ignore[no-untyped-def]
    """Start-up no longer pays for the demo's two RSA keys: they are made (and the demo
    authority trusted in the folder) when the first document is signed, as before."""
    from dutydesk.domain.codes import Role
    from dutydesk.domain.events import Actor
    from dutydesk.reports.verify import Verdict
    from dutydesk.services.documents import DocumentService
    from dutydesk.services.signing import DemoSigner, desk_signer
    from dutydesk.store.eventstore import EventStore

    signer, reason = desk_signer(tmp_path, "dm.manager", "Dan Manager", demo=True)
    assert isinstance(signer, DemoSigner) and reason == ""
    store = EventStore.open(tmp_path / "s.sqlite3")
    case = stored_case(store, now)
    service = DocumentService(
        store,
        Actor("dm.manager", Role.DUTY_MANAGER, "Dan Manager"),
        clock,
        signer=signer,
        office=OfficeHours(),
    )
    keys = KeyFolder(signing_dir(tmp_path))
    assert "_made" not in vars(signer) and not keys.trust_anchors()  # nothing made yet
    document = service.case_log(person_id=case.person_id)
    assert document.signed_by == signer.name == signer.identity.name
    assert signer.identity.login == "dm.manager"
    assert [c.subject for c in keys.trust_anchors()] == [signer.identity.chain[-1].subject]
    service.record_printed(document)
    assert service.verify(document.pdf).verdict is Verdict.MATCHES
    store.close()
