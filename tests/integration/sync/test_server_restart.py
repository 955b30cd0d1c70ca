"""The shared server restarts in the middle of a push: nothing is lost or stored twice.

Needs the throwaway cluster that tests/pg.sh starts (DUTYDESK_TEST_PG_CLUSTER names it);
in CI that is always there, and a skip would fail the run.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import psycopg
import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.sync.pg.transport import PgTransport
from dutydesk.sync.transport import Receipt
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Desk, Login

pytestmark = pytest.mark.pg


@pytest.fixture
def cluster(pg_server: str) -> list[str]:
    named = os.environ.get("DUTYDESK_TEST_PG_CLUSTER", "").split()
    if len(named) != 2:
        pytest.skip("DUTYDESK_TEST_PG_CLUSTER not set (tests/pg.sh start sets it)")
    return named


def restart(cluster: list[str], admin_dsn: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "pg_ctlcluster", *cluster, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for _ in range(100):
        try:
            with psycopg.connect(admin_dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            time.sleep(0.2)
    pytest.fail("the server did not come back after the restart")


class RestartsAfterTwoBatches(PgTransport):
    """Restarts the server just before the third batch leaves the desk."""

    def __init__(self, dsn: str, on_third: Callable[[], None]) -> None:
        super().__init__(dsn)
        self.batches = 0
        self.on_third = on_third

    def submit(self, events: Sequence[Event]) -> list[Receipt]:
        self.batches += 1
        if self.batches == 3:
            self.on_third()
        return super().submit(events)


def stored(admin_dsn: str, ids: list[str]) -> tuple[int, int]:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT id) FROM dutydesk.events WHERE id = ANY(%s::uuid[])",
            (ids,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_server_restart_mid_push_then_every_event_is_stored_once(
    pg_server: str,
    cluster: list[str],
    make_login: Callable[[str], Login],
    make_desk: Callable[[Login], Desk],
    now: datetime,
) -> None:
    desk = make_desk(make_login("duty_manager"))
    desk.transport.close()
    desk.transport = desk.engine.transport = RestartsAfterTwoBatches(  # closed with the desk
        desk.login.dsn, lambda: restart(cluster, pg_server)
    )
    desk.engine.push_batch = 40
    events = [
        event(
            "contact.received",
            contact_payload(),
            now,
            actor=desk.login.name,
            role=Role.DUTY_MANAGER,
        )
        for _ in range(200)
    ]
    desk.store.append(events)

    ids = [e.id for e in events]
    interrupted = desk.engine.sync()
    assert not interrupted.online and "could not be reached" in (interrupted.problem or "")
    assert interrupted.waiting == 120 and stored(pg_server, ids) == (80, 80)  # two batches

    recovered = desk.engine.sync(force=True)
    assert recovered.online and recovered.waiting == 0
    assert stored(pg_server, ids) == (200, 200)  # every event, each once
    assert desk.engine.sync().accepted == 0
