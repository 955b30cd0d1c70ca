"""Run store work off the GUI thread, results back by queued signal; and the owner of a
session's threads.

Each ``TaskRunner`` is one serial thread. A session has two (``SessionThreads``):

- ``dutydesk-writer``: the only thread that writes to the local store while the window
  runs. It makes the writes of the window and the tools it opens (the queue's actions,
  imports, the watched folder, printing's records, MI exports and records) and the store
  writes of sync (pulled events, outbox marks, sync state, quarantine, checkpoints), and
  the window's own reads, so they are ordered with its writes.
- ``dutydesk-reader``: long reads only (the MI dashboard's load, figures and drill-down),
  so a minute of MI never holds up the queue. It never writes.

Sync runs its rounds on a thread of its own (``SyncController``, registered here so it is
stopped with the rest): a round waits on the server and on connection timeouts, which
must not hold up the queue. Each store write a round makes is handed to the writer as one
short job (``TaskRunner.run``; the seam is ``store.writer.StoreWrite``) and the sync
thread waits for its result; the network waits stay outside the jobs. The writer never
waits on sync, and ``SessionThreads.close`` stops sync before the writer, so the two cannot
deadlock; a job handed over after the writer stopped raises ``WriterClosed`` and the round
ends there, nothing of it written. Tests pass ``synchronous=True`` so work runs inline and
results arrive before the call returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..store.writer import WriterClosed

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]
T = TypeVar("T")


class _Result(QObject):
    finished = Signal(object, object, object)  # callback, value, error


WRITER = "dutydesk-writer"
READER = "dutydesk-reader"


class TaskRunner(QObject):
    def __init__(
        self, *, synchronous: bool = False, name: str = WRITER, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.name = name  # the thread's name (``threading.current_thread().name`` starts so)
        self._pool = None if synchronous else ThreadPoolExecutor(1, name, initializer=self._started)
        self._thread_id: int | None = None  # the pool's one thread, once started
        self._stopped = False
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
        if self._stopped:
            # the session is over (its windows may still deliver a last result): nothing
            # more runs, and nothing is written after the session closed
            log.info("%s stopped: a task after the session closed was not run", self.name)
            return
        future: Future[Any] = self._pool.submit(work)
        future.add_done_callback(
            lambda f: self._bridge.finished.emit(
                (done, failed), None if f.exception() else f.result(), f.exception()
            )
        )

    def run(self, job: Callable[[], T]) -> T:
        """Run ``job`` on this runner's thread and wait for its value (or its exception,
        raised here): how another thread (sync) hands the writer a store write. Inline on
        a synchronous runner and when called from this runner's own thread. After
        ``shutdown`` it raises ``WriterClosed`` and ``job`` is not run."""
        if self._pool is None or threading.get_ident() == self._thread_id:
            return job()
        if self._stopped:
            raise WriterClosed(f"{self.name} has stopped: the session is closed")
        try:
            future = self._pool.submit(job)
        except RuntimeError as err:  # shut down between the check and the submit
            raise WriterClosed(f"{self.name} has stopped: the session is closed") from err
        return future.result()

    def _started(self) -> None:
        self._thread_id = threading.get_ident()

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
        """Finish the work already submitted, join the thread, and run nothing more."""
        if self._pool is not None:
            self._stopped = True
            self._pool.shutdown(wait=True)


class SessionThreads:
    """Every background thread of one signed-in session, with its owner: the writer and
    the reader runners, and whatever else runs a loop of its own (sync, the watched
    folder's timer) registered with ``own``. ``close`` stops them all, newest first, and
    joins the runners' threads; it is connected to ``aboutToQuit`` and safe to call twice.
    """

    def __init__(self, writer: TaskRunner) -> None:
        self.writer = writer
        self.reader = TaskRunner(synchronous=writer.synchronous, name=READER)
        self._stops: list[Callable[[], None]] = []
        self.closed = False

    def own(self, stop: Callable[[], None]) -> None:
        """Stop with the session: ``stop`` is called once, by ``close``."""
        self._stops.append(stop)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        while self._stops:
            self._stops.pop()()
        self.reader.shutdown()
        self.writer.shutdown()
