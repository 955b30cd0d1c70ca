"""Issue 19g: the next pulled batch read on a thread of its own (``sync.readahead``)."""

from __future__ import annotations

import threading
import time

import pytest

from dutydesk.sync.readahead import ReadAhead


def test_the_result_is_what_the_read_returned_read_on_another_thread() -> None:
    ahead = ReadAhead(lambda: threading.current_thread().name)
    assert ahead.result() == "dutydesk-pull-ahead"


def test_what_the_read_raised_is_raised_by_result() -> None:
    def fail() -> None:
        raise ConnectionError("server gone")

    with pytest.raises(ConnectionError, match="server gone"):
        ReadAhead(fail).result()


def test_a_failed_block_still_waits_for_the_read() -> None:
    """The store failed: the read still finishes before the caller goes on, so nothing
    else ever uses the transport's connection while it runs."""
    finished: list[bool] = []

    def read() -> None:
        time.sleep(0.3)  # still reading when the block fails
        finished.append(True)

    with pytest.raises(KeyError), ReadAhead(read):
        raise KeyError("store failed")
    assert finished == [True]
