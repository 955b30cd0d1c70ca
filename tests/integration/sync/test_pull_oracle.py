"""Issue 19g: the pull's fast store path against the way it stored events before.

The fast path checks each payload with the spec's compiled code (``schema_fast``) and
writes the canonical text it made once for the chain check (``check_pulled``,
``EventStore.append_pulled``), reading the next batch while it stores one (``readahead``).
The reference desk below stores every pulled batch as before: ``Spec.validate`` on a copy
of each payload, the payload serialised again for its row. Both desks pull the same
server, a synthetic log with awkward events planted mid-batch, and must end with the same
rows: events, hashes, the local audit chain, projections (byte for byte), the quarantine
and the rejected list. A forged event (its payload text not what the server hashed) must
make the fast desk refuse the server as before.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.demo.synthetic import generate
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.event_permissions import may_record
from dutydesk.domain.events import CATALOGUE, SCHEMA_VERSION, Event, canonical_json
from dutydesk.domain.ids import new_id
from dutydesk.domain.schema import Context
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import AppendResult, EventStore
from dutydesk.store.gcpause import collector_paused
from dutydesk.sync.engine import ServerDistrusted, SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import decision_payload, event
from tests.integration.sync.conftest import Login, plant, reset_server

MakeLogin = Callable[[str], Login]


def _reference_check(e: Event) -> Event:
    """``check_envelope`` as it was before issue 19g: ``Spec.validate`` on a copy."""
    at = datetime.fromisoformat(e.client_time)
    if e.schema_version != SCHEMA_VERSION:
        raise ValidationError("schema version", "schema_version")
    spec = CATALOGUE.get(e.type)
    if spec is None:
        raise ValidationError(f"unknown event type {e.type!r}", "type")
    try:
        clean = spec.validate(dict(e.payload), Context(today=at.date()))
    except ValidationError as err:
        raise err.within(e.type) from None
    return dataclasses.replace(e, payload=clean)


class _ReferenceEngine(SyncEngine):
    """Stores each pulled batch the way it was stored before the fast path."""

    def _store_pulled(self, batch: Sequence[Event], texts: Sequence[str]) -> AppendResult:
        checked = [_reference_check(e) for e in batch]
        with collector_paused():
            return EventStore.append(self.store, checked, outbox=False, validate=False)


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    reset_server(pg_server)
    yield pg_server
    reset_server(pg_server)


def _raw(login: Login, now: datetime, event_type: str, payload: dict[str, Any]) -> Event:
    return Event(new_id(), event_type, login.name, login.group, "d", now.isoformat(), payload)


def _submit(login: Login, events: list[Event]) -> None:
    """Whatever of ``events`` the server takes (a short synthetic log has a few events the
    server refuses, such as a route step for a route cut off by the log's start)."""
    with PgTransport(login.dsn) as t:
        for i in range(0, len(events), 200):
            t.submit(events[i : i + 200])


def _synthetic(login: Login, now: datetime, n: int, seed: int) -> list[Event]:
    return [
        dataclasses.replace(e, actor=login.name, actor_role=login.group)
        for e in generate(seed, n, now=now)
        if may_record(Role(login.group), e.type)
    ]


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a pull writes, in a fixed order (the quarantine's time aside)."""
    queries = {
        "events": "SELECT * FROM events ORDER BY local_seq",
        "event_people": "SELECT * FROM event_people ORDER BY local_seq, person_id",
        "audit_chain": "SELECT * FROM audit_chain ORDER BY position",
        "people": "SELECT * FROM people ORDER BY person_id",
        "contacts": "SELECT * FROM contacts ORDER BY contact_id",
        "contact_children": "SELECT * FROM contact_children ORDER BY contact_id, slot",
        "decisions": "SELECT * FROM decisions ORDER BY decision_id",
        "outbox": "SELECT event_id, state, attempts, last_error FROM outbox ORDER BY event_id",
        "quarantine": "SELECT server_seq, event_id, type, reason, envelope FROM quarantine "
        "ORDER BY server_seq",
        "meta": "SELECT key, value FROM store_meta ORDER BY key",
    }
    db = sqlite3.connect(path)
    try:
        return {name: db.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        db.close()


def _desk(folder: Path, login: Login, clock: Any, engine: type[SyncEngine]) -> SyncEngine:
    store = ChainedEventStore.open(folder / "store.sqlite3")
    return engine(store, PgTransport(login.dsn), clock, login=login.name, pull_batch=60)


def test_the_fast_pull_stores_what_the_reference_pull_stores(
    server: str, make_login: MakeLogin, clock: Any, now: datetime, tmp_path: Path
) -> None:
    dm = make_login("duty_manager")
    first = _synthetic(dm, now, 150, seed=3)
    _submit(dm, first)
    contact = next(e for e in first if e.type == "contact.received")
    cid = contact.payload["contact_id"]
    planted = [
        # a payload no desk can take, in the middle of a batch: quarantined
        plant(server, _raw(dm, now, "note.added", {"contact_id": cid, "text": 42})),
        # valid, but its server text is not canonical (spaces, keys out of order): the
        # hash is over the canonical content, so it is stored, as its canonical text
        plant(
            server,
            note := _raw(dm, now, "note.added", {"text": "spaced out", "contact_id": cid}),
            text=json.dumps(dict(reversed(list(note.payload.items()))), indent=1),
        ),
        # valid, not in normal form: stored in normal form (text stripped, upper-case UUID)
        plant(
            server,
            _raw(dm, now, "note.added", {"contact_id": cid.upper(), "text": "  padded \u00a0"}),
        ),
        # text not in normal form alone (the compiled code's own normal form)
        plant(server, _raw(dm, now, "note.added", {"contact_id": cid, "text": "\u00a0 trim "})),
        # an optional field given empty: left out of the stored payload
        plant(
            server,
            _raw(
                dm,
                now,
                "decision.signed_off",
                {"decision_id": new_id(), "contact_id": cid, "comment": ""},
            ),
        ),
        # a list whose items repeat: refused by the unique rule, quarantined
        plant(
            server,
            _raw(
                dm,
                now,
                "conflict.resolved",
                {
                    "contact_id": cid,
                    "decision_ids": [cid, cid],
                    "chosen_decision_id": cid,
                    "reason": "r",
                },
            ),
        ),
    ]
    _submit(dm, _synthetic(dm, now, 150, seed=4))
    # the same kinds again, in a batch where every event passes (stored whole), well clear
    # of the bad ones above
    clean_batch = [
        plant(server, _raw(dm, now, "note.added", {"contact_id": cid, "text": " again\u00a0"})),
        plant(
            server,
            _raw(dm, now, "decision.signed_off", {"decision_id": cid, "contact_id": cid.upper()}),
        ),
    ]
    _submit(dm, _synthetic(dm, now, 150, seed=8))

    # the same event, recorded offline on both desks by a login the server refuses it from
    officer = make_login("contact_officer")
    refused = event(
        "decision.recorded",
        decision_payload(cid),
        now,
        actor=officer.name,
        role=Role.CONTACT_OFFICER,
    )
    fast = _desk(tmp_path / "fast", officer, clock, SyncEngine)
    reference = _desk(tmp_path / "reference", officer, clock, _ReferenceEngine)
    for desk in (fast, reference):
        desk.store.append([refused])
        report = desk.sync()
        assert report.online and report.rejected == 1, report
        assert report.quarantined == 2, report
        desk.transport.close()
        desk.store.close()

    got, want = (
        _tables(tmp_path / "fast/store.sqlite3"),
        _tables(tmp_path / "reference/store.sqlite3"),
    )
    assert len(want["events"]) > 350 and len(want["quarantine"]) == 2
    for name in want:
        assert got[name] == want[name], name
    db = sqlite3.connect(tmp_path / "fast/store.sqlite3")
    stored = dict(db.execute("SELECT id, payload FROM events").fetchall())
    db.close()
    assert planted[0].id not in stored and planted[5].id not in stored  # quarantined
    assert stored[planted[1].id] == canonical_json(planted[1].payload)
    assert json.loads(stored[planted[2].id]) == {"contact_id": cid, "text": "padded"}
    assert json.loads(stored[planted[3].id]) == {"contact_id": cid, "text": "trim"}
    assert json.loads(stored[clean_batch[0].id]) == {"contact_id": cid, "text": "again"}
    assert json.loads(stored[clean_batch[1].id]) == {"contact_id": cid, "decision_id": cid}
    assert json.loads(stored[planted[4].id]) == {
        "contact_id": cid,
        "decision_id": planted[4].payload["decision_id"],
    }


@pytest.mark.parametrize("forged_text", ["spaced", "edited"])
def test_a_payload_text_the_server_hashed_itself_is_refused(
    server: str, make_login: MakeLogin, clock: Any, now: datetime, tmp_path: Path, forged_text: str
) -> None:
    """A payload text that is not what the server hashed: spaces added and the hash made
    over that text (the server hashes the canonical content; a desk that took the text
    as it came would match it), or the payload edited after it was hashed. The desk
    hashes the canonical text of the payload it decoded, so the event does not match its
    hash and the server is refused before anything of that batch is stored."""
    dm = make_login("duty_manager")
    _submit(dm, _synthetic(dm, now, 40, seed=5))
    note = _raw(dm, now, "note.added", {"contact_id": new_id(), "text": "original"})
    text = (
        json.dumps(note.payload, indent=2)
        if forged_text == "spaced"
        else canonical_json({**note.payload, "text": "edited"})
    )
    plant(server, note, text=text, forged=forged_text == "spaced")
    _submit(dm, _synthetic(dm, now, 40, seed=6))
    desk = _desk(tmp_path, make_login("auditor"), clock, SyncEngine)
    with pytest.raises(ServerDistrusted, match="does not match its own hash"):
        desk.sync()
    assert desk.store.get_event(note.id) is None
    desk.transport.close()
    desk.store.close()
