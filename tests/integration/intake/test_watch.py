"""The watched folder moves files to processed/ or failed/ with a report."""

from __future__ import annotations

from pathlib import Path

from dutydesk.config.settings import Settings, load, save
from dutydesk.domain.clock import FixedClock
from dutydesk.services.watch import FolderWatcher
from dutydesk.store.eventstore import EventStore
from tests.factories import signed_in

from .test_partner_files import BAD_ROWS, GOOD, HEADER


def test_files_are_imported_once_stable_and_moved(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_text(HEADER + "\n" + GOOD + "\n", encoding="utf-8")
    (inbox / "bad.csv").write_text(HEADER + "\n" + BAD_ROWS["bad nhs"][0] + "\n", encoding="utf-8")
    (inbox / "notes.txt").write_text("ignored")
    watcher = FolderWatcher(inbox, signed_in(store, clock), clock)
    assert watcher.poll_once() == []  # first sight: wait for the size to settle
    reports = watcher.poll_once()
    assert sorted(r.file for r in reports) == ["bad.csv", "good.csv"]
    processed = sorted(p.name for p in (inbox / "processed").iterdir())
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert processed == ["good.20261126T093000.csv", "good.20261126T093000.csv.report.txt"]
    assert "bad.20261126T093000.csv" in failed
    assert "bad.20261126T093000.rejected.csv" in failed
    report = (inbox / "failed" / "bad.20261126T093000.csv.report.txt").read_text()
    assert "check digit" in report
    assert (inbox / "notes.txt").exists()
    assert store.event_count() == 2  # the contact and its rating


def test_watch_folder_setting_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save(path, Settings(watch_folder="/srv/partner-drop"))
    assert load(path).watch_folder == "/srv/partner-drop"
    assert Settings().watch_folder == ""
