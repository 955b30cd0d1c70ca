"""MI's load reads the few payload fields it needs with SQLite's ``json_extract`` (the
referrers told, next steps ticked off, the standing decisions' next steps) instead of
parsing whole payloads: the oracle is the load as it was (those readers as they were, kept
below), whole store and pushed down to periods, over a generated store plus the route
figures' history. Its hand-offs still waiting come from the ``routes`` projection: the
oracle is the hand-off events read as they were."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.mi.records import MiDecision, NextStepRecord, ReferrerTold
from dutydesk.store import mi_queries, rowread
from dutydesk.store.eventstore import EVENTS, EventStore
from dutydesk.store.mi_queries import MiQueries
from dutydesk.store.readmodel import DECISIONS, standing
from tests.factories import event
from tests.integration.test_mi_route_figures import _history
from tests.unit.mi.builders import at, child, pid

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def _old_told_and_steps(conn: Connection, ids: Any) -> tuple[list[Any], list[Any]]:
    e = EVENTS.c
    told = [
        ReferrerTold(cid, body["kind"], body.get("sent_at") or stamp)
        for cid, payload, stamp in rowread.fetch_statement(
            conn,
            select(e.contact_id, e.payload, e.client_time).where(
                e.type == "referrer.acknowledged", e.contact_id.in_(ids)
            ),
        )
        for body in (json.loads(payload),)
    ]
    done: dict[tuple[str, int], str] = {}
    for payload, stamp in rowread.fetch_statement(
        conn,
        select(e.payload, e.client_time).where(
            e.type == "next_step.completed", e.contact_id.in_(ids)
        ),
    ):
        p = json.loads(payload)
        done.setdefault((p["decision_id"], p["index"]), stamp)
    d = DECISIONS.c
    steps = [
        NextStepRecord(cid, did, i, s.get("due"), done.get((did, i)))
        for did, cid, rationale in rowread.fetch_statement(
            conn,
            select(d.decision_id, d.contact_id, d.rationale).where(
                d.contact_id.in_(ids), standing()
            ),
        )
        for i, s in enumerate(json.loads(rationale).get("next_steps") or [])
    ]
    return told, steps


def _old_waiting(conn: Connection) -> set[str]:
    waiting: dict[str, tuple[str, bool]] = {}
    for kind, cid, payload in rowread.fetch_statement(
        conn,
        select(EVENTS.c.type, EVENTS.c.contact_id, EVENTS.c.payload)
        .where(
            EVENTS.c.type.in_(
                (
                    "route.transferred",
                    "route.transfer_accepted",
                    "route.transfer_returned",
                    "route.closed",
                )
            ),
            EVENTS.c.contact_id.is_not(None),
        )
        .order_by(EVENTS.c.local_seq),
    ):
        rid = json.loads(payload)["route_id"]
        if kind == "route.transferred":
            waiting[rid] = (cid, True)
        elif rid in waiting:
            waiting[rid] = (cid, False)
    return {cid for cid, awaiting in waiting.values() if awaiting}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    store = EventStore.open(tmp_path_factory.mktemp("fields") / "store.sqlite3")
    load_mi_demo(store, seed=5, events=6000, clock=FixedClock(NOW), open_contacts=20)
    r, _ = _history()
    # two hand-offs of one contact: the first accepted after the second was sent
    cid = r.contact("2026-10-05 10:00", children=[child(pid()), child(pid())])
    first = r.open(cid, "s17_assessment", "2026-10-05 11:00", slot=0)
    second = r.open(cid, "s17_assessment", "2026-10-05 11:00", slot=1)
    r.on(cid, first, "route.transferred", "2026-10-06 10:00", team="Assessment Team 1")
    r.on(cid, second, "route.transferred", "2026-10-06 11:00", team="Assessment Team 2")
    r.on(cid, first, "route.transfer_accepted", "2026-10-07 10:00")
    # told a day after it was recorded as sent
    r.h.events.append(
        event(
            "referrer.acknowledged",
            {
                "contact_id": cid,
                "kind": "acknowledgement",
                "method": "email",
                "sent_at": at("2026-10-05 12:00").isoformat(),
            },
            at("2026-10-06 12:00"),
        )
    )
    store.import_events(r.h.events)
    return store


def test_the_fields_read_in_sql_are_the_fields_parsed_in_python(filled: EventStore) -> None:
    q = MiQueries(filled.engine)
    with filled.engine.connect() as conn:
        every = select(mi_queries.CONTACTS.c.contact_id)
        told, checks, steps = q._follow_ups(conn, every)
        assert (told, steps) == _old_told_and_steps(conn, every)
        assert any(t.sent_at.startswith("2026-10-05T12:00") for t in told)
        assert len(told) > 50 and len(steps) > 50 and any(s.done_at for s in steps)
        waiting = _old_waiting(conn)
        assert waiting  # hand-offs still waiting: the period's load keeps them
        # a period long before the store: only the hand-offs still waiting are kept (the
        # projection's hand-off state against the hand-offs' events, read as they were)
        none: Iterable[MiDecision] = ()
        kept, *_ = q._counted_routes(conn, none, date(2000, 1, 1), date(2000, 1, 31))
        assert kept == waiting
