"""Decision ids shared at random between three contacts, by every decision event kind
(recorded, proposed, signed off, amended, returned, conflicts resolved), as a crafted or
careless partner's events may (the server checks shapes, not whose decision an id is).
Each log is stored four ways: pulled in a shuffled order with every late event's scopes
refolded as the sync engine does (``engine._store_batch``), rebuilt in slices, and
appended in order; each must equal one whole fold (``projection.apply_all``). Before
fbabb67 most seeds failed (39 of 60)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain import projection
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, canonical_json
from dutydesk.store import eventstore
from dutydesk.store.eventstore import EventStore
from dutydesk.store.refold import refold, scopes_of
from tests.factories import contact_payload, decision_payload, event
from tests.integration.test_decisions_of_another_contact import _comparable

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
KINDS = ["recorded", "proposed", "signed_off", "amended", "returned", "resolved"]


def _log(rng: random.Random) -> list[Event]:
    contacts = [contact_payload() for _ in range(3)]
    cids = [c["contact_id"] for c in contacts]
    ids = [decision_payload(cids[0])["decision_id"] for _ in range(4)]
    log = [event("contact.received", c, NOW) for c in contacts]
    for _ in range(rng.randint(4, 14)):
        kind, cid, did = rng.choice(KINDS), rng.choice(cids), rng.choice(ids)
        named: dict[str, Any] = {"contact_id": cid, "decision_id": did}
        if kind == "recorded":
            p = decision_payload(cid, decision_id=did, outcome=rng.choice(["nfa", "strategy_s47"]))
            if p["outcome"] == "nfa":
                p["threshold_level"] = 1
            log.append(event("decision.recorded", p, NOW))
        elif kind == "proposed":
            p = decision_payload(cid, decision_id=did, outcome="early_help", threshold_level=2)
            log.append(event("decision.proposed", p, NOW, role=Role.PRACTITIONER, actor="p.w"))
        elif kind == "signed_off":
            log.append(event("decision.signed_off", named, NOW))
        elif kind == "amended":
            p = {**named, "outcome": "nfa", "threshold_level": 1, "reason": "amended here"}
            log.append(event("decision.amended", p, NOW))
        elif kind == "returned":
            log.append(event("decision.returned", {**named, "reason": "returned here"}, NOW))
        else:
            two = rng.sample(ids, 2)
            p = {
                "contact_id": cid,
                "decision_ids": two,
                "chosen_decision_id": two[0],
                "reason": "resolved here",
            }
            log.append(event("conflict.resolved", p, NOW))
    return [
        dataclasses.replace(
            e,
            server_seq=i + 1,
            server_time=NOW.isoformat(),
            hash=f"{i + 1:064x}",
            prev_hash=f"{i:064x}",
        )
        for i, e in enumerate(log)
    ]


@pytest.mark.parametrize("seed", range(16))
def test_shared_decision_ids_every_path_one_answer(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    log = _log(rng)
    whole = _comparable(projection.apply_all(projection.ReadModel(), log))
    arrival = list(log)
    rng.shuffle(arrival)
    store = EventStore.open(tmp_path / "pulled.sqlite3")
    try:
        highest = 0
        for e in arrival:
            store.append_pulled([e], [canonical_json(e.payload)])
            if (e.server_seq or 0) < highest:
                refold(store.engine, scopes_of([e]))
            highest = max(highest, e.server_seq or 0)
        assert store.read_model() == whole, (seed, [(e.type, e.server_seq) for e in arrival])
        monkeypatch.setattr(eventstore, "SLICE_EVENTS", 3)
        store.rebuild()
        assert store.read_model() == whole, seed
    finally:
        store.close()
    store = EventStore.open(tmp_path / "appended.sqlite3")
    try:
        for e in log:
            store.append(
                [
                    dataclasses.replace(
                        e, server_seq=None, server_time=None, hash=None, prev_hash=None
                    )
                ]
            )
        assert store.read_model() == whole, seed
    finally:
        store.close()
