"""A ``decision.*`` or ``conflict.resolved`` event naming a decision of ANOTHER contact.

The server checks a decision event's shape, not that its decision id belongs to the
contact it names, so such an event can be crafted by any login that may record decisions
(or arrive in an import). The rule, as for routes (``routes.apply_route_event``): a
decision belongs to the contact whose ``decision.recorded``/``decision.proposed`` names it
first in the log's order; an event naming it under another contact changes nothing, not
the other contact's decision, nor its own contact's rows (``projection._decision``,
``_signed_off``, ``_amended``, ``_returned``, ``_resolved``).

Before, the paths disagreed: a whole fold (a rebuild) signed off, amended, returned or
superseded the other contact's decision without refreshing that contact's row, and a
recording reused its id (keeping the first outcome); an append loaded only the named
contact's decisions, so it ignored a sign-off but replaced the other contact's decision
row with a new one under its own contact (stealing it), and ``refold`` of one scope did the
same. Each test asserts the store's rows after the event are the rows before it and a
whole rebuild's.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain import projection
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.store import eventstore, readmodel
from dutydesk.store.eventstore import EventStore
from dutydesk.store.refold import Scopes, refold
from tests.factories import contact_payload, decision_payload, event


@dataclasses.dataclass
class Case:
    a: str  # the contact whose decisions are named
    b: str  # the contact the crafted events name
    recorded: str  # A's recorded decisions (two: A shows conflicting decisions)
    second: str
    proposed: str  # A's proposal waiting for sign-off
    log: list[Event]


def _case(now: datetime) -> Case:
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    d1, d2 = decision_payload(ca), decision_payload(ca, outcome="early_help", threshold_level=2)
    d3 = decision_payload(ca, outcome="nfa", threshold_level=1)
    own = decision_payload(cb, outcome="early_help", threshold_level=2)
    log = [
        event("contact.received", a, now),
        event("contact.received", b, now),
        event("decision.recorded", d1, now),
        event("decision.recorded", d2, now),
        event("decision.proposed", d3, now, role=Role.PRACTITIONER, actor="p.worker"),
        event("decision.recorded", own, now),
    ]
    return Case(ca, cb, d1["decision_id"], d2["decision_id"], d3["decision_id"], log)


def crafted(case: Case, kind: str, now: datetime) -> Event:
    """An event under contact B naming A's decisions."""
    b, reason = case.b, "crafted under another contact"
    payload: dict[str, Any]
    if kind == "signed off":
        payload = {"contact_id": b, "decision_id": case.proposed}
        return event("decision.signed_off", payload, now)
    if kind == "amended":
        payload = {"contact_id": b, "decision_id": case.recorded, "outcome": "nfa"}
        return event("decision.amended", {**payload, "threshold_level": 1, "reason": reason}, now)
    if kind == "returned":
        payload = {"contact_id": b, "decision_id": case.proposed, "reason": reason}
        return event("decision.returned", payload, now)
    if kind == "recorded again":
        payload = decision_payload(b, decision_id=case.recorded, outcome="nfa", threshold_level=1)
        return event("decision.recorded", payload, now)
    if kind == "proposed again":
        payload = decision_payload(b, decision_id=case.proposed, outcome="strategy_s47")
        return event("decision.proposed", payload, now, role=Role.PRACTITIONER)
    assert kind == "resolved"
    payload = {
        "contact_id": b,
        "decision_ids": [case.recorded, case.second],
        "chosen_decision_id": case.second,
        "reason": reason,
    }
    return event("conflict.resolved", payload, now)


KINDS = ["signed off", "amended", "returned", "recorded again", "proposed again", "resolved"]


def _rebuilt(store: EventStore) -> projection.ReadModel:
    store.rebuild()
    return store.read_model()


@pytest.mark.parametrize("kind", KINDS)
def test_an_appended_event_changes_nothing_and_equals_a_rebuild(
    tmp_path: Path, now: datetime, kind: str
) -> None:
    case = _case(now)
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        store.append(case.log)
        before = store.read_model()
        assert before.contacts[case.a].conflict and before.decisions[case.proposed].status == (
            "proposed"
        )
        store.append([crafted(case, kind, now)])
        appended = store.read_model()
        assert appended.decisions[case.recorded] == before.decisions[case.recorded]
        assert appended.decisions[case.proposed] == before.decisions[case.proposed]
        assert appended == before  # A's rows, B's rows, everything
        assert _rebuilt(store) == before
    finally:
        store.close()


@pytest.mark.parametrize("kind", KINDS)
def test_each_path_gives_one_answer_whatever_the_order(
    tmp_path: Path, now: datetime, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crafted event at every place in the log (before A's own decisions too: then a
    reused id is B's, first in the order, and A's recording of it changes nothing): an
    append of each event in turn, ``refold`` of either contact or both, the whole fold and
    the rebuild in slices (which sees the decision under two contacts and folds whole)
    all give the same rows."""
    case = _case(now)
    extra = crafted(case, kind, now)
    monkeypatch.setattr(eventstore, "SLICE_EVENTS", 2)  # 4 slices: A and B apart or not
    for at in range(2, len(case.log) + 1):
        log = [*case.log[:at], extra, *case.log[at:]]
        store = EventStore.open(tmp_path / f"s{at}.sqlite3")
        try:
            for e in log:
                store.append([e])
            appended = store.read_model()
            whole = projection.apply_all(projection.ReadModel(), log)
            assert appended == _comparable(whole), at
            for scopes in ({case.b}, {case.a}, {case.a, case.b}):
                refold(store.engine, Scopes(contacts=frozenset(scopes)))
                assert store.read_model() == appended, (at, scopes)
            assert _rebuilt(store) == appended, at
            if kind in ("recorded again", "proposed again"):  # one id under two contacts
                with store.engine.connect() as conn:
                    readmodel.clear(conn)
                    assert not store._fold_in_slices(conn, eventstore._slices_for(len(log)))
                    conn.rollback()
        finally:
            store.close()


def _comparable(model: projection.ReadModel) -> projection.ReadModel:
    """``model`` as ``read_model`` gives it back (decisions indexed by their rows)."""
    out = projection.ReadModel(
        dict(model.people), dict(model.contacts), dict(model.children), routes=dict(model.routes)
    )
    for row in model.decisions.values():
        out.put_decision(row)
    return out
