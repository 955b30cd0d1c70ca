"""Run store work off the GUI thread: one serial writer, results back by queued signal.

One thread keeps writes ordered (the store has a single writer). Tests pass
``synchronous=True`` so work runs inline and results arrive before the call returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Result(QObject):
    finished = Signal(object, object, object)  # callback, value, error


class TaskRunner(QObject):
    def __init__(self, *, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._synchronous = synchronous
        self._pool = None if synchronous else ThreadPoolExecutor(1, "dutydesk-writer")
        self._bridge = _Result()
        self._bridge.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.on_error: Failed | None = None

    def submit(
        self, work: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        if self._pool is None:
            try:
                value = work()
            except Exception as err:  # noqa: BLE001 - handed to the caller's handler
                self._fail(failed, err)
                return
            if done is not None:
                done(value)
            return
        future: Future[Any] = self._pool.submit(work)
        future.add_done_callback(
            lambda f: self._bridge.finished.emit(
                (done, failed), None if f.exception() else f.result(), f.exception()
            )
        )

    @Slot(object, object, object)
    def _deliver(
        self, callbacks: tuple[Done | None, Failed | None], value: Any, error: BaseException | None
    ) -> None:
        done, failed = callbacks
        if error is not None:
            self._fail(failed, error)
        elif done is not None:
            done(value)

    def _fail(self, failed: Failed | None, error: BaseException) -> None:
        handler = failed or self.on_error
        if handler is None:
            log.error("background task failed: %s", type(error).__name__)
            return
        handler(error)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
