"""Issue 19, triage: the bulk path (reasons as keys, one driver read of facts and stored
ratings, ratings compared as JSON text) against the one-contact path (``TriageService.score``:
SQLAlchemy rows, ``score_contact`` with every text made, ``_differs`` on decoded reasons).

Oracles:
* every open contact's bulk score, rating, due times, hard rules and formatted reasons equal
  the one-contact path's, and both order the queue alike, over synthetic stores (bank
  holidays, weekends, clock changes, re-referrals, immediate danger) plus contacts added
  for the edges: no child linked, a restricted child, arrivals on the clock changes, on a
  bank holiday and in the future, with several "now"s;
* bulk re-rating writes exactly the events the one-contact path would (``_differs`` on
  each contact's stored row), with overridden contacts, a changed policy and stored
  reasons whose JSON text is written differently (the text comparison's fallback);
* the reason texts equal those the scoring code made before reason keys, for every
  vignette under four policies (``tests/data/triage/vignette_reasons.json``, made by
  ``score_contact`` of main 50e6378).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.domain.queue import order_key
from dutydesk.domain.triage import vignettes as vg
from dutydesk.domain.triage.policy import load_policy
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.paths import DEFAULT_POLICY, PROJECT_ROOT
from dutydesk.services.triage import TriageService, _differs
from dutydesk.store.desk_queries import DeskQueries
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
UTC_NOW = datetime.fromisoformat("2026-11-26T09:30:00+00:00")
VIGNETTES = PROJECT_ROOT / "tests" / "data" / "vignettes"


def _actor() -> Actor:
    return Actor(login="dm.manager", role=Role.DUTY_MANAGER, device="test-desk")


class _Q:
    """What ``order_key`` reads, from a payload and its contact."""

    def __init__(self, payload: dict[str, Any], received_at: str, danger: bool | None) -> None:
        self.contact_id: str = payload["contact_id"]
        self.rating: str | None = payload["rating"]
        self.due_at: str | None = payload.get("due_at")
        self.score: int | None = payload["score"]
        self.received_at = received_at
        self.immediate_danger = danger


def _edge_contacts(store: EventStore) -> list[str]:
    """Contacts at the edges, on top of the generator's."""
    pid = new_id()
    restricted = new_id()
    at = NOW + timedelta(days=40)  # recorded after every arrival below
    events = []

    def add(kind: str, payload: dict[str, object], when: datetime) -> None:
        events.append(event(kind, payload, when))

    kid = {"given_name": "Ada", "family_name": "Test", "date_of_birth": "2025-09-01"}
    # No child linked (no person id), one with no date of birth, an unborn child.
    add("contact.received", contact_payload(children=[dict(kid)]), at)
    add(
        "contact.received",
        contact_payload(
            children=[{"given_name": "Bo", "family_name": "Test"}, {**kid, "person_id": pid}],
            immediate_danger=True,
            categories=["18C", "7A"],
        ),
        at,
    )
    add(
        "contact.received",
        contact_payload(
            children=[
                {
                    "family_name": "Test",
                    "expected_date_of_birth": "2027-01-10",
                    "person_id": new_id(),
                }
            ]
        ),
        at,
    )
    # A restricted child with earlier contacts (history read through the restriction).
    for days in (200, 40, 3):
        add(
            "contact.received",
            contact_payload(
                received_at=(UTC_NOW - timedelta(days=days)).isoformat(),
                children=[{**kid, "person_id": restricted}],
                source_code="6",
            ),
            at,
        )
    add(
        "record.restricted",
        {"person_id": restricted, "allowed": ["a.worker"], "reason": "a test restriction"},
        at,
    )
    # Arrivals on the clock changes, a bank holiday, out of hours, and in the future.
    for stamp in (
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T01:30:00+01:00",
        "2026-10-25T00:30:00+00:00",
        "2026-10-25T01:30:00+00:00",
        "2026-08-31T10:00:00+01:00",
        "2026-12-24T16:45:00+00:00",
        "2026-11-27T23:10:00+00:00",
        "2026-11-26T09:30:00+00:00",
    ):
        add(
            "contact.received",
            contact_payload(received_at=stamp, children=[{**kid, "person_id": pid}]),
            at,
        )
    store.append(events)
    return [e.payload["contact_id"] for e in events if e.type == "contact.received"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    path = Path(tmp_path_factory.mktemp("fast")) / "fast.sqlite3"
    store = EventStore.open(path)
    store.import_events(Generator(23, now=NOW, open_contacts=220).events(2600), validate=False)
    _edge_contacts(store)
    yield store
    store.close()


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        datetime.fromisoformat("2026-03-29T01:15:00+00:00"),  # the spring clock change
        datetime.fromisoformat("2026-10-25T01:30:00+00:00"),  # the autumn one (second 01:30)
        datetime.fromisoformat("2026-12-25T12:00:00+00:00"),  # a bank holiday
    ],
)
def test_bulk_scores_order_and_texts_equal_the_one_contact_path(
    store: EventStore, now: datetime
) -> None:
    service = TriageService(store, _actor(), FixedClock(now))
    ids = DeskQueries(store.engine).open_contact_ids()
    assert len(ids) > 230
    bulk = {s.contact_id: s for _, s in service._scored(ids)}
    assert sorted(bulk) == sorted(ids)
    rows = service.queries.contacts(ids)
    full_q, bulk_q = [], []
    for cid in ids:
        full = service.score(cid)
        fast = bulk[cid]
        assert fast.result() == full
        assert fast.result().to_payload() == full.to_payload()  # due times' offsets too
        assert (fast.score, fast.rating, fast.due_at, fast.decision_due_at, fast.hard_rules) == (
            full.score,
            full.rating,
            full.due_at,
            full.decision_due_at,
            full.hard_rules,
        )
        row = rows[cid]
        full_q.append(_Q(full.to_payload(), row.received_at, row.immediate_danger))
        bulk_q.append(_Q(fast.result().to_payload(), row.received_at, row.immediate_danger))
    assert [q.contact_id for q in sorted(bulk_q, key=order_key)] == [
        q.contact_id for q in sorted(full_q, key=order_key)
    ]
    # The edges are there: a Red by immediate danger, an unlinked child, history.
    assert any(r.immediate_danger for r in rows.values())
    assert any(s.rating.value == "red" for s in bulk.values())
    assert any(k[0].startswith("history:") for s in bulk.values() for k in s.keys)


