"""What the window shows when sync stops on a problem retrying cannot fix (issue 12): a
server whose event rules another DutyDesk version wrote (migration 0010's digest guard).
A real window and a real sync thread against the real server; the picture is looked at."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dutydesk.domain import server_rules
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.directory import PeopleDirectory
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.sync.pg import admin
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import start_sync
from dutydesk.ui.sync_status import SyncStatusWidget
from dutydesk.ui.tasks import TaskRunner
from tests.integration.sync.conftest import Desk, Login

SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))
_real_rules = server_rules.rules
NAMED = "the server's event rules were written by a different DutyDesk version"


def _old_release_rules() -> dict[str, dict[str, Any]]:
    rules = _real_rules()
    rules["contact.received"]["required"].append("immediate_danger")
    return rules


@pytest.fixture
def other_rules(pg_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server upgraded by the previous release (other rules); restored after."""
    monkeypatch.setattr(server_rules, "rules", _old_release_rules)
    admin.upgrade(pg_server)
    monkeypatch.undo()
    yield
    admin.upgrade(pg_server)


def test_a_server_with_other_rules_stops_sync_with_the_reason_in_the_status_bar(
    qtbot: QtBot,
    other_rules: None,
    make_login: Callable[[str], Login],
    make_desk: Callable[[Login], Desk],
    clock: FixedClock,
    now: datetime,
) -> None:
    desk = make_desk(make_login("duty_manager"))
    actor = Actor(desk.login.name, Role.DUTY_MANAGER, "desk")
    guarded = GuardedStore(desk.store, actor, clock)
    window = MainWindow(
        DeskService(guarded, actor, clock, directory=lambda: PeopleDirectory([])),
        TaskRunner(synchronous=True),
        demo=False,
        store_path=Path(desk.store.engine.url.database or ""),
    )
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    controller = start_sync(window, desk.engine, window.tasks)
    [status] = window.findChildren(SyncStatusWidget)
    # ``stopped_with`` reaches its two slots as two queued calls: wait for both (under
    # load the check ran between them and the window still said "connecting…")
    qtbot.waitUntil(
        lambda: status.state.text() == "⚠ Stopped" and window.status_sync.text() == "Sync: STOPPED",
        timeout=60_000,
    )
    controller.stop()
    # The status bar: short words that are not cut off, the whole reason as tooltips.
    assert window.status_sync.text() == "Sync: STOPPED"
    for tip in (window.status_sync.toolTip(), status.state.toolTip()):
        assert tip.startswith(NAMED) and "`dutydesk server upgrade` with this version" in tip
    # The whole message, once, in a window that does not block the desk's own work.
    box = window.sync_stopped_box
    assert box.isVisible() and not box.isModal()
    assert box.informativeText() == "T" + window.status_sync.toolTip()[1:]
    assert "keeps working on its own copy" in box.text()
    window.grab().save(str(SHOTS / "sync-stopped-status-bar.png"))
    box.grab().save(str(SHOTS / "sync-stopped-message.png"))
    box.close()
