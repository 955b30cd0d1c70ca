"""The composition root end to end (a real process), and which tools each role gets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dutydesk.config.settings import Settings
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner

ROOT = Path(__file__).resolve().parents[2]


def app_env(tmp_path: Path) -> dict[str, str]:
    """A child process's environment: offscreen, its own folders, no secure keyring."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def run_main(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_demo_starts_signs_in_and_renders_a_rated_queue(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    done = run_main(
        tmp_path,
        "--demo",
        "--demo-events",
        "600",
        "--data-dir",
        str(tmp_path / "d"),
        "--as",
        "sw.practitioner",
        "--screenshot",
        str(shot),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.stat().st_size > 20_000
    log = (tmp_path / "d" / "dutydesk.log").read_text(encoding="utf-8")
    assert "demo store filled" in log


def test_real_data_is_refused_without_a_secure_keyring(tmp_path: Path) -> None:
    done = run_main(tmp_path, "--data-dir", str(tmp_path / "real"))
    assert done.returncode == 2
    assert "keyring" in done.stderr.lower()
    assert not (tmp_path / "real" / "dutydesk.sqlite3").exists()


def test_unknown_demo_user_is_named(tmp_path: Path) -> None:
    done = run_main(
        tmp_path,
        "--demo",
        "--demo-events",
        "200",
        "--data-dir",
        str(tmp_path / "d"),
        "--as",
        "nobody",
    )
    assert done.returncode == 1
    assert "'nobody' is not a demo user" in done.stderr


@pytest.mark.parametrize(
    "role, expected, absent",
    [
        (
            Role.DUTY_MANAGER,
            {"importAction", "miAction", "auditAction", "letterFamilyAction", "pendingLinksAction"},
            set(),
        ),
        (Role.CONTACT_OFFICER, {"importAction", "letterFamilyAction"}, {"miAction", "auditAction"}),
        (Role.AUDITOR, {"miAction", "auditAction"}, {"importAction", "pendingLinksAction"}),
    ],
)
def test_tools_follow_the_permission_table(
    qtbot,
    tmp_path: Path,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    role: Role,
    expected: set[str],
    absent: set[str],
) -> None:
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    actor = Actor(login=f"user.{role.value}", role=role, device="t")
    guarded = GuardedStore(store, actor, clock)
    session = Session(
        actor=actor, clock=clock, settings=Settings(), store=store, guarded=guarded, demo=True
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, actor, clock), tasks, demo=True, store_path=tmp_path / "s.sqlite3"
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    names = {a.objectName() for a in window.tools_menu.actions()}
    assert expected <= names
    assert not (absent & names)


def test_every_tool_opens_for_a_duty_manager(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each Tools entry really opens its window (not only appears in the menu)."""
    from PySide6.QtWidgets import QApplication, QWidget

    from dutydesk.demo.synthetic import generate

    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    from PySide6.QtWidgets import QMessageBox

    problems: list[str] = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, lambda *a, **k: problems.append(str(a[2:])))
    store.import_events(generate(5, 400, now=clock.now(), open_contacts=10))
    actor = Actor(login="dm.manager", role=Role.DUTY_MANAGER, device="t")
    guarded = GuardedStore(store, actor, clock)
    session = Session(
        actor=actor, clock=clock, settings=Settings(), store=store, guarded=guarded, demo=True
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, actor, clock), tasks, demo=True, store_path=tmp_path / "s.sqlite3"
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    window.show()
    window.reload()
    window.select_contact(window.model.ids()[0])
    window.actions_by_name["open"].trigger()  # a recorded view: the audit trail shows it
    for name, title in (
        ("miAction", "management information"),
        ("auditAction", "audit trail"),
        ("importAction", "Import"),
        ("pendingLinksAction", "match"),
    ):
        action = next(a for a in window.tools_menu.actions() if a.objectName() == name)
        action.trigger()
        qtbot.wait(50)
        opened = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QWidget)
            and w is not window
            and w.isVisible()
            and title.casefold() in w.windowTitle().casefold()
        ]
        assert opened, f"{name} opened nothing"
        if name == "miAction":  # the figures really compute (on the dashboard's thread)
            from PySide6.QtWidgets import QLabel

            status = opened[0].findChild(QLabel, "miStatus")
            qtbot.waitUntil(
                lambda s=status: "–" in s.text() or "Could not" in s.text(), timeout=20_000
            )
            assert "Could not" not in status.text(), status.text()
        if name == "auditAction":  # the trail is loaded, not an empty table
            from dutydesk.ui.audit_view import AuditView

            view = opened[0]
            assert isinstance(view, AuditView)
            qtbot.waitUntil(lambda v=view: v.model.rowCount() == 1, timeout=10_000)
        for w in opened:
            w.close()
    assert problems == []
    from dutydesk.ui.printing import PreviewDialog

    window.actions_by_name["print"].trigger()  # the case log of the selected contact
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, PreviewDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
        ),
        timeout=10_000,
    )
    assert problems == []
    store.close()
