"""Secondary indexes set aside while a bulk write fills their tables (``eventstore.
_indexes_set_aside``): a load into an empty store (the log's indexes) and a rebuild (the
projections'). Oracles: the store a fast load leaves equals, table by table and index
definition by definition, the store the load with every index kept up to date leaves; a
load or rebuild that fails or is killed midway leaves every index in place and the store
usable."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.demo.mi_extras import demo_rating
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON
from dutydesk.store import bulkwrite, eventstore
from dutydesk.store.chain import ChainedEventStore
from tests.integration.test_rebuild_fast_paths import _schema

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
LOG_INDEXES = {"ix_events_contact_id", "ix_events_type_local_seq", "ix_event_people_person_id"}


@pytest.fixture(scope="module")
def log() -> list:
    """A generated log, its first third sequenced by the server (pulled)."""
    events = list(Generator(3, now=NOW, open_contacts=30, rate=demo_rating).events(1200))
    cut = len(events) // 3
    return [
        dataclasses.replace(e, server_seq=n) for n, e in enumerate(events[:cut], start=1)
    ] + events[cut:]


@pytest.fixture
def set_aside(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The tables of each ``_indexes_set_aside`` call, as they are made."""
    calls: list[tuple[str, ...]] = []
    real = eventstore._indexes_set_aside

    def watched(conn, tables=eventstore._PROJECTION_TABLES):
        calls.append(tuple(tables))
        return real(conn, tables)

    monkeypatch.setattr(eventstore, "_indexes_set_aside", watched)
    return calls


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the audit chain and the outbox included), in rowid order."""
    db = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: db.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in names}
    finally:
        db.close()


def _integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def _fresh_schema(tmp_path: Path) -> list[tuple[object, ...]]:
    path = tmp_path / "fresh.sqlite3"
    ChainedEventStore.open(path).close()
    return _schema(path)


def _load(path: Path, events: list, *, batch: int = 10_000) -> None:
    store = ChainedEventStore.open(path)
    try:
        store.import_events(events, validate=False, outbox=True, batch=batch)
    finally:
        store.close()


def test_a_load_into_an_empty_store_equals_one_keeping_every_index(
    tmp_path: Path,
    log: list,
    monkeypatch: pytest.MonkeyPatch,
    set_aside: list[tuple[str, ...]],
) -> None:
    """Every table (events, event_people, outbox, audit chain, projections) and every
    index definition equal those of the same load with the log's indexes kept up to date,
    and the schema is a new store's."""
    fast, kept = tmp_path / "fast.sqlite3", tmp_path / "kept.sqlite3"
    _load(fast, log, batch=250)
    assert eventstore._LOG_TABLES in set_aside  # the fast path ran
    monkeypatch.setattr(eventstore, "_LOG_TABLES", ())
    _load(kept, log, batch=250)
    rows = _tables(fast)
    assert len(rows["events"]) == len(log) and rows["event_people"] and rows["audit_chain"]
    assert rows == _tables(kept)
    assert _schema(fast) == _schema(kept) == _fresh_schema(tmp_path)
    assert _integrity(fast) == "ok"


def test_a_load_into_a_store_holding_events_keeps_the_indexes_up_to_date(
    tmp_path: Path,
    log: list,
    set_aside: list[tuple[str, ...]],
) -> None:
    """Into a store that holds events the log's indexes are not rebuilt (that would sort
    the whole log for a few events); the rows and indexes are the same either way."""
    half = len(log) // 2
    path = tmp_path / "s.sqlite3"
    _load(path, log[:half])
    set_aside.clear()
    _load(path, log[half:])
    assert set_aside == [eventstore._PROJECTION_TABLES]  # the rebuild's only
    whole = tmp_path / "whole.sqlite3"
    _load(whole, log)
    assert _tables(path)["events"] == _tables(whole)["events"]
    assert _schema(path) == _schema(whole)


def _failing(events: list, after: int):
    for n, event in enumerate(events):
        if n == after:
            raise RuntimeError("the source broke off")
        yield event


def test_a_load_that_fails_midway_leaves_an_empty_store_with_its_indexes(
    tmp_path: Path,
    log: list,
) -> None:
    path = tmp_path / "s.sqlite3"
    with pytest.raises(RuntimeError, match="broke off"):
        _load(path, _failing(log, 700), batch=250)
    assert _schema(path) == _fresh_schema(tmp_path)
    assert _tables(path)["events"] == []
    _load(path, log)  # usable: the whole load goes in afterwards
    assert len(_tables(path)["events"]) == len(log)
    assert _integrity(path) == "ok"


