"""Runs sync on its own thread and reports to the GUI by queued signals.

The loop: sync, then wait for a server poke (LISTEN/NOTIFY), a local change
(``request_sync``) or the periodic timeout, whichever comes first; after a failure, wait
the engine's back-off instead. A poke or a local change between full rounds takes the
engine's fast path (``SyncEngine.quick``: pull after a poke, push alone after a local
change); the timeout, and anything the fast path declines, runs a full round. The GUI
thread never touches the network or the store.

This thread writes nothing to the store itself: the engine hands each store write to the
session's writer thread and waits for it (``ui.tasks``). The session owns this thread and
stops it before the writer (``SessionThreads.own``), joining it; a round still running
when the writer has stopped ends at its next write (``WriterClosed``), quietly.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

from ..store.writer import WriterClosed
from ..sync.engine import SyncEngine
from ..sync.transport import RetryableError, SyncError

log = logging.getLogger(__name__)


class SyncController(QObject):
    reported = Signal(object)  # SyncReport
    stopped_with = Signal(str)  # a problem sync cannot get past by retrying

    def __init__(
        self, engine: SyncEngine, *, interval_s: float = 30.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="dutydesk-sync", daemon=True)
            self._thread.start()

    def request_sync(self) -> None:
        """A local event was recorded: push it now rather than at the next poke."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.engine.transport.close()

    def _loop(self) -> None:
        woken_by: str | None = None  # None: a full round is due
        last_full = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = None
                if woken_by is not None and time.monotonic() - last_full < self.interval_s:
                    report = self.engine.quick(pull=woken_by == "poke")
                if report is None:
                    report = self.engine.sync()
                    last_full = time.monotonic()
            except WriterClosed:
                # the session closed mid-round: what the round had not handed over is
                # left for the next session's round (each write is whole or not made)
                log.info("sync stopped: the session closed during a round")
                return
            except SyncError as err:
                self.stopped_with.emit(str(err))
                return
            except Exception as err:  # noqa: BLE001 - shown, never silently lost
                log.exception("sync failed unexpectedly")
                self.stopped_with.emit(f"sync stopped: {type(err).__name__}")
                return
            self.reported.emit(report)
            if report.online:
                woken_by = self._wait_for_poke()
            else:
                woken_by = None
                self._wake.wait(report.retry_in_s or self.engine.backoff_s() or 5.0)

    def _wait_for_poke(self) -> str | None:
        """Why the wait ended: "poke", "local" (something recorded here), or None
        (timeout, stop, a lost connection: a full round next)."""
        waited = 0.0
        step = 0.5  # short slices so stop and local changes are noticed quickly
        while waited < self.interval_s:
            if self._wake.is_set():
                return None if self._stop.is_set() else "local"
            try:
                if self.engine.transport.wait_for_poke(step):
                    return "poke"
            except RetryableError:
                return None  # the next sync reports offline and backs off
            if self.engine.state.waiting_count():
                return "local"  # something was recorded on this desk: push it now
            waited += step
        return None
