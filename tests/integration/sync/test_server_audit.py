"""``dutydesk audit verify --server``: the shared server's chain checked from outside.

The tampering is done as the database superuser (the only one who can write the table
directly); verify runs as ordinary auditor / admin logins, row-level security on, and must
name the event and say what is wrong.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from dutydesk.app import STORE_FILE
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.chain import ChainedEventStore
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login, reset_server

MakeLogin = Callable[[str], Login]


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    """An empty log, emptied again afterwards so no later test meets a tampered chain."""
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def _submit(login: Login, events: list[Event]) -> None:
    with PgTransport(login.dsn) as t:
        assert {r.status for r in t.submit(events)} == {"accepted"}


def _seed(login: Login, now: datetime, n: int = 8) -> list[Event]:
    events = [
        event("contact.received", contact_payload(), now, actor=login.name, role=Role(login.group))
        for _ in range(n)
    ]
    _submit(login, events)
    return events


def _tamper(admin_dsn: str, *statements: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        for statement in statements:
            conn.execute(statement)


def _verify(login: Login, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--server", "--dsn", login.dsn, *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_an_intact_server_chain_verifies(
    server: str, make_login: MakeLogin, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(make_login("duty_manager"), now)
    code, text = _verify(make_login("auditor"), capsys)
    assert code == 0, text
    assert "intact: 8 events verified up to sequence 8" in text


# (tampering, sequence where verify stops, sequence the named event had before, what)
@pytest.mark.parametrize(
    ("statements", "seq", "was", "kind"),
    [
        (
            (  # an edit that keeps both payload copies consistent
                'UPDATE dutydesk.events SET payload = payload || \'{"concern": "nothing"}\', '
                'payload_text = dutydesk.canonical_json(payload || \'{"concern": "nothing"}\') '
                "WHERE seq = 4",
            ),
            4,
            4,
            "hash mismatch",
        ),
        (
            ('UPDATE dutydesk.events SET payload = payload || \'{"concern": "x"}\' WHERE seq = 5',),
            5,
            5,
            "payload mismatch",
        ),
        (
            ("UPDATE dutydesk.events SET actor = 'someone.else' WHERE seq = 2",),
            2,
            2,
            "hash mismatch",
        ),
        # the columns beside the hashed content (row-level security reads them), checked by
        # the verifier itself, not only by the server's own (replaceable) check function
        (
            ("UPDATE dutydesk.events SET person_ids = ARRAY[gen_random_uuid()] WHERE seq = 3",),
            3,
            3,
            "columns mismatch: the stored person_ids",
        ),
        (
            ("UPDATE dutydesk.events SET contact_id = gen_random_uuid() WHERE seq = 5",),
            5,
            5,
            "columns mismatch: the stored contact_id",
        ),
        (
            ("UPDATE dutydesk.events SET submitted_by = 'someone.else' WHERE seq = 6",),
            6,
            6,
            "columns mismatch: the stored submitted_by",
        ),
        (
            (
                "UPDATE dutydesk.events SET seq = -seq WHERE seq IN (3, 4)",  # swap 3 and 4
                "UPDATE dutydesk.events SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq < 0",
            ),
            3,
            4,
            "prev_hash mismatch",
        ),
    ],
)
def test_tampering_is_named(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
    statements: tuple[str, ...],
    seq: int,
    was: int,
    kind: str,
) -> None:
    named = _seed(make_login("duty_manager"), now)[was - 1].id
    _tamper(server, *statements)
    code, text = _verify(make_login("auditor"), capsys)
    assert code == 1
    assert f"sequence {seq}, event {named}: {kind}" in text
    assert f"BROKEN after {seq - 1} good events" in text


def test_a_deleted_event_is_a_named_gap(
    server: str, make_login: MakeLogin, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = _seed(make_login("duty_manager"), now)
    _tamper(server, "DELETE FROM dutydesk.events WHERE seq = 6")
    code, text = _verify(make_login("admin"), capsys)
    assert code == 1
    assert "sequence 6, no event: sequence gap" in text
    assert f"the next event held is {seeded[6].id}" in text


def test_the_last_event_deleted_is_found_from_the_counter(
    server: str, make_login: MakeLogin, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(make_login("duty_manager"), now)
    _tamper(server, "DELETE FROM dutydesk.events WHERE seq = 8")
    code, text = _verify(make_login("auditor"), capsys)
    assert code == 1 and "sequence 8, no event: sequence gap" in text


def test_restricted_events_are_hidden_from_an_auditor_and_an_admin_yet_checked(
    server: str, make_login: MakeLogin, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    """The RLS caveat, shown: an auditor cannot recompute what it may not read."""
    dm, boss, auditor = make_login("duty_manager"), make_login("admin"), make_login("auditor")
    _seed(dm, now, 3)
    person = new_id()
    hidden = event(
        "contact.received",
        contact_payload(children=[{"person_id": person, "given_name": "Hidden"}]),
        now,
        actor=dm.name,
    )
    _submit(dm, [hidden])
    _submit(
        boss,
        [
            event(
                "record.restricted",
                {"person_id": person, "allowed": [dm.name], "reason": "staff member's child"},
                now,
                actor=boss.name,
                role=Role.ADMIN,
            )
        ],
    )
    _seed(dm, now, 2)
    code, text = _verify(auditor, capsys)
    assert code == 0, text
    # the contact and the restriction itself (it names the child) are hidden
    assert "5 events verified up to sequence 7; 2 hidden from this login" in text
    code, text = _verify(boss, capsys)  # admins administer; they read no restricted content
    assert code == 0 and "5 events verified up to sequence 7; 2 hidden" in text
    assert "7 events (hidden ones included) recomputed" in text
    # Content edited on the hidden event: the server's own walk names it, without content.
    _tamper(server, "UPDATE dutydesk.events SET actor = 'x' WHERE seq = 4")
    for login in (auditor, boss):
        code, text = _verify(login, capsys)
        assert code == 1 and "sequence 4: hash mismatch" in text


def test_a_casework_role_may_not_verify_and_a_dsn_password_is_refused(
    server: str, make_login: MakeLogin, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _verify(make_login("practitioner"), capsys)
    assert code == 2 and "may not read the audit" in text
    auditor = make_login("auditor")
    code, text = _verify(
        Login(auditor.name, "auditor", make_conninfo(auditor.dsn, password="on-the-command-line")),
        capsys,
    )
    assert code == 2 and "must not contain the password" in text
    assert "on-the-command-line" not in text


def test_the_pulled_copy_is_verified_and_tampering_with_it_is_named(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded = _seed(make_login("duty_manager"), now, 5)
    reader = make_login("auditor")
    store = ChainedEventStore.open(tmp_path / STORE_FILE)
    with PgTransport(reader.dsn) as transport:
        assert SyncEngine(store, transport, clock, login=reader.name).sync().pulled == 5
    store.close()
    verify = ["audit", "verify", "--data-dir", str(tmp_path), "--server-copy"]
    assert main(verify) == 0
    assert "this desk's copy) intact: 5 events verified up to sequence 5" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute(
            "UPDATE events SET payload = json_set(payload, '$.concern', 'x') WHERE id = ?",
            (seeded[2].id,),
        )
    assert main(verify) == 1
    err = capsys.readouterr().err
    assert f"sequence 3, event {seeded[2].id}: hash mismatch" in err
