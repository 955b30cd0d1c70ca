"""Oracles for the import's fast paths: each is compared with the path it replaced, on a
real import of awkward input (``import_oracle``), down to every row of every table."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from dutydesk.domain import projection
from dutydesk.domain.projection import Keys, ReadModel
from dutydesk.services import importer as importer_module
from dutydesk.services import rating_upkeep
from dutydesk.store import rating_queries, readmodel
from dutydesk.store.eventstore import EVENT_PEOPLE, EVENTS, EventStore
from dutydesk.store.queries import OPEN_STATUSES
from dutydesk.store.readmodel import CHILDREN, CONTACTS, _chunks
from tests.factories import event
from tests.integration.intake.import_oracle import NOW, run_scenario


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
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The scenario imported by the code as it is: its outcome and its store."""
    folder = tmp_path_factory.mktemp("scenario")
    with pytest.MonkeyPatch.context() as m:
        outcome = run_scenario(folder, m)
    return outcome, folder / "store.sqlite3"


@pytest.fixture
def scenario_store(fast_run: tuple[dict, Path]) -> Path:
    return fast_run[1]


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


def test_changed_since_keeps_exactly_the_rows_folding_replaced(scenario_store: Path) -> None:
    store = EventStore.open(scenario_store)
    try:
        stored = store.read_model()
        model = readmodel.loaded_rows(stored)
        loaded = readmodel.loaded_rows(model)
        contact = min(model.contacts)
        person = min(model.people)
        slot = min(model.children)
        decision = min(model.decisions)
        model.contacts[contact] = projection.replace(model.contacts[contact])  # equal, new
        model.people[person] = projection.replace(model.people[person], given_name="Zed")
        model.children[("new", 0)] = model.children[slot]
        changed = readmodel.changed_since(model, loaded)
        assert set(changed.contacts) == {contact} and set(changed.people) == {person}
        assert set(changed.children) == {("new", 0)} and not changed.decisions
        model.put_decision(projection.replace(model.decisions[decision]))
        assert set(readmodel.changed_since(model, loaded).decisions) == {decision}
    finally:
        store.close()


def _known_ids_sqlalchemy(store: EventStore, ids: Iterable[str]) -> set[str]:
    """The importer's ``_known_ids`` as it was, through SQLAlchemy Core (the reference)."""
    found: set[str] = set()
    with store.engine.connect() as conn:
        for chunk in _chunks(list(dict.fromkeys(ids))):
            found |= set(conn.execute(select(EVENTS.c.id).where(EVENTS.c.id.in_(chunk))).scalars())
    return found


def test_known_ids_are_those_sqlalchemy_found(scenario_store: Path) -> None:
    store = EventStore.open(scenario_store)
    try:
        with store.engine.connect() as conn:
            stored = list(conn.execute(select(EVENTS.c.id)).scalars())
        asked = stored[::3] + [f"00000000-0000-4000-8000-9{i:011d}" for i in range(25_000)]
        asked += stored[:40]  # asked twice
        found = importer_module._known_ids(store, asked)
        assert found == _known_ids_sqlalchemy(store, asked) == set(stored[::3]) | set(stored[:40])
    finally:
        store.close()


@pytest.mark.parametrize("kind", sorted(projection.CONTACT_ROW_ONLY_TYPES))
def test_contact_row_only_events_fold_into_the_contact_row_alone(
    scenario_store: Path, kind: str
) -> None:
    """Folded into the whole stored model, such an event replaces its contact's row and
    nothing else; folded into that row alone, it makes the same row."""
    store = EventStore.open(scenario_store)
    try:
        whole = store.read_model()
    finally:
        store.close()
    cid = next(c for c, row in sorted(whole.contacts.items()) if row.rating and row.received_at)
    assert any(k[0] == cid for k in whole.children)
    payloads: dict[str, dict[str, Any]] = {
        "contact.rated": {
            "contact_id": cid,
            "rating": "amber",
            "score": 41,
            "reasons": [{"code": "X", "text": "A reason.", "points": 41}],
            "policy_version": "other-1",
            "due_at": "2026-11-27T17:00:00+00:00",
        },
        "contact.rating_overridden": {
            "contact_id": cid,
            "from_rating": whole.contacts[cid].rating,
            "to_rating": "red",
            "reason": "Seen by a manager.",
            "approver": "dm.manager",
            "due_at": "2026-11-26T12:00:00+00:00",
        },
    }
    folded = event(kind, payloads[kind], NOW)
    before = readmodel.loaded_rows(whole)
    projection.apply(whole, folded)
    assert readmodel.changed_since(whole, before).people == {}
    changed = readmodel.changed_since(whole, before)
    assert set(changed.contacts) == {cid} and not changed.children and not changed.decisions
    assert whole.children == before.children and whole.decisions == before.decisions
    alone = projection.ReadModel(contacts={cid: before.contacts[cid]})
    projection.apply(alone, folded)
    assert alone.contacts == {cid: whole.contacts[cid]} and not alone.children


_LOAD = readmodel.load


def _load_with_children(conn: Connection, keys: Keys, *, children: bool = True) -> ReadModel:
    """``readmodel.load`` as it was: the child slots of every contact named, always."""
    return _LOAD(conn, keys)


# Each fast path's reference, patched in for a whole import of the scenario.
REFERENCES = {
    "the SQLAlchemy query for contacts to rate again": (
        rating_upkeep,
        "contacts_to_rerate",
        _contacts_to_rerate_sqlalchemy,
    ),
    "the SQLAlchemy query for known ids": (importer_module, "_known_ids", _known_ids_sqlalchemy),
    "every loaded projection row written back": (
        readmodel,
        "changed_since",
        lambda model, loaded: model,
    ),
    "child slots loaded for every append": (readmodel, "load", _load_with_children),
}


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_an_import_by_the_reference_path_writes_the_same(
    fast_run: tuple[dict, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: str
) -> None:
    owner, name, replacement = REFERENCES[reference]
    with monkeypatch.context() as m:
        m.setattr(owner, name, replacement)
        outcome = run_scenario(tmp_path / "reference", monkeypatch)
    assert_same(fast_run[0], outcome)
