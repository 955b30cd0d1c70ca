"""The audit viewer's Quarantined tab (issue 12): opened from the window's Tools menu as
an auditor, it lists the events this desk received from the server and could not apply
(``AuditService.quarantined``, read on the writer thread), with who recorded them by the
name the people directory gives, and hides the reason of one about a restricted record
the reader may not open; a reader the record is restricted to sees it. An empty
quarantine says so in words."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import text

from dutydesk.config.settings import Settings
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.directory import DirectoryEntry, PeopleDirectory
from dutydesk.domain.events import Actor, Event
from dutydesk.domain.ids import new_id
from dutydesk.services.audit import REDACTED_SUMMARY, AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store import quarantine
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import _UNAPPLIABLE
from dutydesk.ui.audit_view import QUARANTINE_EMPTY, AuditView
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner
from tests.document_fixtures import signer_for
from tests.factories import contact_payload, event

SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))
ADMIN = Actor("ad.min", Role.ADMIN, "desk")
AUDITOR = Actor("au.ditor", Role.AUDITOR, "desk")
DM = Actor("dm.manager", Role.DUTY_MANAGER, "desk")  # the restricted record names them
DIRECTORY = PeopleDirectory(
    [
        DirectoryEntry("co.officer", "Cora Officer", Role.CONTACT_OFFICER),
        DirectoryEntry("au.ditor", "Aud Itor", Role.AUDITOR),
        DirectoryEntry("dm.manager", "Dee Manager", Role.DUTY_MANAGER),
    ]
)


def _pulled(
    store: ChainedEventStore,
    payload: object,
    seq: int,
    clock: FixedClock,
    *,
    actor: str = "co.officer",
    client_time: str = "2026-11-26T09:30:00+00:00",
) -> Event:
    """An event as the server hands it over, stored as the sync engine stores a pulled one
    (``EventStore.append``, no outbox); it cannot be applied, so it goes into the
    quarantine with the error that refused it, as ``SyncEngine._store_or_quarantine``
    does."""
    received = Event(
        id=new_id(),
        type="note.added",
        actor=actor,
        actor_role="contact_officer",
        device="other-desk",
        client_time=client_time,
        payload=payload,  # type: ignore[arg-type]
        server_seq=seq,
        server_time="2026-11-26T09:30:01Z",
        hash="a" * 64,
        prev_hash="b" * 64,
    )
    with pytest.raises(_UNAPPLIABLE) as refused:
        EventStore.append(store, [received], outbox=False)
    assert quarantine.add(store.engine, received, str(refused.value), clock.now().isoformat())
    return received


def _open_audit(qtbot, store: ChainedEventStore, actor: Actor, clock: FixedClock) -> AuditView:  # type: ignore[no-untyped-def]
    """The window for ``actor`` with its features installed; Tools > Audit trail."""
    guarded = GuardedStore(store, actor, clock)
    session = Session(
        actor=actor, clock=clock, settings=Settings(), store=store, guarded=guarded, demo=False
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, actor, clock, directory=lambda: DIRECTORY),
        tasks,
        demo=False,
        store_path=Path(store.engine.url.database or ""),
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    window.show()
    next(a for a in window.tools_menu.actions() if a.objectName() == "auditAction").trigger()
    [view] = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, AuditView) and w.isVisible() and w.service.actor == actor
    ]
    qtbot.addWidget(view)
    return view


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, lambda *a, **k: problems.append(str(a[2:])))
    s = ChainedEventStore.open(tmp_path / "s.sqlite3")
    yield s
    s.close()
    assert problems == []


def test_the_quarantined_tab_lists_held_events_and_hides_restricted_reasons(
    qtbot,  # type: ignore[no-untyped-def]
    store: ChainedEventStore,
    clock: FixedClock,
) -> None:
    pid = new_id()
    child = {"person_id": pid, "given_name": "Siobhán", "family_name": "O'Brien"}
    open_contact = contact_payload()
    store.import_events(
        [
            event("person.registered", child, clock.now()),
            event("contact.received", open_contact, clock.now()),
            event("contact.received", contact_payload(children=[child]), clock.now()),
        ]
    )
    AuditService(GuardedStore(store, ADMIN, clock)).restrict(pid, [DM.login], "child of staff")
    plain = _pulled(store, {"contact_id": open_contact["contact_id"], "text": 42}, 7, clock)
    secret = _pulled(store, {"person_id": pid, "text": "x", "secret_row": "1 Secret Row"}, 8, clock)

    view = _open_audit(qtbot, store, AUDITOR, clock)
    # loaded on opening, so the tab says how many are held before anyone clicks it
    assert view.tabs.tabText(1) == "&Quarantined (2)"
    view.tabs.setCurrentIndex(1)
    model = view.quarantine_model
    assert model.rowCount() == 2
    shown = [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(2)]
    assert shown[0][:4] == ["7", "note.added", "Cora Officer (co.officer)", "Contact officer"]
    assert shown[0][4] == "26 Nov 2026 09:30"  # recorded at, in England's time
    assert shown[0][6] == "note.added.text: expected text, got int"
    assert plain.id in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    # about a child whose record is restricted to dm.manager: the auditor may not read it
    assert shown[1][:3] == ["8", "note.added", "Cora Officer (co.officer)"]
    assert shown[1][6] == REDACTED_SUMMARY
    assert "secret_row" not in repr(shown) and "Secret Row" not in repr(shown)
    assert secret.id in model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    assert view.quarantine_table.isVisible() and "2 events held" in view.quarantine_note.text()
    view.resize(1150, 420)
    shot = SHOTS / "audit-quarantine.png"
    assert view.grab().save(str(shot))

    # the duty manager the record is restricted to sees why it was refused
    named = _open_audit(qtbot, store, DM, clock)
    reasons = [named.quarantine_model.entry(r).reason for r in range(2)]
    assert reasons == [
        "note.added.text: expected text, got int",
        "note.added.secret_row: unknown field 'secret_row'",
    ]


def test_an_empty_quarantine_says_so(qtbot, store: ChainedEventStore, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    store.import_events([event("contact.received", contact_payload(), clock.now())])
    view = _open_audit(qtbot, store, AUDITOR, clock)
    view.tabs.setCurrentIndex(1)
    assert view.tabs.tabText(1) == "&Quarantined (0)"
    assert view.quarantine_model.rowCount() == 0
    assert view.quarantine_note.text() == QUARANTINE_EMPTY
    assert not view.quarantine_table.isVisible()
    view.grab().save(str(SHOTS / "audit-quarantine-empty.png"))


def test_the_quarantine_exports_as_a_signed_csv_with_formulas_neutralised(
    qtbot,  # type: ignore[no-untyped-def]
    store: ChainedEventStore,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    """A quarantined event is one this desk could not trust: its login, time and the
    reason quoting its payload may be an attacker's. The export writes them as text a
    spreadsheet never runs, signs the file and records the export."""
    opened = contact_payload()
    store.import_events([event("contact.received", opened, clock.now())])
    _pulled(
        store,
        {"contact_id": opened["contact_id"], "text": 42, '=HYPERLINK("http://x")': 1},
        9,
        clock,
        actor="=cmd|' /C calc'!A0",
        client_time="+1+1",
    )
    view = AuditView(
        AuditService(GuardedStore(store, AUDITOR, clock), signer=signer_for("au.ditor")),
        TaskRunner(synchronous=True),
    )
    qtbot.addWidget(view)
    view.show()
    view.tabs.setCurrentIndex(1)
    assert view.quarantine_export.isVisible()
    out = tmp_path / "quarantine.csv"
    view.export_quarantine_to(out)
    assert view.quarantine_status.text() == (
        f"1 event exported to {out}, signed in quarantine.csv.p7s"
    )
    assert (tmp_path / "quarantine.csv.p7s").is_file()
    [heading, row] = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert heading[:3] == ["seq", "event_id", "type"]
    assert row[3] == "'=cmd|' /C calc'!A0" and row[5] == "'+1+1"
    assert not any(cell[:1] in "=+-@" for cell in row if cell), row
    assert row[7] == "client_time: '+1+1' is not a timestamp"
    exported = [e for e in store.events() if e.type == "document.exported"]
    assert [e.payload["document"] for e in exported] == ["audit quarantine (CSV)"]
    # without a signing key: nothing written, and the tab says why
    view.service.signer = None
    view.service.unsigned_reason = "this desk has no signing key for au.ditor"
    view.export_quarantine_to(tmp_path / "unsigned.csv")
    assert not (tmp_path / "unsigned.csv").exists()
    assert view.quarantine_status.text() == "Not done: this desk has no signing key for au.ditor"


def test_a_malformed_client_time_is_shown_as_received(
    qtbot,  # type: ignore[no-untyped-def]
    store: ChainedEventStore,
    clock: FixedClock,
) -> None:
    opened = contact_payload()
    store.import_events([event("contact.received", opened, clock.now())])
    _pulled(store, {"contact_id": opened["contact_id"], "text": 7}, 4, clock, client_time="soon")
    view = _open_audit(qtbot, store, AUDITOR, clock)
    view.tabs.setCurrentIndex(1)
    model = view.quarantine_model
    assert model.rowCount() == 1
    assert model.data(model.index(0, 4)) == "soon"  # not a time: shown exactly as received
    assert model.data(model.index(0, 5)) == "26 Nov 2026 09:30"  # this desk's own time


def test_a_quarantine_that_cannot_be_read_says_so(
    qtbot,  # type: ignore[no-untyped-def]
    store: ChainedEventStore,
    clock: FixedClock,
) -> None:
    store.import_events([event("contact.received", contact_payload(), clock.now())])
    view = _open_audit(qtbot, store, AUDITOR, clock)
    assert view.tabs.tabText(1) == "&Quarantined (0)"
    with store.engine.begin() as conn:  # the file lost its quarantine table (damaged)
        conn.execute(text(f"DROP TABLE {quarantine.QUARANTINE.name}"))
    view.tabs.setCurrentIndex(1)
    assert view.quarantine_note.text().startswith("Could not read the quarantine: ")
    assert "no such table" in view.quarantine_note.text()
    assert view.tabs.tabText(1) == "&Quarantined"
    assert not view.quarantine_table.isVisible()
