"""Create the QApplication, show the main window, and run the event loop."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from ..services.desk import DeskService
from .main_window import MainWindow
from .tasks import TaskRunner


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName("DutyDesk")
        QCoreApplication.setApplicationName("DutyDesk")
        # Fractional scaling (125 %, 150 %) as the desktop asks, not rounded to 1x or 2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or sys.argv[:1])
    return app  # type: ignore[return-value]


def run_window(service: DeskService, *, demo: bool, store_path: Path,
               screenshot: Path | None = None) -> int:
    app = make_app()
    tasks = TaskRunner(synchronous=screenshot is not None)
    window = MainWindow(service, tasks, demo=demo, store_path=store_path)
    window.show()
    window.reload()
    if screenshot is not None:
        def grab() -> None:
            window.grab().save(str(screenshot))
            window.close()
            app.quit()
        QTimer.singleShot(300, grab)
    code = app.exec()
    tasks.shutdown()
    return int(code)
