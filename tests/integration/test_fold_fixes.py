"""A store folded before the decision-ownership fix is corrected, once, when opened.

The fold now ignores a decision event naming another contact's decision, and a second
recording of an id (``projection._decision``, ``_own_decision``; docs/sync.md "A decision
belongs to one contact"). A desk that folded such events with the older code holds the rows
that code made: the other contact's decision stolen by a second recording (an append
replaced its row under the crafted event's contact), signed off or amended by an event of
another contact, a second author as its decider. Nothing new touches those contacts, so
nothing refolded them: a desk showed them until a full rebuild. Here the stale rows are
written straight into a store, as the old fold left them, and the store opened again as
an upgraded desk opens it: every row equals a whole rebuild of the log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.store import database, fold_fixes
from dutydesk.store.eventstore import EventStore
from dutydesk.store.refold import Refolded
from tests.factories import contact_payload, decision_payload, event


def _log(now: datetime) -> tuple[list[Event], dict[str, str]]:
    a, b, c = contact_payload(), contact_payload(), contact_payload()
    ca, cb, cc = a["contact_id"], b["contact_id"], c["contact_id"]
    d1 = decision_payload(ca)
    d3 = decision_payload(ca, outcome="nfa", threshold_level=1)
    dc = decision_payload(cc, outcome="early_help", threshold_level=2)
    later = now + timedelta(hours=2)
    crafted = [
        event("decision.signed_off", {"contact_id": cb, "decision_id": d3["decision_id"]}, later),
        event(
            "decision.amended",
            {"contact_id": cb, "decision_id": d1["decision_id"], "outcome": "nfa", "reason": "x"},
            later,
            actor="crafter",
        ),
        event(
            "decision.recorded",
            decision_payload(cb, decision_id=d1["decision_id"], outcome="nfa", threshold_level=1),
            later,
            actor="crafter",
        ),
        event("decision.recorded", {**d1, "outcome": "early_help"}, later, actor="dm.other"),
    ]
    log = [
        event("contact.received", a, now),
        event("contact.received", b, now),
        event("contact.received", c, now),
        event("decision.recorded", d1, now, actor="dm.first"),
        event("decision.proposed", d3, now, role=Role.PRACTITIONER, actor="p.worker"),
        event("decision.recorded", dc, now),
        *crafted,
    ]
    ids = {"a": ca, "b": cb, "c": cc, "d1": d1["decision_id"], "d3": d3["decision_id"]}
    return log, ids


def _as_the_old_fold_left_it(path: Path, ids: dict[str, str]) -> None:
    """The rows the fold before 4adba0b/9ea5db9 made of ``_log``'s crafted events, written
    straight into the store, which is then as a store of that time: no fixes recorded."""
    store = EventStore.open(path)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(  # stolen by B's recording, its author and time on it
                "UPDATE decisions SET contact_id = ?, outcome = 'nfa', threshold_level = 1, "
                "decided_by = 'crafter' WHERE decision_id = ?",
                (ids["b"], ids["d1"]),
            )
            conn.exec_driver_sql(  # A's proposal signed off under B
                "UPDATE decisions SET status = 'signed_off', signed_off_by = 'dm.manager', "
                "signed_off_at = decided_at WHERE decision_id = ?",
                (ids["d3"],),
            )
            conn.exec_driver_sql(
                "UPDATE contacts SET decision_ids = ?, outcome = 'nfa', status = 'decided' "
                "WHERE contact_id = ?",
                (json.dumps([ids["d1"]]), ids["b"]),
            )
            conn.exec_driver_sql(
                "DELETE FROM store_meta WHERE key = ?", (database.META_FOLD_FIXES,)
            )
    finally:
        store.close()


def test_an_upgraded_store_refolds_what_the_old_fold_made_of_crafted_decision_events(
    tmp_path: Path, now: datetime
) -> None:
    log, ids = _log(now)
    path = tmp_path / "desk.sqlite3"
    store = EventStore.open(path)
    try:
        store.append(log)
        right = store.read_model()
        store.rebuild()
        assert store.read_model() == right
    finally:
        store.close()
    assert right.decisions[ids["d1"]].contact_id == ids["a"]
    assert right.decisions[ids["d3"]].status == "proposed"

    _as_the_old_fold_left_it(path, ids)
    stale = EventStore(database.make_engine(path))  # read without the opening's repair
    try:
        wrong = stale.read_model()
    finally:
        stale.close()
    assert wrong.decisions[ids["d1"]].contact_id == ids["b"]  # the test's premise
    assert wrong.decisions[ids["d3"]].status == "signed_off"
    assert wrong != right

    store = EventStore.open(path)  # the upgraded desk starts
    try:
        assert store.read_model() == right
        assert store.get_meta(database.META_FOLD_FIXES) == str(database.FOLD_FIXES)
        store.rebuild()
        assert store.read_model() == right
    finally:
        store.close()


def test_the_refold_runs_once_and_a_new_store_never(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = fold_fixes.apply

    def counted(engine: Engine, done: int) -> Refolded:
        calls.append(done)
        return real(engine, done)

    monkeypatch.setattr(fold_fixes, "apply", counted)
    path = tmp_path / "desk.sqlite3"
    store = EventStore.open(path)  # new: made by this code, nothing to refold
    store.append(_log(now)[0])
    store.close()
    assert calls == []
    with database.make_engine(path).begin() as conn:
        conn.exec_driver_sql("DELETE FROM store_meta WHERE key = ?", (database.META_FOLD_FIXES,))
    EventStore.open(path).close()
    EventStore.open(path).close()
    assert calls == [0]
