"""A decision id recorded (or proposed) a second time under the SAME contact.

The rule (``projection._decision``): a decision belongs to the recording or proposal that
names its id first in the log's order. Services always make a new id, so a second
recording of one id is crafted (the server checks a payload's shape, not whether its
decision id is new); it must change nothing. Before, it kept the first recording's
outcome, rationale and status but took the second's author, role and time, so the row (the
detail pane, the printed duty log, the four-eyes check of a sign-off, MI's decision time)
named as decider someone who never made that decision.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, canonical_json
from dutydesk.services.contact_detail import build_detail
from dutydesk.store.eventstore import EventStore
from dutydesk.store.queries import Queries
from dutydesk.store.refold import refold, scopes_of
from tests.factories import contact_payload, decision_payload, event

SECOND = {
    "recorded": ("decision.recorded", Role.DUTY_MANAGER, "dm.other"),
    "proposed": ("decision.proposed", Role.PRACTITIONER, "p.other"),
}


@pytest.mark.parametrize("first", ["decision.recorded", "decision.proposed"])
@pytest.mark.parametrize("second", sorted(SECOND))
def test_a_second_recording_of_an_id_changes_nothing(
    tmp_path: Path, now: datetime, first: str, second: str
) -> None:
    contact = contact_payload()
    cid = contact["contact_id"]
    decided = decision_payload(cid)
    did = decided["decision_id"]
    role = Role.DUTY_MANAGER if first == "decision.recorded" else Role.PRACTITIONER
    log = [
        event("contact.received", contact, now),
        event(first, decided, now, role=role, actor="first.author"),
    ]
    kind, role2, actor2 = SECOND[second]
    again = decision_payload(cid, decision_id=did, outcome="nfa", threshold_level=1)
    crafted = event(kind, again, now + timedelta(hours=3), role=role2, actor=actor2)
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        store.append(log)
        before = store.read_model()
        row = before.decisions[did]
        assert (row.decided_by, row.outcome) == ("first.author", "strategy_s47")
        store.append([crafted])
        after = store.read_model()
        assert after.decisions[did] == row
        assert after == before
        store.rebuild()
        assert store.read_model() == before
        _assert_detail_is_the_first(store, cid, did, now)
    finally:
        store.close()


def _assert_detail_is_the_first(store: EventStore, cid: str, did: str, now: datetime) -> None:
    detail = build_detail(store, Queries(store.engine), cid, now)
    assert detail is not None
    (view,) = detail.decisions
    assert (view.decided_by, view.outcome) == ("first.author", "strategy_s47")
    assert view.original["outcome"] == "strategy_s47"  # not the second recording's


def _sequenced(events: list[Event]) -> list[Event]:
    return [
        dataclasses.replace(
            e, server_seq=i, server_time=e.client_time, hash=f"{i:064x}", prev_hash=f"{i - 1:064x}"
        )
        for i, e in enumerate(events, 1)
    ]


def test_pulled_with_the_second_first_the_server_order_decides(
    tmp_path: Path, now: datetime
) -> None:
    """The second recording reaches this desk before the first (a restriction lifted, say):
    the late first one refolds the contact, and the row and the detail pane are the first
    author's, as a whole rebuild makes them."""
    contact = contact_payload()
    cid = contact["contact_id"]
    decided = decision_payload(cid)
    did = decided["decision_id"]
    again = decision_payload(cid, decision_id=did, outcome="nfa", threshold_level=1)
    received, first, second = _sequenced(
        [
            event("contact.received", contact, now),
            event("decision.recorded", decided, now, actor="first.author"),
            event("decision.recorded", again, now + timedelta(hours=3), actor="dm.other"),
        ]
    )
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        for e in (received, second, first):
            store.append_pulled([e], [canonical_json(e.payload)])
        refold(store.engine, scopes_of([first]))  # landed before an event folded here
        pulled = store.read_model()
        assert pulled.decisions[did].decided_by == "first.author"
        _assert_detail_is_the_first(store, cid, did, now)
        store.rebuild()
        assert store.read_model() == pulled
    finally:
        store.close()
