"""Tools ▸ Verify a document or export…: from the window, a file dialog, the check on the
writer thread (the same service as ``dutydesk verify``), and a verdict dialog. A
revocation list the authority publishes into the desk's signing folder is applied: a
revoked signer's document is reported as not trusted."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QPlainTextEdit

from dutydesk.config.settings import Settings
from dutydesk.config.signing_keys import KeyFolder
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.reports import pki
from dutydesk.reports.detached import signature_path
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner
from dutydesk.ui.verify_dialog import VerifyAction, VerifyDialog
from tests.document_fixtures import authority_for_tests, signer_for
from tests.report_cases import Case

DM = Actor("dm.manager", Role.DUTY_MANAGER, "test-desk", display_name="Dan Manager")


@pytest.fixture
def window_and_keys(  # type: ignore[no-untyped-def]
    qtbot, store: EventStore, clock: FixedClock, case: Case, tmp_path: Path
) -> tuple[MainWindow, KeyFolder]:
    keys = KeyFolder(tmp_path / "signing")  # the desk's folder: the authority's certificate
    keys.write_authority_certificate(authority_for_tests().certificate)
    guarded = GuardedStore(store, DM, clock)
    session = Session(
        actor=DM,
        clock=clock,
        settings=Settings(),
        store=store,
        guarded=guarded,
        demo=False,
        signer=signer_for(DM.login, "Dan Manager"),
        keys_dir=keys.folder,
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, DM, clock), tasks, demo=False, store_path=tmp_path / "x"
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    return window, keys


def _verify(qtbot, window: MainWindow, path: Path, monkeypatch) -> VerifyDialog:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    action = next(a for a in window.tools_menu.actions() if a.objectName() == "verifyAction")
    action.trigger()
    verifier: VerifyAction = window.verifier  # type: ignore[attr-defined]
    dialog = verifier.last_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    verifier.last_dialog = None
    return dialog


def _texts(dialog: VerifyDialog) -> tuple[str, str, str]:
    verdict = dialog.findChild(QLabel, "verifyVerdict")
    summary = dialog.findChild(QLabel, "verifySummary")
    details = dialog.findChild(QPlainTextEdit, "verifyDetails")
    assert verdict is not None and summary is not None and details is not None
    return verdict.text(), summary.text(), details.toPlainText()


def test_verify_from_the_window_gives_each_verdict(
    qtbot,  # type: ignore[no-untyped-def]
    window_and_keys: tuple[MainWindow, KeyFolder],
    store: EventStore,
    clock: FixedClock,
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, keys = window_and_keys
    problems: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: problems.append(str(a[2:])))
    documents = window.verifier.service  # type: ignore[attr-defined]
    log = tmp_path / "case-log.pdf"
    documents.export_to_file(documents.case_log(person_id=case.person_id), log)

    dialog = _verify(qtbot, window, log, monkeypatch)
    verdict, summary, details = _texts(dialog)
    assert "MATCHES THE RECORD" in verdict
    assert summary.startswith("Genuine: signed by Dan Manager (dm.manager)")
    assert "chain: trusted" in details and "document: " in details
    shot = os.environ.get("DUTYDESK_VERIFY_SHOT")
    if shot:
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.grab().save(shot)

    audit = AuditService(GuardedStore(store, DM, clock), signer=signer_for(DM.login, "Dan Manager"))
    trail = tmp_path / "audit.csv"
    audit.export_csv_file(AuditFilter(), trail)
    assert "MATCHES THE RECORD" in _texts(_verify(qtbot, window, trail, monkeypatch))[0]
    trail.write_bytes(trail.read_bytes().replace(b"dm.manager", b"dm.mangler", 1))
    verdict, summary, _ = _texts(_verify(qtbot, window, trail, monkeypatch))
    assert "DOCUMENT ALTERED" in verdict and summary.startswith("Altered")
    signature_path(trail).unlink()
    verdict, summary, details = _texts(_verify(qtbot, window, trail, monkeypatch))
    assert "SIGNATURE MISSING" in verdict and "audit.csv.p7s" in details

    # The authority revokes Dan's certificate (a lost laptop) and publishes the list into
    # the desk's signing folder: the same file is no longer trusted, while the window is open.
    serial = signer_for(DM.login, "Dan Manager").identity.certificate.serial_number
    keys.write_revocation_list(
        pki.revocation_list(authority_for_tests(), [(serial, datetime.now(UTC))])
    )
    verdict, summary, details = _texts(_verify(qtbot, window, log, monkeypatch))
    assert "SIGNATURE NOT TRUSTED" in verdict and summary.startswith("Not trusted")
    assert f"serial {serial:X}) was revoked" in details
    shot = os.environ.get("DUTYDESK_VERIFY_REVOKED_SHOT")
    if shot:
        dialog = _verify(qtbot, window, log, monkeypatch)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.grab().save(shot)
    assert problems == []


def test_a_file_that_cannot_be_read_says_so(
    qtbot,  # type: ignore[no-untyped-def]
    window_and_keys: tuple[MainWindow, KeyFolder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, _ = window_and_keys
    problems: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: problems.append(str(a[2])))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "gone.pdf"), "")
    )
    window.verifier.ask()  # type: ignore[attr-defined]
    assert window.verifier.last_dialog is None  # type: ignore[attr-defined]
    assert len(problems) == 1 and "cannot be read" in problems[0]
