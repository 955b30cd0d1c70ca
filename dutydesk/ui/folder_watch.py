"""The watched folder in the window: a timer that hands each poll to the writer thread.

The setting ``watch_folder`` names the folder partners drop files into. Every
``interval_ms`` the folder is polled by ``services.watch.FolderWatcher`` on the task
runner's writer thread (file reads and moves never run on the GUI thread); a poll is not
started while the previous one is still out. When files were imported the window looks
for changes at once, so the new contacts appear rated (see ``services.rating_upkeep``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from ..services.importer import ImportReport
from ..services.watch import FolderWatcher
from .tasks import TaskRunner

POLL_MS = 10_000


class WatchedFolder(QObject):
    def __init__(
        self,
        watcher: FolderWatcher,
        tasks: TaskRunner,
        imported: Callable[[list[ImportReport]], None],
        *,
        interval_ms: int = POLL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("watchedFolder")
        self.watcher = watcher
        self.tasks = tasks
        self.imported = imported
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    @property
    def folder(self) -> Path:
        return self.watcher.folder

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.tasks.submit(self.watcher.poll_once, self._done, self._failed)

    def _done(self, reports: list[ImportReport]) -> None:
        self._busy = False
        if reports:
            self.imported(reports)

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        if self.tasks.on_error is not None:
            self.tasks.on_error(error)
