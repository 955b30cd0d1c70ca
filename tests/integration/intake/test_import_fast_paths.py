"""Oracles for the import's fast paths: each is compared with the path it replaced, on a
real import of awkward input (``import_oracle``), down to every row of every table."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select

from dutydesk.services import rating_upkeep
from dutydesk.store import rating_queries
from dutydesk.store.eventstore import EVENT_PEOPLE, EVENTS, EventStore
from dutydesk.store.queries import OPEN_STATUSES
from dutydesk.store.readmodel import CHILDREN, CONTACTS, _chunks
from tests.integration.intake.import_oracle import run_scenario


def _contacts_to_rerate_sqlalchemy(engine: Engine, after_seq: int, upto_seq: int) -> set[str]:
    """``contacts_to_rerate`` as it was, through SQLAlchemy Core (the reference)."""
    window = (
        EVENTS.c.local_seq > after_seq,
        EVENTS.c.local_seq <= upto_seq,
        EVENTS.c.type.not_in(rating_queries.NOT_RATING_INPUTS),
    )
    with engine.connect() as conn:
        named: dict[str, bool] = {}
        for cid, kind in conn.execute(
            select(EVENTS.c.contact_id, EVENTS.c.type)
            .where(*window, EVENTS.c.contact_id.is_not(None))
            .distinct()
        ):
            named[cid] = named.get(cid, False) or kind in rating_queries.RATES_ITS_CONTACT
        people = set(
            conn.execute(
                select(EVENT_PEOPLE.c.person_id)
                .join(EVENTS, EVENTS.c.local_seq == EVENT_PEOPLE.c.local_seq)
                .where(*window)
                .distinct()
            ).scalars()
        )
        for chunk in _chunks(sorted(named)):
            people |= set(
                conn.execute(
                    select(CHILDREN.c.person_id)
                    .where(CHILDREN.c.contact_id.in_(chunk), CHILDREN.c.person_id.is_not(None))
                    .distinct()
                ).scalars()
            )
        found = {cid for cid, itself in named.items() if itself}
        for chunk in _chunks(sorted(people)):
            found |= {
                cid
                for cid in conn.execute(
                    select(CHILDREN.c.contact_id).where(CHILDREN.c.person_id.in_(chunk)).distinct()
                ).scalars()
                if named.get(cid, True)
            }
        return _open_sqlalchemy(conn, found)


def _open_sqlalchemy(conn: Connection, contact_ids: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(sorted(contact_ids)):
        out |= set(
            conn.execute(
                select(CONTACTS.c.contact_id).where(
                    CONTACTS.c.contact_id.in_(chunk),
                    CONTACTS.c.status.in_(OPEN_STATUSES),
                    CONTACTS.c.received_at != "",
                )
            ).scalars()
        )
    return out


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenario")
    with pytest.MonkeyPatch.context() as m:
        run_scenario(folder, m)
    return folder / "store.sqlite3"


def test_contacts_to_rerate_finds_what_the_sqlalchemy_query_found(scenario_store: Path) -> None:
    store = EventStore.open(scenario_store)
    try:
        with store.engine.connect() as conn:
            newest = conn.execute(
                select(EVENTS.c.local_seq).order_by(EVENTS.c.local_seq.desc())
            ).scalar()
        assert newest and newest > 200
        windows = [(a, b) for a in range(0, newest, 11) for b in (a + 1, a + 60, newest)]
        differed = 0
        for after, upto in windows:
            expected = _contacts_to_rerate_sqlalchemy(store.engine, after, upto)
            assert rating_queries.contacts_to_rerate(store.engine, after, upto) == expected
            differed += bool(expected)
        # The windows hold contacts to rate, both for themselves and through history.
        assert differed > len(windows) // 2
    finally:
        store.close()


def test_import_with_the_sqlalchemy_rerate_query_writes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = run_scenario(tmp_path / "fast", monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(rating_upkeep, "contacts_to_rerate", _contacts_to_rerate_sqlalchemy)
        reference = run_scenario(tmp_path / "reference", monkeypatch)
    assert_same(fast, reference)


def assert_same(fast: dict, reference: dict) -> None:
    assert fast["reports"] == reference["reports"]
    for table, rows in reference["tables"].items():
        assert fast["tables"][table] == rows, table
    # The scenario is awkward enough to mean something.
    reports = reference["reports"]
    main = reports[1]
    assert main["rows_rejected"] >= 4 and main["links_made"] > 0 and main["links_queued"] > 0
    assert main["events_present"] > 0 and main["contacts_rated"] > 0
    assert any("imported before with different content" in e["rule"] for e in main["errors"])
    assert reports[2]["events_added"] == 0 and reports[3]["rows_rejected"] >= 1
    assert reports[3]["events_added"] > 0
