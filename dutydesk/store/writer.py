"""Who runs a write to the local store: the seam between a store's writer and the code
that has writes to make from another thread (sync).

A ``StoreWrite`` takes a job (a function that makes its writes, each in a transaction of
its own, and returns a value) and returns the job's value or raises its exception. In
the window it is the session's writer thread (``ui.tasks.TaskRunner.run``): the job runs
there and the calling thread waits for it, so the writer is the only thread that writes to
the store. Without a window (``dutydesk sync`` on the command line, tests without a
session) it is ``inline``: the job runs on the caller's thread.

A job must be short and must never wait on the thread that submitted it (the network,
a lock, another job): the writer runs one job at a time and the window's own work queues
behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class WriterClosed(Exception):
    """The store's writer has stopped (its session closed): nothing more is written."""


class StoreWrite(Protocol):
    """Runs ``job`` where the store's writes are made and returns its result."""

    def __call__(self, job: Callable[[], T], /) -> T: ...


def inline(job: Callable[[], T], /) -> T:
    """The job on the caller's own thread: for a store with no writer thread of its own."""
    return job()
