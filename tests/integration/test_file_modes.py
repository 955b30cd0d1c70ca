"""Issue 13, item 9: what DutyDesk writes is private to the user whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dutydesk.config.logging_setup import configure_logging
from dutydesk.config.settings import Settings, save
from dutydesk.services.documents import write_atomically
from dutydesk.services.drafts import Draft, DraftStore
from dutydesk.store.chain import ChainedEventStore


@pytest.fixture
def open_umask() -> Iterator[None]:
    before = os.umask(0)  # the worst case: everything world-writable unless set
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_drafts_settings_logs_and_printouts_are_private(
    open_umask: None, tmp_path: Path
) -> None:
    store = ChainedEventStore.open(tmp_path / "data" / "dutydesk.sqlite3")
    DraftStore(store, "co.officer").save(Draft("d1", "contact", "2026-11-26", {"a": 1}))
    store.close()
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "dutydesk.sqlite3") == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["dutydesk.sqlite3"]
    save(tmp_path / "config" / "settings.json", Settings())
    assert mode(tmp_path / "config") == 0o700
    assert mode(tmp_path / "config" / "settings.json") == 0o600
    configure_logging(file=tmp_path / "logs" / "dutydesk.log")
    assert mode(tmp_path / "logs") == 0o700 and mode(tmp_path / "logs" / "dutydesk.log") == 0o600
    configure_logging()
    write_atomically(tmp_path / "case-log.pdf", b"%PDF-1.4")
    assert mode(tmp_path / "case-log.pdf") == 0o600
