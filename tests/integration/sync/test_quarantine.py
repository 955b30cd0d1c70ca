"""Desks never stall on a bad event, and notice a server whose history changed (issue 12).

The bad event is put on the server the way it got there before the server validated
payloads: written straight into the log, with a correct hash chain, by the database
superuser (as a server still at migration 0001 accepted it from any login).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dutydesk.cli import main
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store import quarantine
from dutydesk.sync.engine import HistoryChanged
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Desk, Login, plant, reset_server

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[..., Desk]


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    """An empty log, emptied again afterwards so no later test meets a tampered chain."""
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


_plant = plant


def _contact(login: Login, now: datetime) -> Event:
    return event(
        "contact.received", contact_payload(), now, actor=login.name, role=Role(login.group)
    )


def test_a_bad_event_is_quarantined_and_sync_carries_on(
    server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    dm, watcher = make_login("duty_manager"), make_login("duty_manager")
    sender, desk = make_desk(dm), make_desk(watcher)
    before = _contact(dm, now)
    sender.store.append([before])
    sender.engine.sync()
    poison = _plant(
        server,
        Event(
            id=new_id(),
            type="note.added",
            actor=dm.name,
            actor_role="duty_manager",
            device="x",
            client_time=now.isoformat(),
            payload={"text": 42},
        ),
    )
    urgent = _contact(dm, now)
    sender.store.append([urgent])
    sender.engine.sync()

    for _ in range(2):  # and again: the same event is not quarantined twice, nothing stalls
        report = desk.engine.sync()
        assert report.online and not report.warnings, report
        assert desk.store.get_event(before.id) is not None
        assert desk.store.get_event(urgent.id) is not None  # the later, urgent contact arrived
        assert desk.store.get_event(poison.id) is None
        assert report.quarantined_total == 1
    held = quarantine.listing(desk.store.engine)
    assert [(q.event_id, q.server_seq, q.type) for q in held] == [
        (poison.id, poison.server_seq, "note.added")
    ]
    assert "text" in held[0].reason and "expected text" in held[0].reason
    assert "1 received but quarantined" in report.summary()


def _sync_command(
    login: Login,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
) -> tuple[int, str]:
    where = conninfo_to_dict(login.dsn)
    monkeypatch.setenv("DUTYDESK_PASSWORD", "a long test password")
    code = main(
        [
            "sync",
            "--data-dir",
            str(folder),
            "--settings",
            str(folder / "none"),
            "--host",
            str(where["host"]),
            "--port",
            str(where["port"]),
            "--database",
            str(where["dbname"]),
            "--user",
            login.name,
            *extra,
        ]
    )
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_sync_command_lists_the_quarantine(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dm, me = make_login("duty_manager"), make_login("auditor")
    poison = _plant(
        server,
        Event(
            id=new_id(),
            type="contact.assigned",
            actor=dm.name,
            actor_role="duty_manager",
            device="x",
            client_time=now.isoformat(),
            payload={"contact_id": "nope", "assignee": "a"},
        ),
    )
    code, out = _sync_command(me, tmp_path, monkeypatch, capsys, "--quarantine")
    assert code == 0, out
    assert f"quarantined seq {poison.server_seq} contact.assigned {poison.id}" in out
    assert "is not a UUID" in out and "Traceback" not in out
    # the audit check of this desk's copy says what it holds aside, and stays intact
    assert main(["audit", "verify", "--data-dir", str(tmp_path), "--server-copy"]) == 0
    out = capsys.readouterr().out
    assert (
        f"1 pulled event held in quarantine, never applied (sequence {poison.server_seq}; "
        "`dutydesk sync --quarantine`)"
    ) in out


def test_a_rewritten_history_is_named_not_swallowed(
    server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    dm = make_login("duty_manager")
    desk = make_desk(dm)
    events = [_contact(dm, now) for _ in range(4)]
    desk.store.append(events)
    desk.engine.sync()
    desk.engine.sync()  # the desk has now seen the head
    first = desk.store.get_event(events[1].id).server_seq  # type: ignore[union-attr]
    with psycopg.connect(server) as conn:  # edit one event and recompute every hash after it
        conn.execute(
            "UPDATE dutydesk.events SET hash = md5(hash) || md5(hash) WHERE seq >= %s "
            "AND id = ANY(%s::uuid[])",
            (first, [e.id for e in events]),
        )
        conn.execute(
            "UPDATE dutydesk.counter SET last_hash = (SELECT hash FROM dutydesk.events "
            "ORDER BY seq DESC LIMIT 1)"
        )
    with pytest.raises(HistoryChanged, match=f"history changed at seq {first}"):
        desk.engine.sync()


def test_the_sync_command_says_the_history_changed_without_a_traceback(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dm = make_login("duty_manager")
    _plant(server, _contact(dm, now))
    assert _sync_command(dm, tmp_path, monkeypatch, capsys)[0] == 0
    with psycopg.connect(server) as conn:  # the head this desk saw is rewritten
        conn.execute(
            "UPDATE dutydesk.events SET hash = md5(hash) || md5(hash) "
            "WHERE seq = (SELECT last_seq FROM dutydesk.counter)"
        )
    code, out = _sync_command(dm, tmp_path, monkeypatch, capsys)
    assert code == 1 and "the server's history changed at seq" in out
    assert "Traceback" not in out


def test_a_cut_off_tail_is_named_by_a_desk_that_saw_it(
    server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    dm = make_login("duty_manager")
    desk = make_desk(dm)
    events = [_contact(dm, now) for _ in range(3)]
    desk.store.append(events)
    desk.engine.sync()
    desk.engine.sync()
    last = desk.store.get_event(events[-1].id).server_seq  # type: ignore[union-attr]
    with psycopg.connect(server) as conn:  # delete the tail and roll the counter back
        conn.execute("DELETE FROM dutydesk.events WHERE seq >= %s", (last,))
        conn.execute(
            "UPDATE dutydesk.counter SET last_seq = %s, last_hash = (SELECT hash "
            "FROM dutydesk.events WHERE seq = %s)",
            (last - 1, last - 1),
        )
    with pytest.raises(HistoryChanged, match=f"history changed at seq {last}"):
        desk.engine.sync()


def _alerts(admin_dsn: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(admin_dsn) as conn:
        return [
            (r[0], int(r[1]), r[2])
            for r in conn.execute(
                "SELECT login, seq, event_type FROM dutydesk.desk_alerts ORDER BY seq"
            )
        ]


@pytest.fixture
def alerting(server: str) -> Iterator[str]:
    with psycopg.connect(server) as conn:
        conn.execute("DELETE FROM dutydesk.desk_alerts")
    yield server
    with psycopg.connect(server) as conn:
        conn.execute("DELETE FROM dutydesk.desk_alerts")


def test_a_quarantine_alerts_the_administrator_with_no_content(
    alerting: str,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dm, watcher = make_login("duty_manager"), make_login("practitioner")
    poison = _plant(
        alerting,
        Event(
            id=new_id(),
            type="note.added",
            actor=dm.name,
            actor_role="duty_manager",
            device="x",
            client_time=now.isoformat(),
            payload={"text": 42, "secret": "Jane Doe lives here"},
        ),
    )
    desk = make_desk(watcher)
    desk.engine.sync()
    desk.engine.sync()  # reported again: still one alert
    assert _alerts(alerting) == [(watcher.name, poison.server_seq, "note.added")]
    with psycopg.connect(alerting) as conn:
        row = conn.execute("SELECT t::text FROM dutydesk.desk_alerts t").fetchone()
    assert row is not None and "Jane" not in row[0] and "42" not in row[0].split(",")[2]
    assert main(["server", "alerts", "--dsn", alerting]) == 0
    out = capsys.readouterr().out
    assert "1 quarantine alert(s) from desks" in out
    assert f"seq {poison.server_seq} note.added: quarantined on the desk of {watcher.name}" in out
    assert main(["server", "status", "--dsn", alerting]) == 0
    assert "quarantine_alerts: 1" in capsys.readouterr().out


def test_a_login_cannot_forge_read_or_flood_the_alerts(
    alerting: str, make_login: MakeLogin, now: datetime
) -> None:
    dm, boss, co = (make_login("duty_manager"), make_login("admin"), make_login("contact_officer"))
    person = new_id()
    with PgTransport(dm.dsn) as t:  # a person registered, then restricted to dm alone
        secret = event(
            "person.registered",
            {"person_id": person, "given_name": "Hidden"},
            now,
            actor=dm.name,
            role=Role.DUTY_MANAGER,
        )
        assert t.submit([secret])[0].status == "accepted"
    with PgTransport(boss.dsn) as t:
        assert (
            t.submit(
                [
                    event(
                        "record.restricted",
                        {
                            "person_id": person,
                            "allowed": [dm.name],
                            "reason": "staff member's child",
                        },
                        now,
                        actor=boss.name,
                        role=Role.ADMIN,
                    )
                ]
            )[0].status
            == "accepted"
        )
    with psycopg.connect(alerting) as conn:
        (seq,) = conn.execute(
            "SELECT seq FROM dutydesk.events WHERE id = %s", (secret.id,)
        ).fetchone()  # type: ignore[misc]
    hidden = dataclasses.replace(secret, server_seq=int(seq))
    with psycopg.connect(co.dsn, autocommit=True) as conn:
        # an event it may not read, one that does not exist: nothing recorded
        assert conn.execute(
            "SELECT dutydesk.report_quarantine(%s::bigint[])", ([hidden.server_seq, 999_999],)
        ).fetchone() == (0,)
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT dutydesk.report_quarantine(%s::bigint[])", (list(range(1, 1002)),))
        for statement in (
            "SELECT * FROM dutydesk.quarantine_alerts()",
            "SELECT * FROM dutydesk.desk_alerts",
            "INSERT INTO dutydesk.desk_alerts VALUES ('someone', 1, 'x', now())",
            "DELETE FROM dutydesk.desk_alerts",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert _alerts(alerting) == []
    with psycopg.connect(dm.dsn, autocommit=True) as conn:  # in its own name only
        assert conn.execute(
            "SELECT dutydesk.report_quarantine(%s::bigint[])", ([hidden.server_seq],)
        ).fetchone() == (1,)
    assert _alerts(alerting) == [(dm.name, hidden.server_seq, "person.registered")]
    with psycopg.connect(boss.dsn, autocommit=True) as conn:  # an admin login reads them
        assert [r[0] for r in conn.execute("SELECT login FROM dutydesk.quarantine_alerts()")] == [
            dm.name
        ]
