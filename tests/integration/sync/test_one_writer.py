"""One writer per store (issue 20): in a real window session against the real server, sync
does its network work on its own thread and hands every store write to the session's
writer thread (``SyncEngine.write_through``, ``TaskRunner.run``), while the window writes
through the same thread. SQLite's own trace callback records the thread of every
statement on the desk's store, the driver's included; every statement that changes the
file must have run on ``dutydesk-writer``. Closing the session mid-round stops sync before
the writer; a round whose writer has stopped ends without a traceback, nothing of its
unfinished work written."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from dutydesk.cli import main
from dutydesk.config.settings import Settings
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.shared_mode import SharedSession, connect_shared
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.writer import WriterClosed
from dutydesk.sync.engine import (
    META_CHECKPOINT_KEY,
    META_CHECKPOINT_SEEN,
    META_CURSOR,
    META_DISTRUST,
)
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.sync_controller import SyncController
from dutydesk.ui.tasks import WRITER, TaskRunner
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, seed_contacts
from tests.sqltrace import Statements, trace

PASSWORD = "a long test password"  # make_login's
MakeLogin = Callable[[str], Login]


def _checkpoint(admin_dsn: str, folder: Path) -> None:
    code = main(["server", "checkpoint", "--dsn", admin_dsn, "--checkpoint-dir", str(folder)])
    assert code == 0


@dataclass
class Desk:
    """A signed-in shared-mode window: real writer thread, real sync thread, real server."""

    store: ChainedEventStore
    shared: SharedSession
    session: Session
    window: MainWindow
    tasks: TaskRunner
    statements: Statements
    stopped_with: list[str]

    def pulled(self) -> int:
        return sum(1 for e in self.store.events() if e.server_seq is not None)


@pytest.fixture
def open_desk(qtbot: QtBot, tmp_path: Path, clock: FixedClock) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def open_(login: Login, before: Callable[[Desk], None] | None = None) -> Desk:
        """``before``: run when everything is built, before sync starts."""
        path = tmp_path / f"{login.name}.sqlite3"
        store = ChainedEventStore.open(path)
        statements = trace(store.engine)  # before anything else opens a connection
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
        tasks = TaskRunner()  # the real writer thread, as ``run_window`` makes it
        window = MainWindow(
            DeskService(guarded, shared.actor, clock, directory=shared.people),
            tasks,
            demo=False,
            store_path=path,
            settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
        )
        qtbot.addWidget(window)
        desk = Desk(store, shared, session, window, tasks, statements, [])
        made.append(desk)
        if before is not None:
            before(desk)
        install_features(window, session, tasks)
        window.sync_controller.stopped_with.connect(desk.stopped_with.append)
        window.show()
        return desk

    yield open_
    for desk in made:
        desk.session.close()
        desk.store.close()


def _pull_waits_for(
    go_on: threading.Event, in_round: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Desk], None]:
    """The round's first pull from the server sets ``in_round`` and waits for ``go_on``
    (the network call a round is in when the session closes)."""

    def pausing(desk: Desk) -> None:
        transport = desk.shared.engine.transport
        pull = transport.pull

        def paused(cursor: int, limit: int) -> list[Event]:
            in_round.set()
            assert go_on.wait(30)
            return pull(cursor, limit)

        monkeypatch.setattr(transport, "pull", paused)

    return pausing


def _writes_off_the_writer(desk: Desk) -> list[tuple[str, str]]:
    return [(t, sql[:80]) for t, sql in desk.statements.writes() if t != f"{WRITER}_0"]


def _ours() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("dutydesk")]


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_every_store_write_of_sync_and_the_window_runs_on_the_writer(
    qtbot: QtBot,
    empty_server: str,
    make_login: MakeLogin,
    open_desk: Callable[..., Desk],
    tmp_path: Path,
    now: datetime,
) -> None:
    other = make_login("duty_manager")
    seed_contacts(other, now, 5)
    _checkpoint(empty_server, tmp_path / "admin-checkpoints")  # the desk pins the key, checks it
    login = make_login("duty_manager")

    def refused_on_the_server(desk: Desk) -> None:
        # written past the guard before the session: a role this login does not hold
        forged = event(
            "contact.received", contact_payload(), now, actor=login.name, role=Role.CONTACT_OFFICER
        )
        desk.store.append([forged])
        desk.statements.ran.clear()  # from here on: the session

    desk = open_desk(login, refused_on_the_server)
    state = desk.shared.engine.state
    # the first round: the checkpoint checked, the 5 pulled, the refused one marked
    qtbot.waitUntil(lambda: desk.pulled() == 5 and state.rejected_count() == 1, timeout=20_000)
    # Rounds after pokes and local writes, while the window writes: another desk records
    # contacts (pulled here after its poke), and the window records its own (pushed).
    mine, failures, theirs = [], [], []
    for i in range(6):
        theirs += seed_contacts(other, now, 3)
        payload = contact_payload()
        mine.append(payload["contact_id"])
        desk.tasks.submit(
            lambda p=payload: desk.window.service.record_contact(p), failed=failures.append
        )
        if i % 2:
            qtbot.wait(300)
    qtbot.waitUntil(
        lambda: failures or all(desk.store.get_event(e.id) for e in theirs), timeout=30_000
    )
    assert failures == []
    qtbot.waitUntil(lambda: state.waiting_count() == 0, timeout=30_000)
    held = desk.pulled()  # the 23 pulled and what the window recorded, all on the server
    desk.session.close()
    assert _ours() == []
    assert desk.stopped_with == []

    # the store holds what the rounds wrote
    assert (desk.store.get_meta(META_CHECKPOINT_KEY) or "") != ""
    assert (desk.store.get_meta(META_CHECKPOINT_SEEN) or "").endswith(f" 5 {state.hash_at(5)}")
    assert held > 5 + 18 and desk.store.get_meta(META_CURSOR) == str(held)
    contacts = desk.store.read_model().contacts
    assert all(cid in contacts for cid in mine)

    # Every statement that changed the file ran on the writer: the window's writes, the
    # pulled events with their chain rows, outbox marks, the rejection, the sync state.
    assert _writes_off_the_writer(desk) == []
    assert desk.statements.threads_of(r"INTO events\b") == {f"{WRITER}_0"}
    assert desk.statements.threads_of(r"\b(UPDATE|DELETE FROM) outbox\b") == {f"{WRITER}_0"}
    assert desk.statements.threads_of(r"\bstore_meta\b") == {f"{WRITER}_0"}
    # and sync made its reads on its own thread (the trace sees that thread)
    assert any(t == "dutydesk-sync" for t, _ in desk.statements.ran)


def test_a_server_the_desk_no_longer_trusts_is_refused_and_the_writer_records_it(
    qtbot: QtBot,
    empty_server: str,
    make_login: MakeLogin,
    open_desk: Callable[..., Desk],
    tmp_path: Path,
    now: datetime,
) -> None:
    other = make_login("duty_manager")
    seed_contacts(other, now, 5)
    _checkpoint(empty_server, tmp_path / "admin-checkpoints")
    with psycopg.connect(empty_server) as conn:  # the owner edits signed history
        conn.execute("UPDATE dutydesk.events SET device = 'edited' WHERE seq = 3")
    desk = open_desk(make_login("duty_manager"))
    qtbot.waitUntil(lambda: bool(desk.stopped_with), timeout=20_000)
    [problem] = desk.stopped_with
    assert problem.startswith("THIS DESK NO LONGER TRUSTS THE SERVER: the server's history")
    desk.session.close()
    assert desk.pulled() == 0  # nothing from the edited log was stored
    assert (desk.store.get_meta(META_DISTRUST) or "").endswith(
        "the server's history changed at seq 3: the event there does not match its own hash "
        "(edited)"
    )
    assert _writes_off_the_writer(desk) == []
    assert desk.statements.threads_of(r"\bstore_meta\b") == {f"{WRITER}_0"}


def test_closing_the_session_mid_round_stops_sync_before_the_writer(
    qtbot: QtBot,
    empty_server: str,
    make_login: MakeLogin,
    open_desk: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
) -> None:
    seed_contacts(make_login("duty_manager"), now, 5)
    in_round, closing = threading.Event(), threading.Event()
    stop = SyncController.stop

    def stopping(self: SyncController) -> None:
        closing.set()  # the session's close has reached sync
        stop(self)

    monkeypatch.setattr(SyncController, "stop", stopping)

    desk = open_desk(make_login("duty_manager"), _pull_waits_for(closing, in_round, monkeypatch))
    qtbot.waitUntil(in_round.is_set, timeout=20_000)
    # while the round waits on the server, the window's writes do not wait for it
    started = time.monotonic()
    desk.tasks.run(lambda: desk.window.service.record_contact(contact_payload()))
    assert time.monotonic() - started < 5
    desk.session.close()  # sync first (its round finishes on the writer), then the writer
    assert _ours() == []
    assert desk.stopped_with == [] and _tracebacks(caplog) == []
    assert desk.pulled() == 5 and desk.store.get_meta(META_CURSOR) == "5"
    assert _writes_off_the_writer(desk) == []
    assert desk.statements.threads_of(r"INTO events\b") == {f"{WRITER}_0"}


def test_a_round_whose_writer_stopped_ends_quietly_with_nothing_written(
    qtbot: QtBot,
    empty_server: str,
    make_login: MakeLogin,
    open_desk: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
) -> None:
    seed_contacts(make_login("duty_manager"), now, 5)
    in_round, resume = threading.Event(), threading.Event()

    desk = open_desk(make_login("duty_manager"), _pull_waits_for(resume, in_round, monkeypatch))
    qtbot.waitUntil(in_round.is_set, timeout=20_000)
    desk.tasks.shutdown()  # the writer stops while the round waits on the server
    with pytest.raises(WriterClosed, match="dutydesk-writer has stopped"):
        desk.tasks.run(lambda: None)
    resume.set()
    qtbot.waitUntil(lambda: "dutydesk-sync" not in _ours(), timeout=20_000)
    # the round ended at its first write after that: no traceback, no "sync stopped"
    # for the person, and nothing of the pulled batch written (events or cursor)
    assert desk.stopped_with == [] and _tracebacks(caplog) == []
    assert desk.pulled() == 0 and desk.store.get_meta(META_CURSOR) is None
    assert _writes_off_the_writer(desk) == []
    desk.session.close()
    assert _ours() == []
