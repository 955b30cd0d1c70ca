"""The session owns its threads: store writes go to the one writer thread, long MI reads
to the reader, and closing the window and the session leaves no DutyDesk thread alive.
Real runners (not the synchronous ones other UI tests use), real store, real widgets."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QAction

from dutydesk.domain.clock import FixedClock
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.writer import WriterClosed
from dutydesk.ui.import_wizard import ImportWizard
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.mi_dashboard import MiDashboard
from dutydesk.ui.session import install_features
from dutydesk.ui.tasks import READER, WRITER, TaskRunner
from tests.ui.every_window import demo_session, demo_window


def _ours() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("dutydesk"))


def _tool(window: MainWindow, name: str) -> QAction:
    return next(a for a in window.tools_menu.actions() if a.objectName() == name)


def test_writes_run_on_the_writer_and_no_thread_outlives_the_session(
    qtbot, tmp_path: Path, clock: FixedClock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    session = demo_session(tmp_path, clock)
    writers: list[str] = []  # the thread of every insert into the store from here on
    insert = ChainedEventStore._insert

    def recorded(self, conn, events, **kw):  # type: ignore[no-untyped-def]
        writers.append(threading.current_thread().name)
        return insert(self, conn, events, **kw)

    monkeypatch.setattr(ChainedEventStore, "_insert", recorded)
    tasks = TaskRunner()
    window = demo_window(qtbot, tmp_path, session, tasks)
    install_features(window, session, tasks)
    assert session.threads is not None and session.threads.writer is tasks
    window.show()
    window.reload()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20_000)

    # a queue action writes on the writer thread
    window.select_contact(window.model.ids()[0])
    window.actions_by_name["take"].trigger()
    qtbot.waitUntil(lambda: "taken" in window.status_message.text(), timeout=20_000)

    # the MI dashboard loads on the reader and records on the writer
    _tool(window, "miAction").trigger()
    dashboard = next(w for w in session.open_windows if isinstance(w, MiDashboard))
    qtbot.addWidget(dashboard)  # closed and deleted after the test, like the window
    assert dashboard.tasks is session.threads.reader and dashboard.writer is tasks
    qtbot.waitUntil(lambda: bool(dashboard.figures), timeout=60_000)
    dialog = dashboard.record_supervision()
    assert dialog is not None
    dialog.worker.setEditText("Sam Worker")
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog._save()

    # the import wizard is handed the writer, not a runner of its own
    _tool(window, "importAction").trigger()
    wizard = window.findChild(ImportWizard)
    assert wizard is not None and wizard.runner is tasks
    wizard.reject()

    assert len(writers) >= 2 and set(writers) == {f"{WRITER}_0"}
    assert {f"{WRITER}_0", f"{READER}_0"} <= set(_ours())  # both were running

    dashboard.close()
    window.close()
    session.close()
    assert _ours() == []
    session.close()  # a second close (aboutToQuit after the loop ended) is harmless


def test_a_job_handed_to_the_writer_runs_there_and_its_caller_waits_for_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    writer = TaskRunner()
    on = lambda: threading.current_thread().name  # noqa: E731
    assert writer.run(on) == f"{WRITER}_0"
    # a job that hands over another runs it inline on the writer (no wait on itself)
    assert writer.run(lambda: writer.run(on)) == f"{WRITER}_0"

    def refused() -> None:
        raise ValueError("the job's own error")

    with pytest.raises(ValueError, match="the job's own error"):  # raised to the caller
        writer.run(refused)
    ran: list[str] = []
    writer.shutdown()
    with pytest.raises(WriterClosed, match=f"{WRITER} has stopped"):
        writer.run(lambda: ran.append("ran"))
    assert ran == []  # not run after the writer stopped
    assert TaskRunner(synchronous=True).run(on) == threading.current_thread().name
