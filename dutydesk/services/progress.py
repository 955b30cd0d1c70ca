"""Reporting progress from long work and cancelling it, without knowing about Qt."""

from __future__ import annotations

from typing import Protocol


class Cancelled(Exception):
    """The person cancelled the work; nothing was written."""


class Progress(Protocol):
    def report(self, done: int, total: int) -> None: ...

    def cancelled(self) -> bool: ...


def step(progress: Progress | None, done: int, total: int) -> None:
    """Report, and stop with ``Cancelled`` if the person asked to."""
    if progress is None:
        return
    if progress.cancelled():
        raise Cancelled()
    progress.report(done, total)