def test_bulk_re_rating_writes_the_events_the_one_contact_path_would(tmp_path: Path) -> None:
    store = EventStore.open(tmp_path / "rerate.sqlite3")
    try:
        store.import_events(Generator(31, now=NOW, open_contacts=180).events(2200), validate=False)
        _edge_contacts(store)
        first = TriageService(store, _actor(), FixedClock(NOW))
        assert first.rate_all_open() > 180
        ids = DeskQueries(store.engine).open_contact_ids()
        # Overridden contacts (their rating and due time are the manager's now).
        for cid in ids[:12]:
            first.override(cid, "red", "seen by the manager")
        # Stored reasons written as other JSON text (same reasons): the text comparison
        # falls back to comparing them decoded.
        with store.engine.begin() as conn:
            cursor = conn.connection.cursor()
            for cid in ids[12:30]:
                (text,) = cursor.execute(
                    "SELECT reasons FROM contacts WHERE contact_id = ?", (cid,)
                ).fetchone()
                cursor.execute(
                    "UPDATE contacts SET reasons = ? WHERE contact_id = ?",
                    (json.dumps(json.loads(text), sort_keys=True, indent=1), cid),
                )
        # A policy of the same version that weighs one category differently (some scores
        # change) and words one hard rule differently (only some texts change), three
        # hours later.
        policy = first.policy
        code = max(policy.categories, key=lambda c: policy.categories[c])
        fired = {r for cid in ids for r in first.score(cid).hard_rules}
        rules = tuple(
            replace(r, text=r.text + " (reworded)") if r.id == min(fired) else r
            for r in policy.hard_rules
        )
        changed = replace(
            policy,
            categories={**policy.categories, code: policy.categories[code] + 7},
            hard_rules=rules,
        )
        later = TriageService(store, _actor(), FixedClock(NOW + timedelta(hours=3)), policy=changed)
        expected = {}
        for cid in ids:
            full = later.score(cid)
            if _differs(later.queries.contact(cid), full):
                expected[cid] = full.to_payload()
        assert 0 < len(expected) < len(ids)
        reworded = [
            p for p in expected.values() if any("(reworded)" in r["text"] for r in p["reasons"])
        ]
        stored = later.queries.contacts(p["contact_id"] for p in reworded)
        assert any(p["score"] == stored[p["contact_id"]].score for p in reworded)
        before = {e.id for cid in ids for e in store.events_for_contact(cid)}
        assert later.rate_where_changed(ids, batch=50) == len(expected)
        written = [e for cid in ids for e in store.events_for_contact(cid) if e.id not in before]
        assert all(e.type == "contact.rated" for e in written)
        assert {e.payload["contact_id"]: dict(e.payload) for e in written} == expected
        assert len(written) == len(expected)
        assert later.rate_where_changed(ids) == 0  # nothing differs now
    finally:
        store.close()


def test_reason_texts_equal_those_made_before_reason_keys() -> None:
    recorded = json.loads((PROJECT_ROOT / "tests/data/triage/vignette_reasons.json").read_text())
    table = recorded["reasons"]
    vignettes = vg.load_texts(
        [
            (str(f), f.read_text(encoding="utf-8"))
            for f in sorted([*VIGNETTES.glob("*.json"), *VIGNETTES.glob("unseen/*.json")])
        ]
    )
    policies = {
        "default.toml": DEFAULT_POLICY,
        **{p.name: p for p in (VIGNETTES / "policies").glob("*.toml")},
    }
    got = []
    for name in ["default.toml", *sorted(n for n in policies if n != "default.toml")]:
        policy = load_policy(policies[name])
        for v in vignettes:
            at = datetime.fromisoformat(v.payload["received_at"])
            p = score_contact(v.payload, vg.histories(v, policy), policy, at + timedelta(minutes=1))
            got.append((name, p.contact_id, p.score, p.rating.value, [dict(r) for r in p.reasons]))
    want = [
        (name, cid, score, rating, [table[i] for i in idx])
        for name, cid, score, rating, idx in recorded["contacts"]
    ]
    assert len(got) == len(want) > 500
    assert got == want
