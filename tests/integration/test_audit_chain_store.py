"""Tampering with the local store by raw SQL is caught by ``dutydesk audit verify``,
which names the event."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dutydesk.app import STORE_FILE
from dutydesk.cli import main
from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import FixedClock
from dutydesk.store.chain import ChainedEventStore, verify_local_chain
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event


@pytest.fixture
def data_dir(tmp_path: Path, clock: FixedClock) -> Path:
    store = ChainedEventStore.open(tmp_path / STORE_FILE)
    store.import_events(generate(5, 300, now=clock.now()))
    store.append([event("contact.received", contact_payload(), clock.now())])
    store.close()
    return tmp_path


def _ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT id FROM events ORDER BY local_seq")]


def _verify(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", "--data-dir", str(data_dir)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_intact_store_verifies(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _verify(data_dir, capsys)
    n = len(_ids(data_dir / STORE_FILE))
    assert code == 0 and f"{n} events verified" in text


def test_edited_payload_is_named(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / STORE_FILE
    victim = _ids(path)[40]
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE events SET payload = json_set(payload, '$.concern', 'nothing') WHERE id = ?",
            (victim,),
        )
    code, text = _verify(data_dir, capsys)
    assert code == 1
    assert f"event {victim} (position 41)" in text and "edited" in text


def test_deleted_event_is_named(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / STORE_FILE
    victim = _ids(path)[10]
    with sqlite3.connect(path) as db:
        db.execute(
            "DELETE FROM event_people WHERE local_seq = "
            "(SELECT local_seq FROM events WHERE id = ?)",
            (victim,),
        )
        db.execute("DELETE FROM outbox WHERE event_id = ?", (victim,))
        db.execute("DELETE FROM events WHERE id = ?", (victim,))
    code, text = _verify(data_dir, capsys)
    assert code == 1 and f"event {victim}" in text and "deleted" in text


def test_deleted_event_and_its_link_is_still_caught(data_dir: Path) -> None:
    path = data_dir / STORE_FILE
    victim = _ids(path)[10]
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE id = ?", (victim,))
        db.execute("DELETE FROM audit_chain WHERE event_id = ?", (victim,))
        db.execute("UPDATE audit_chain SET position = position - 1 WHERE position > 11")
    store = EventStore.open(path)
    verdict = verify_local_chain(store.engine)
    store.close()
    assert verdict.problem is not None
    assert verdict.problem.event_id == _ids(path)[10]
    assert "previous event" in verdict.problem.what


def test_reordered_events_are_named(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / STORE_FILE
    ids = _ids(path)
    a, b = ids[20], ids[21]
    with sqlite3.connect(path) as db:
        seq_a, seq_b = (
            db.execute("SELECT local_seq FROM events WHERE id = ?", (i,)).fetchone()[0]
            for i in (a, b)
        )
        db.execute("UPDATE events SET local_seq = -1 WHERE id = ?", (a,))
        db.execute("UPDATE events SET local_seq = ? WHERE id = ?", (seq_a, b))
        db.execute("UPDATE events SET local_seq = ? WHERE id = ?", (seq_b, a))
    code, text = _verify(data_dir, capsys)
    assert code == 1 and f"event {a} (position 21)" in text and "reordered" in text


def test_event_added_outside_dutydesk_is_named(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_dir / STORE_FILE
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO events (id, type, schema_version, actor, actor_role, device, "
            "client_time, payload) SELECT '0190a0c0-dead-7000-8000-000000000001', type, "
            "schema_version, actor, actor_role, device, client_time, payload FROM events "
            "ORDER BY local_seq LIMIT 1"
        )
    code, text = _verify(data_dir, capsys)
    assert code == 1 and "0190a0c0-dead-7000-8000-000000000001" in text
    assert "not in the audit chain" in text


def test_an_older_store_is_sealed_when_opened(tmp_path: Path, clock: FixedClock) -> None:
    plain = EventStore.open(tmp_path / "old.sqlite3")
    plain.import_events(generate(3, 150, now=clock.now()))
    n = plain.event_count()
    plain.close()
    store = ChainedEventStore.open(tmp_path / "old.sqlite3")
    verdict = store.verify_chain()
    store.close()
    assert verdict.ok and verdict.checked == n


def test_a_later_append_does_not_seal_a_foreign_event(data_dir: Path, clock: FixedClock) -> None:
    path = data_dir / STORE_FILE
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO events (id, type, schema_version, actor, actor_role, device, "
            "client_time, payload) SELECT '0190a0c0-dead-7000-8000-000000000002', type, "
            "schema_version, actor, actor_role, device, client_time, payload FROM events "
            "ORDER BY local_seq LIMIT 1"
        )
    store = ChainedEventStore.open(path)
    store.append([event("contact.received", contact_payload(), clock.now())])
    verdict = store.verify_chain()
    store.close()
    assert verdict.problem is not None
    assert verdict.problem.event_id == "0190a0c0-dead-7000-8000-000000000002"


def test_server_copy_is_checked_with_the_servers_hash_function(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Pulled events carry the server's seq and hashes; the same verifier checks them."""
    from dataclasses import replace

    from dutydesk.domain.audit_chain import GENESIS, chain
    from dutydesk.store.chain import verify_server_copy

    def server_hash(prev: str, e) -> str:  # type: ignore[no-untyped-def]
        import hashlib

        return hashlib.sha256(
            f"{prev}|{e.id}|{e.server_seq}|{e.payload_json()}".encode()
        ).hexdigest()

    pulled, prev = [], GENESIS
    for seq, e in enumerate(generate(9, 120, now=clock.now()), start=1):
        e = replace(e, server_seq=seq)
        ((_, prev_hash, digest),) = chain([e], prev, server_hash)
        pulled.append(replace(e, prev_hash=prev_hash, hash=digest))
        prev = digest
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    store.import_events(pulled)
    assert verify_server_copy(store.engine, server_hash, GENESIS).ok
    victim = pulled[30].id
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        db.execute(
            "UPDATE events SET payload = json_set(payload, '$.x', 1) WHERE id = ?", (victim,)
        )
    verdict = verify_server_copy(store.engine, server_hash, GENESIS)
    store.close()
    assert verdict.problem is not None and verdict.problem.event_id == victim


