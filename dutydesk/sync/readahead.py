"""The next pulled batch read from the server while this desk stores the one before.

A pull alternates: read a batch (the server's work and the wire), then check and store it
(this desk's CPU). The next batch's sequence is known before the store starts, so its
read can run on a thread of its own meanwhile, and the server's time hides behind the
desk's. The read is the very call the loop would make next (same cursor, same limit), only
earlier; nothing is stored from it before the batch ahead of it is stored, and it is
always waited for before the caller goes on (a failed store never leaves a read running
on the transport's connection).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """``read()`` started on a thread now; ``result()`` waits for it and returns what it
    returned (or raises what it raised). As a context manager it is waited for on exit,
    whatever happened in the block."""

    def __init__(self, read: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(read,), name="dutydesk-pull-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, read: Callable[[], T]) -> None:
        try:
            self._value = read()
        except BaseException as err:  # noqa: BLE001 - handed to the caller by result()
            self._error = err

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._thread.join()
