"""Fixtures for the window tests: a demo store, an isolated QSettings file, a window,
and the document fixtures of the printing tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.triage.scoring import SCORER_REVISION
from dutydesk.services.desk import DeskService
from dutydesk.services.drafts import DraftStore
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.tasks import TaskRunner
from tests.document_fixtures import case, documents

__all__ = ["case", "documents", "make_window", "service", "settings"]


def rate(contact, at):  # type: ignore[no-untyped-def]
    """A test rating that spreads contacts over all four ratings and due times, as made
    by this code's scoring revision (a rating that does not say is an older desk's, and
    the window's live poll would re-rate it: docs/triage.md)."""
    n = int(contact["contact_id"][-4:], 16)
    rating = ("red", "amber", "green", "blue")[n % 4]
    due = {"red": 4, "amber": 24, "green": 72, "blue": 200}[rating]
    from datetime import timedelta

    return {
        "contact_id": contact["contact_id"],
        "score": n % 97,
        "rating": rating,
        "reasons": [{"text": f"test reason {n % 5}", "points": n % 7}],
        "policy_version": "test",
        "due_at": (at + timedelta(hours=due)).isoformat(),
        "scorer_revision": SCORER_REVISION,
    }


@pytest.fixture
def service(store: EventStore, clock: FixedClock) -> DeskService:
    store.import_events(generate(11, 600, now=clock.now(), open_contacts=25, rate=rate))
    return DeskService(store, demo_actor(), clock)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, service: DeskService, settings: QSettings, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(svc: DeskService | None = None) -> MainWindow:
        window = MainWindow(
            svc or service,
            TaskRunner(synchronous=True),
            demo=True,
            store_path=tmp_path / "store.sqlite3",
            drafts=DraftStore((svc or service).store, (svc or service).actor.login),
            settings=settings,
            poll_ms=60_000,
        )
        qtbot.addWidget(window)
        window.show()
        window.reload()
        return window

    return make