_TAMPERING = {
    "nothing": [],
    "payload edited": [
        "UPDATE events SET payload = json_set(payload, '$.concern', 'x') WHERE local_seq = 40"
    ],
    "actor edited": ["UPDATE events SET actor = 'someone' WHERE local_seq = 7"],
    "last event edited": [
        "UPDATE events SET client_time = '2020-01-01' WHERE local_seq = "
        "(SELECT max(local_seq) FROM events)"
    ],
    "link hash edited": ["UPDATE audit_chain SET hash = '0' || substr(hash, 2) WHERE position = 3"],
    "link prev edited": ["UPDATE audit_chain SET prev_hash = hash WHERE position = 5"],
    "last link removed": [
        "DELETE FROM audit_chain WHERE position = (SELECT max(position) FROM audit_chain)"
    ],
    "first event removed": [
        "DELETE FROM event_people WHERE local_seq = 1",
        "DELETE FROM outbox WHERE event_id = (SELECT id FROM events WHERE local_seq = 1)",
        "DELETE FROM events WHERE local_seq = 1",
    ],
    "event added at the end": [
        "INSERT INTO events (id, type, schema_version, actor, actor_role, device, client_time, "
        "payload) SELECT '0190a0c0-dead-7000-8000-000000000003', type, schema_version, actor, "
        "actor_role, device, client_time, payload FROM events ORDER BY local_seq LIMIT 1"
    ],
    "link added at the end": [
        "INSERT INTO audit_chain (position, event_id, prev_hash, hash) SELECT position + 1, "
        "'0190a0c0-dead-7000-8000-000000000004', hash, hash FROM audit_chain "
        "ORDER BY position DESC LIMIT 1"
    ],
}


@pytest.mark.parametrize("tampering", list(_TAMPERING))
def test_the_quick_walk_gives_the_verdict_of_the_link_by_link_check(
    data_dir: Path, tampering: str
) -> None:
    """``verify_local_chain`` walks the driver's rows and only on a problem builds links to
    explain it: its verdict is exactly the generic ``verify`` over ``_local_links``."""
    from dutydesk.domain.audit_chain import stored_event_hash, verify
    from dutydesk.store.chain import _clean_links, _IdsOnDemand, _local_links

    path = data_dir / STORE_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        for sql in _TAMPERING[tampering]:
            db.execute(sql)
    store = EventStore.open(path)
    with store.engine.connect() as conn:
        quick = _clean_links(conn)
        generic = verify(
            _local_links(conn),
            hash_fn=stored_event_hash,
            log_ids=_IdsOnDemand(conn, "SELECT id FROM events"),
        )
    verdict = verify_local_chain(store.engine)
    store.close()
    assert verdict == generic
    if tampering == "nothing":
        assert verdict.ok and quick == verdict.checked == len(_ids(path))
    else:
        assert quick is None and not verdict.ok
