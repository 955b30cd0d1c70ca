"""Test set-up shared by every suite: offscreen Qt, throwaway folders, an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import keyring
import pytest
from hypothesis import settings as hypothesis_settings
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# CI explores the same examples every run, so a landing never hangs on a lucky draw;
# developers' runs stay random and find new cases (a failure prints its reproduction).
# No per-example deadline anywhere: a property test checks behaviour, and on a loaded
# machine Hypothesis's 200 ms default failed examples for being slow, not wrong.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in memory (never a file)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def _isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # No machine-wide settings (/etc/xdg/dutydesk) from the computer running the tests.
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(home / "etc-xdg"))
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(_isolated: MemoryKeyring) -> MemoryKeyring:
    return _isolated


@pytest.fixture
def now() -> datetime:
    from dutydesk.domain.clock import LONDON

    return datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


@pytest.fixture
def clock(now: datetime):  # type: ignore[no-untyped-def]
    from dutydesk.domain.clock import FixedClock

    return FixedClock(now)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    from dutydesk.store.eventstore import EventStore

    s = EventStore.open(tmp_path / "store.sqlite3")
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The throwaway PostgreSQL that .ci/run starts. Missing locally: skip; in CI: fail."""
    dsn = os.environ.get("DUTYDESK_TEST_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("DUTYDESK_TEST_PG_DSN is not set in CI: PostgreSQL tests must run")
        pytest.skip("DUTYDESK_TEST_PG_DSN not set (run .ci/run or tests/pg.sh to start one)")
    return dsn


@pytest.fixture(scope="session")
def pg_admin_dsn(pg_dsn: str) -> str:
    """A superuser connection for set-up only (schema, roles); tests act as other roles."""
    dsn = os.environ.get("DUTYDESK_TEST_PG_ADMIN_DSN")
    if not dsn:
        pytest.skip("DUTYDESK_TEST_PG_ADMIN_DSN not set")
    return dsn


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"pg_dsn", "pg_admin_dsn"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pg)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With DUTYDESK_REQUIRE_PG=1 (CI), a skipped PostgreSQL test is a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("pg") and os.environ.get("DUTYDESK_REQUIRE_PG"):
        report.outcome = "failed"
        report.longrepr = (
            f"PostgreSQL test skipped although DUTYDESK_REQUIRE_PG is set: {report.longrepr}"
        )