def test_a_rebuild_that_fails_midway_leaves_the_rows_and_indexes(
    tmp_path: Path,
    log: list,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild drops the projections' indexes first: with nothing written yet, the
    driver would have committed the drops on their own (it begins a transaction only
    before a row is written), so a failed rebuild left the tables without them."""
    path = tmp_path / "s.sqlite3"
    _load(path, log)
    schema, rows = _schema(path), _tables(path)

    def broken(conn, model):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulkwrite, "save_all", broken)
    store = ChainedEventStore.open(path)
    with pytest.raises(RuntimeError, match="disk full"):
        store.rebuild()
    store.close()
    assert _schema(path) == schema
    assert _tables(path) == rows


# A child process that loads (or rebuilds) and is killed midway, without unwinding.
_KILLED = textwrap.dedent(
    """
    import sys
    from tests.integration.test_index_set_aside import killed_midway
    killed_midway(sys.argv[1], sys.argv[2])
    """
)


def killed_midway(path: str, what: str) -> None:
    """(Run in a child.) A load of the module's log, or a rebuild, killed midway."""
    import os

    store = ChainedEventStore.open(path)
    if what == "rebuild":

        def kill(conn, model):
            os._exit(9)

        bulkwrite.save_all = kill
        store.rebuild()
    events = list(Generator(3, now=NOW, open_contacts=30).events(400))

    def source():
        for n, event in enumerate(events):
            if n == len(events) // 2:
                os._exit(9)
            yield event

    store.import_events(source(), validate=False, batch=50)


@pytest.mark.parametrize("what", ["load", "rebuild"])
def test_a_process_killed_midway_leaves_the_indexes_and_a_usable_store(
    tmp_path: Path,
    log: list,
    what: str,
) -> None:
    path = tmp_path / "s.sqlite3"
    if what == "rebuild":
        _load(path, log)
    else:
        ChainedEventStore.open(path).close()
    schema, rows = _schema(path), _tables(path)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _KILLED, str(path), what], cwd=root, capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode()
    assert _schema(path) == schema
    assert _tables(path) == rows
    store = ChainedEventStore.open(path)
    assert store.verify_chain().ok
    store.rebuild()
    store.close()
    assert _integrity(path) == "ok"


def _people_of(path: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return set(
            db.execute(
                "SELECT e.id, p.person_id FROM event_people p JOIN events e USING (local_seq)"
            ).fetchall()
        )
    finally:
        db.close()


def test_event_people_rows_point_at_their_events(
    tmp_path: Path,
    log: list,
) -> None:
    """The local sequences event_people takes from the insert (``_local_seqs``) name each
    event's own row: loads into an empty and a non-empty store, appends of one and many,
    after a deleted last row (SQLite may then reuse its number)."""
    path = tmp_path / "s.sqlite3"
    half = len(log) // 2
    _load(path, log[:half], batch=100)
    store = ChainedEventStore.open(path)
    pulled = [e for e in log[half:] if e.server_seq is None]
    store.append(pulled[:1], validate=False)
    with store.engine.begin() as conn:  # the newest row gone: its number is free again
        conn.exec_driver_sql("DELETE FROM events WHERE id = ?", (pulled[0].id,))
    store.append(pulled[1:300], validate=False)
    store.append(pulled[300:301], validate=False)
    store.close()
    kept = log[:half] + pulled[1:301]
    expected = {(e.id, p) for e in kept for p in e.person_ids}
    assert len(expected) > 300 and _people_of(path) == expected


def test_local_seqs_read_back_when_the_numbers_are_not_the_insert_order(
    tmp_path: Path,
    log: list,
) -> None:
    path = tmp_path / "s.sqlite3"
    _load(path, log[:50])
    store = ChainedEventStore.open(path)
    with store.engine.connect() as conn:
        got = eventstore._local_seqs(conn, log[:50][::-1], [(e, ()) for e in log[:50]])
        seqs: dict[str, int] = dict(
            conn.exec_driver_sql("SELECT id, local_seq FROM events").fetchall()
        )
    store.close()
    assert got == seqs
