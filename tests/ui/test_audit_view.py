"""The audit viewer over a real store: filters, export, verify; model checked by
qtmodeltester."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.audit import AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.audit_view import ALL_CHOICE, AuditModel, AuditView
from dutydesk.ui.tasks import TaskRunner
from tests.document_fixtures import signer_for

# Pictures go to a temporary folder: a test run never writes tracked files
# (DUTYDESK_SCREENSHOTS=docs/screenshots refreshes the README's pictures on purpose).
SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))


@pytest.fixture
def view(qtbot, tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    store.import_events(generate(3, 400, now=clock.now(), open_contacts=10))
    dm = Actor("dm.manager", Role.DUTY_MANAGER, "desk")
    audit = AuditService(GuardedStore(store, dm, clock))
    contacts = [e.contact_id for e in store.events() if e.type == "contact.received"]
    person = next(e.person_ids[0] for e in store.events() if e.type == "person.registered")
    audit.record_view(contact_id=contacts[-1], reason="triage")
    audit.record_print("decision log", contact_id=contacts[-1])
    audit.break_glass(person, "Police called: child reported missing tonight")
    audit.record_disclosure(
        "decision log",
        destination="Police CAIT",
        reason="s47 strategy discussion",
        contact_id=contacts[-2],
    )
    auditor = AuditService(
        GuardedStore(store, Actor("au.ditor", Role.AUDITOR, "desk"), clock),
        signer=signer_for("au.ditor"),
    )
    widget = AuditView(auditor, TaskRunner(synchronous=True))
    qtbot.addWidget(widget)
    widget.resize(1100, 480)
    widget.show()
    yield widget
    store.close()


def test_model_passes_qtmodeltester(qtmodeltester, view: AuditView) -> None:  # type: ignore[no-untyped-def]
    view.refresh()
    assert view.model.rowCount() == 4
    qtmodeltester.check(view.model)
    qtmodeltester.check(AuditModel())


def test_filters_export_and_verify(view: AuditView, tmp_path: Path) -> None:
    view.refresh()
    assert [view.model.entry(r).type for r in range(4)] == [
        "document.exported",
        "access.break_glass",
        "document.printed",
        "record.viewed",
    ]
    view.grab().save(str(SHOTS / "audit-view.png"))
    view.event_type.setCurrentText("access.break_glass")
    view.refresh()
    assert view.model.rowCount() == 1 and "missing tonight" in view.model.entry(0).summary
    view.event_type.setCurrentText(ALL_CHOICE)
    view.actor.setText("nobody.here")
    view.refresh()
    assert view.model.rowCount() == 0 and view.status.text() == "0 entries"
    view.actor.clear()
    view.since.setDate(QDate(2020, 1, 1))
    view.refresh()
    assert view.model.rowCount() > 300  # the whole demo history
    out = tmp_path / "audit.csv"
    view.export_to(out)
    assert out.read_text(encoding="utf-8").count("\n") == view.model.rowCount() + 1
    assert (tmp_path / "audit.csv.p7s").is_file() and "signed in audit.csv.p7s" in (
        view.status.text()
    )
    # without a signing key on this desk: nothing written, and the window says why
    view.service.signer = None
    view.service.unsigned_reason = "this desk has no signing key for au.ditor"
    view.export_to(tmp_path / "unsigned.csv")
    assert not (tmp_path / "unsigned.csv").exists()
    assert view.status.text() == "Not done: this desk has no signing key for au.ditor"
    view.verify()
    assert view.status.text().startswith("Audit chain intact")
