"""Decision events naming another contact's decision, held by a server that took them
before migration 0017 refused them (it checked their shape, not whose decision they name),
and pulled out of order by a desk, so that the pull refolds the contact they name
(``refold``): they change nothing on any desk, and the desk's rows are a whole rebuild's
(the rule: ``test_decisions_of_another_contact.py`` beside the sync suites)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import pytest

from dutydesk.domain.codes import Role
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Desk, Login, plant

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]


def test_pulled_out_of_order_they_change_nothing_and_equal_a_rebuild(
    empty_server: str,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    connect: Callable[[Login], PgTransport],
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dm, watcher, crafter = (make_login("duty_manager") for _ in range(3))
    sender, desk = make_desk(dm), make_desk(watcher)
    a, b = contact_payload(), contact_payload()
    decided = decision_payload(a["contact_id"])
    did = decided["decision_id"]
    sender.store.append(
        [
            event("contact.received", a, now, actor=dm.name),
            event("contact.received", b, now, actor=dm.name),
            event("decision.recorded", decided, now, actor=dm.name),
        ]
    )
    sender.engine.sync()
    assert desk.engine.sync().pulled == 3
    before = desk.store.read_model()

    named = {"contact_id": b["contact_id"], "decision_id": did}
    forged = [
        event("decision.signed_off", named, now, actor=crafter.name),
        event(
            "decision.amended",
            {**named, "outcome": "nfa", "reason": "crafted"},
            now,
            actor=crafter.name,
        ),
        event(
            "decision.recorded",
            decision_payload(b["contact_id"], decision_id=did, outcome="nfa", threshold_level=1),
            now,
            actor=crafter.name,
        ),
    ]
    # A server refuses these at submit since migration 0017
    # (test_decision_ownership_server.py); one that took them before keeps them:
    # planted as such a server stored them, chain and counter kept right.
    assert {r.status for r in connect(crafter).submit(forged)} == {"rejected"}
    for e in forged:
        plant(empty_server, e)
    # the desk's own event is sent in the same round and sequenced after them, so the pull
    # lands them before an event the desk already folded: its contact is refolded
    own = event(
        "contact.received", contact_payload(), now, actor=watcher.name, role=Role.DUTY_MANAGER
    )
    desk.store.append([own])
    with caplog.at_level(logging.INFO, logger="dutydesk.sync.engine"):
        report = desk.engine.sync()
    assert "refolded 1 contacts" in caplog.text  # contact B, in server order
    assert report.online and not report.warnings, report
    assert report.pulled == 3 and not report.quarantined_total
    after = desk.store.read_model()
    assert after.decisions == before.decisions
    assert after.contacts[a["contact_id"]] == before.contacts[a["contact_id"]]
    assert after.contacts[b["contact_id"]] == before.contacts[b["contact_id"]]
    desk.store.rebuild()
    assert desk.store.read_model() == after
    sender.engine.sync()  # the desk that folds them in order agrees
    assert sender.store.read_model() == after
