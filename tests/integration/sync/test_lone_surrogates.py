"""Lone surrogates against the sync, written as the attacker.

JSON lets a text say "\\udc80" (half of a UTF-16 pair, alone); Python's json.loads takes it
and gives a str that is not Unicode text: it cannot be written as UTF-8, so it can be
neither hashed nor stored nor sent. The attacks:

- a login submits such a payload: PostgreSQL's jsonb refuses the escape (and "\\u0000"),
  so the server stores nothing;
- a desk whose outbox holds such an event (stored before desks refused it) must not stop
  pushing: the transport refuses the batch, the desk finds the event and marks it rejected;
- someone with database rights writes one into the log (payload text with the escape, a
  hash made over that text): the server never made that hash (it hashes UTF-8 text, which
  cannot hold the escape), so the desk treats it as any event that does not match its
  hash, the documented model: the server is distrusted (``ServerDistrusted``, named and
  recorded), before anything of that batch is stored; not an exception every round.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.ids import new_id
from dutydesk.store.chain import ChainedEventStore
from dutydesk.sync.engine import META_DISTRUST, ServerDistrusted, SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from dutydesk.sync.transport import BatchRefused
from tests.integration.sync.conftest import Login, plant

MakeLogin = Callable[[str], Login]


@pytest.fixture
def server(empty_server: str) -> str:
    return empty_server


def _note(login: Login, now: datetime, text: str) -> Event:
    payload = {"contact_id": new_id(), "text": text}
    return Event(new_id(), "note.added", login.name, login.group, "d", now.isoformat(), payload)


def _head(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn) as conn:
        return int(conn.execute("SELECT last_seq FROM dutydesk.counter").fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize("escape", ["\\udc80", "\\ud800", "a\\udfffb", "\\u0000"])
def test_the_server_refuses_a_lone_surrogate_or_nul_escape(
    server: str, make_login: MakeLogin, now: datetime, escape: str
) -> None:
    pr = make_login("practitioner")
    e = _note(pr, now, "x")
    payload_text = canonical_json(e.payload).replace('"x"', f'"{escape}"')
    envelope = ("id", "type", "schema_version", "actor", "actor_role", "device", "client_time")
    body = json.dumps([{**{k: getattr(e, k) for k in envelope}, "payload_text": payload_text}])
    before = _head(server)
    with psycopg.connect(pr.dsn, autocommit=True) as conn, pytest.raises(psycopg.DataError):
        conn.execute("SELECT * FROM dutydesk.submit(%s::jsonb)", (body,))
    assert _head(server) == before


def test_a_desk_never_stalls_on_an_unsendable_event_in_its_outbox(
    server: str, make_login: MakeLogin, now: datetime
) -> None:
    pr = make_login("practitioner")
    bad, good = _note(pr, now, "\udc80"), _note(pr, now, "fine")
    with PgTransport(pr.dsn) as t:
        with pytest.raises(BatchRefused, match="Unicode"):
            t.submit([good, bad])
        assert [r.status for r in t.submit([good])] == ["accepted"]


def test_a_lone_surrogate_written_into_the_log_distrusts_the_server_and_stores_nothing(
    server: str, make_login: MakeLogin, clock: Any, now: datetime, tmp_path: Path
) -> None:
    dm = make_login("duty_manager")
    first = _note(dm, now, "before")
    with PgTransport(dm.dsn) as t:
        assert [r.status for r in t.submit([first])] == ["accepted"]
    poison = _note(dm, now, "x")
    text = canonical_json(poison.payload).replace('"x"', '"\\udc80"')
    plant(server, poison, text=text, forged=True)  # the hash made over the escaped text
    store = ChainedEventStore.open(tmp_path / "store.sqlite3")
    engine = SyncEngine(store, PgTransport(dm.dsn), clock, login=dm.name)
    try:
        for _ in range(2):  # and every round after, by name, not a crash
            with pytest.raises(ServerDistrusted, match="does not match its own hash"):
                engine.sync()
        assert store.get_event(poison.id) is None
        assert store.get_meta(META_DISTRUST)
    finally:
        engine.transport.close()
        store.close()
