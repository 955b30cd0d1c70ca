"""Create the QApplication, show the main window for a signed-in session, run the loop."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from ..services.desk import DeskService
from .main_window import MainWindow
from .palettes import follow_system
from .session import Session, install_features
from .tasks import TaskRunner


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName("DutyDesk")
        QCoreApplication.setApplicationName("DutyDesk")
        app = QApplication(argv or sys.argv[:1])
        follow_system(app)  # the system palette, with every text colour made readable
    return app  # type: ignore[return-value]


def window_settings(demo: bool) -> QSettings:
    """Where the window keeps its size, splitters, column widths and saved views: one
    place for demo stores and another for real ones, so trying the demo never changes
    how a person's real desk opens (``DutyDesk-demo`` beside ``DutyDesk``)."""
    return QSettings(
        QSettings.Format.NativeFormat,
        QSettings.Scope.UserScope,
        "DutyDesk",
        "DutyDesk-demo" if demo else "DutyDesk",
    )


def run_window(
    service: DeskService, session: Session, *, store_path: Path, screenshot: Path | None = None
) -> int:
    app = make_app()
    tasks = TaskRunner(synchronous=screenshot is not None)
    window = MainWindow(
        service,
        tasks,
        demo=session.demo,
        store_path=store_path,
        settings=window_settings(session.demo),
        local_threshold_labels=session.settings.threshold_labels,
    )
    install_features(window, session, tasks)
    window.show()
    window.reload()
    if screenshot is not None:

        def grab() -> None:
            window.grab().save(str(screenshot))
            window.close()
            app.quit()

        QTimer.singleShot(300, grab)
    # the session's threads, the writer included, stopped and joined: on aboutToQuit, and
    # again (a no-op then) when the loop has ended however it ended
    app.aboutToQuit.connect(session.close)
    code = app.exec()
    session.close()
    return int(code)
