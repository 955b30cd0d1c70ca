"""Several desks editing offline, pushing and pulling at random, converge on one picture.

A hypothesis state machine drives two or three desks (each its own SQLite store and login)
against the real server: record contacts, rate them, record decisions on contacts they
know, resolve conflicts they see, sync whenever. Desk clocks are skewed on purpose: nothing
may depend on them. At the end every desk syncs until quiet; then all desks must hold the
same projections, every contact with two live decisions must be flagged, and every event
made must be on the server exactly once.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.engine import SyncEngine
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Login, reset_server

SKEW = (timedelta(0), timedelta(hours=-3), timedelta(minutes=17))  # desks' clocks disagree


def test_desks_converge(pg_server: str, make_login: Callable[[str], Login], now: datetime) -> None:
    logins = [
        make_login("duty_manager"),
        make_login("senior_practitioner"),
        make_login("duty_manager"),
    ]

    class Desks(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            reset_server(pg_server)
            self.folder = Path(tempfile.mkdtemp(prefix="dd-converge-"))
            self.clock = FixedClock(now)
            self.stores: list[EventStore] = []
            self.engines: list[SyncEngine] = []
            self.made: list[Event] = []

        @initialize(n=st.integers(2, 3))
        def open_desks(self, n: int) -> None:
            for i in range(n):
                store = EventStore.open(self.folder / f"desk{i}.sqlite3")
                self.stores.append(store)
                self.engines.append(
                    SyncEngine(
                        store,
                        PgTransport(logins[i].dsn),
                        self.clock,
                        login=logins[i].name,
                        push_batch=3,
                        pull_batch=4,
                    )
                )

        def _record(self, i: int, kind: str, payload: dict) -> None:  # type: ignore[type-arg]
            self.clock.advance(minutes=1)
            e = event(
                kind,
                payload,
                self.clock.now() + SKEW[i],
                actor=logins[i].name,
                role=Role(logins[i].group),
            )
            self.stores[i].append([e])
            self.made.append(e)

        def _known(self, i: int) -> list[str]:
            return sorted(self.stores[i].read_model().contacts)

        @rule(data=st.data())
        def receive(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.stores) - 1))
            self._record(i, "contact.received", contact_payload())

        @rule(data=st.data())
        def rate(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.stores) - 1))
            known = self._known(i)
            if known:
                cid = data.draw(st.sampled_from(known))
                rating = data.draw(st.sampled_from(["red", "amber", "green", "blue"]))
                self._record(
                    i,
                    "contact.rated",
                    {
                        "contact_id": cid,
                        "score": len(self.made),
                        "rating": rating,
                        "reasons": [],
                        "policy_version": f"p{i}",
                    },
                )

        @rule(data=st.data())
        def decide(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.stores) - 1))
            known = self._known(i)
            if known:
                cid = data.draw(st.sampled_from(known))
                outcome = data.draw(st.sampled_from(["nfa", "early_help", "strategy_s47"]))
                self._record(i, "decision.recorded", decision_payload(cid, outcome=outcome))

        @rule(data=st.data())
        def resolve(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.stores) - 1))
            if logins[i].group != "duty_manager":
                return
            model = self.stores[i].read_model()
            flagged = sorted(c for c, row in model.contacts.items() if row.conflict)
            if flagged:
                cid = data.draw(st.sampled_from(flagged))
                ids = list(model.contacts[cid].decision_ids)
                self._record(
                    i,
                    "conflict.resolved",
                    {
                        "contact_id": cid,
                        "decision_ids": ids,
                        "chosen_decision_id": ids[0],
                        "reason": "Spoke to both managers; the earlier decision stands.",
                    },
                )

        @rule(data=st.data())
        def sync(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.engines) - 1))
            report = self.engines[i].sync()
            assert report.online and report.rejected == 0 and not report.warnings

        @invariant()
        def outbox_never_loses_events(self) -> None:
            for i, store in enumerate(self.stores):
                mine = {e.id for e in self.made if e.actor == logins[i].name}
                assert mine <= {e.id for e in store.events()}

        def teardown(self) -> None:
            try:
                if self.engines:
                    self._settle_and_compare()
            finally:
                for engine, store in zip(self.engines, self.stores, strict=True):
                    engine.transport.close()
                    store.close()
                shutil.rmtree(self.folder, ignore_errors=True)

        def _settle_and_compare(self) -> None:
            for _ in range(2):
                for engine in self.engines:
                    assert engine.sync().waiting == 0
            models = [s.read_model() for s in self.stores]
            for other in models[1:]:
                assert other == models[0]
            for cid, row in models[0].contacts.items():
                live = [
                    d
                    for d in (
                        models[0].decisions[x] for x in models[0].decisions_by_contact.get(cid, ())
                    )
                    if not d.superseded
                ]
                assert row.conflict == (len(live) > 1)
            with psycopg.connect(pg_server) as conn:
                stored = conn.execute("SELECT id::text FROM dutydesk.events").fetchall()
            assert sorted(r[0] for r in stored) == sorted(e.id for e in self.made)

    Desks.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(Desks, settings=Desks.TestCase.settings)
