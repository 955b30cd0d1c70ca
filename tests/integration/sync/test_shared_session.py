"""Shared mode as the window starts it: identity from the server, sync on its own thread,
the status bar following it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.config.settings import Settings
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.shared_mode import SharedSignInError, connect_shared
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload
from tests.integration.sync.conftest import Login

PASSWORD = "a long test password"  # make_login's


def test_identity_and_role_come_from_the_server(
    pg_server: str, make_login: Callable[[str], Login], tmp_path: Path, clock: FixedClock
) -> None:
    login = make_login("senior_practitioner")
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    shared = connect_shared(login.dsn, PASSWORD, store, clock)
    assert shared.actor.login == login.name and shared.actor.role is Role.SENIOR_PRACTITIONER
    assert shared.verify_password(login.name, PASSWORD)
    assert not shared.verify_password(login.name, "wrong")
    assert not shared.verify_password("someone.else", PASSWORD)
    shared.engine.transport.close()
    store.close()


def test_a_role_the_login_does_not_hold_is_refused(
    pg_server: str, make_login: Callable[[str], Login], tmp_path: Path, clock: FixedClock
) -> None:
    login = make_login("practitioner")
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    with pytest.raises(SharedSignInError, match="duty_manager"):
        connect_shared(login.dsn, PASSWORD, store, clock, role="duty_manager")
    store.close()


def test_the_window_syncs_what_the_desk_records(
    qtbot,
    pg_server: str,
    make_login: Callable[[str], Login],
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
    now: datetime,
) -> None:
    login = make_login("duty_manager")
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    shared = connect_shared(login.dsn, PASSWORD, store, clock)
    guarded = GuardedStore(store, shared.actor, clock)
    session = Session(
        actor=shared.actor,
        clock=clock,
        settings=Settings(),
        store=store,
        guarded=guarded,
        demo=False,
        verify_password=shared.verify_password,
        sync_engine=shared.engine,
    )
    desk = DeskService(guarded, shared.actor, clock)
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(desk, tasks, demo=False, store_path=tmp_path / "s.sqlite3")
    qtbot.addWidget(window)
    desk.record_contact(contact_payload())
    install_features(window, session, tasks)
    qtbot.waitUntil(lambda: window.status_sync.text() == "Sync: online", timeout=60_000)
    qtbot.waitUntil(lambda: shared.engine.state.waiting_count() == 0, timeout=60_000)
    window.sync_controller.stop()  # joins the sync thread and closes its connection
    window.close()
    store.close()


def test_what_the_server_refused_is_shown_from_the_status_bar(
    qtbot,
    monkeypatch: pytest.MonkeyPatch,
    pg_server: str,  # type: ignore[no-untyped-def]
    make_login: Callable[[str], Login],
    tmp_path: Path,
    clock: FixedClock,
    now: datetime,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from dutydesk.ui.sync_status import SyncStatusWidget
    from tests.factories import decision_payload, event

    login = make_login("contact_officer")
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    shared = connect_shared(login.dsn, PASSWORD, store, clock)
    received = event(
        "contact.received", contact_payload(), now, actor=login.name, role=Role.CONTACT_OFFICER
    )
    # Written past the desk's own guard: the server is the line that must hold.
    forged = event(
        "decision.recorded",
        decision_payload(received.payload["contact_id"]),
        now,
        actor=login.name,
        role=Role.CONTACT_OFFICER,
    )
    store.append([received, forged])
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    guarded = GuardedStore(store, shared.actor, clock)
    session = Session(
        actor=shared.actor,
        clock=clock,
        settings=Settings(),
        store=store,
        guarded=guarded,
        demo=False,
        sync_engine=shared.engine,
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, shared.actor, clock),
        tasks,
        demo=False,
        store_path=tmp_path / "s.sqlite3",
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    qtbot.waitUntil(lambda: shared.engine.state.rejected_count() == 1, timeout=60_000)
    status = window.findChild(SyncStatusWidget)
    status.rejected.click()
    assert shown and "decision.recorded" in shown[0]
    window.sync_controller.stop()
    window.close()
    store.close()
