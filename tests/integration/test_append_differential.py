"""Differential oracle: the projections an append writes incrementally equal a rebuild's.

Issue 19 (c6ced72): an append writes back only the rows its events replaced
(``readmodel.changed_since``, by object identity) and a batch of only ratings loads no
child slots (``projection.CONTACT_ROW_ONLY_TYPES``). A generated history plus the event
types the generator does not make (merges, entries in error, overrides and re-ratings,
amendments, returns, a second decision and the conflict's resolution, consent, links and
unlinks, restrictions and grants, person updates) is appended one event at a time, in
random batches, with every run of ratings in a batch of its own, and shuffled (a rating
before its contact, a sign-off before its decision); at checkpoints every row of every
projection table equals what ``EventStore.rebuild`` then writes from the log (JSON text
compared as data: an append with ``validate=False`` keeps the payload's key order).
"""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dutydesk.demo.mi_extras import demo_rating
from dutydesk.demo.synthetic import Generator
from dutydesk.domain import projection, routes
from dutydesk.domain.clock import LONDON
from dutydesk.domain.events import Event
from dutydesk.domain.timescales import OfficeHours
from dutydesk.store.eventstore import EventStore
from tests.integration.test_rebuild_fast_paths import TABLES

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {
            t: [tuple(map(_canonical, r)) for r in db.execute(f"SELECT * FROM {t} ORDER BY {k}")]
            for t, k in TABLES.items()
        }
    finally:
        db.close()


def _canonical(value: object) -> object:
    """JSON text with its keys sorted: an append stores a payload's mapping in the order it
    was given (``validate=False`` here), a rebuild the order the log's canonical text has."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.dumps(json.loads(value), sort_keys=True)
    return value


def _awkward_log(seed: int) -> list[Event]:
    """The generated log with awkward events placed at random after what they name."""
    rng = random.Random(seed)
    events = list(Generator(seed, now=NOW, open_contacts=15, rate=demo_rating).events(250))
    last: dict[str, int] = {}
    for i, e in enumerate(events):
        cid = e.payload.get("contact_id")
        if isinstance(cid, str):
            last[cid] = i
        for pid in e.person_ids:
            last[pid] = i
    model = projection.apply_all(projection.ReadModel(), events)
    extras: list[tuple[float, str, dict[str, Any], str]] = []  # (after, type, payload, key)
    serial = iter(range(1, 1_000_000))

    def add(key: str, kind: str, payload: dict[str, Any], after: int | None = None) -> None:
        start = last[key] if after is None else after
        extras.append((rng.uniform(start + 0.1, len(events)), kind, payload, key))

    contacts = sorted(model.contacts)
    for cid in rng.sample(contacts, k=min(len(contacts), 60)):
        row = model.contacts[cid]
        pick = rng.random()
        if pick < 0.12:
            add(cid, "contact.merged", {"contact_id": cid, "into_contact_id": contacts[0]})
        elif pick < 0.2:
            add(cid, "contact.entered_in_error", {"contact_id": cid, "reason": "duplicate"})
        elif pick < 0.35:
            to = "red" if row.rating != "red" else "amber"
            add(
                cid,
                "contact.rating_overridden",
                {"contact_id": cid, "from_rating": row.rating or "green", "to_rating": to},
            )
            rated = next(e for e in events if e.type == "contact.rated")
            again = dict(rated.payload, contact_id=cid, score=7)
            add(cid, "contact.rated", again)  # a re-rating after (or before) the override
        elif pick < 0.45:
            add(cid, "consent.recorded", {"contact_id": cid, "status": "refused"})
            add(cid, "consent.overridden", {"contact_id": cid, "reason": "risk"})
        elif pick < 0.5:
            add(cid, "contact.taken", {"contact_id": cid})
        if rng.random() < 0.5:
            add(
                cid,
                "contact.rated",
                dict(
                    next(e for e in events if e.type == "contact.rated").payload,
                    contact_id=cid,
                    score=rng.randint(0, 30),
                ),
            )
        slots = [k for k in model.children if k[0] == cid]
        if slots and rng.random() < 0.4:
            key = rng.choice(slots)
            person = rng.choice(sorted(model.people))
            add(cid, "person.linked", {"contact_id": cid, "slot": key[1], "person_id": person})
            if rng.random() < 0.5:
                extras.append(
                    (
                        len(events) + rng.random(),
                        "person.unlinked",
                        {"contact_id": cid, "slot": key[1], "person_id": person},
                        cid,
                    )
                )
        for did in sorted(model.decisions_by_contact.get(cid, ())):
            d = model.decisions[did]
            r = rng.random()
            if r < 0.2:
                add(
                    cid,
                    "decision.amended",
                    {
                        "contact_id": cid,
                        "decision_id": did,
                        "outcome": d.outcome,
                        "threshold_level": 3,
                        "rationale": {"text": "amended"},
                    },
                )
            elif r < 0.3 and d.status == "proposed":
                add(cid, "decision.returned", {"contact_id": cid, "decision_id": did})
            elif r < 0.5:
                second = f"0190a0c0-dead-7000-8000-{next(serial):012d}"
                payload = {
                    "contact_id": cid,
                    "decision_id": second,
                    "outcome": d.outcome,
                    "threshold_level": d.threshold_level,
                    "rationale": dict(d.rationale),
                }
                at = len(extras)
                add(cid, "decision.recorded", payload)
                after = int(extras[at][0])
                if rng.random() < 0.7:  # the conflict resolved, one way or the other
                    chosen = rng.choice([did, second])
                    add(
                        cid,
                        "conflict.resolved",
                        {
                            "contact_id": cid,
                            "decision_ids": [did, second],
                            "chosen_decision_id": chosen,
                        },
                        after=after,
                    )
            if rng.random() < 0.15:  # another contact names it: changes nothing
                other = rng.choice(contacts)
                named = {"contact_id": other, "decision_id": did}
                add(cid, "decision.signed_off", named)
                add(cid, "decision.amended", {**named, "outcome": "nfa", "reason": "x"})
                add(cid, "decision.returned", {**named, "reason": "x"})
                again = {**named, "outcome": "nfa", "threshold_level": 1, "rationale": {}}
                add(cid, rng.choice(sorted(projection.RECORDING_TYPES)), again)
    # Routes (the ``routes`` projection): steps, hand-offs, answers, closing, opening
    # again; and events a route's own contact did not make, which change nothing.
    route_list = sorted(model.routes.values(), key=lambda r: r.route_id)
    for row in rng.sample(route_list, k=min(len(route_list), 30)):
        cid, rid = row.contact_id, row.route_id
        base = {"route_id": rid, "contact_id": cid}
        pick = rng.random()
        if pick < 0.2:
            add(cid, "route.transferred", {**base, "team": "Assessment East", "worker": "w.a"})
            if rng.random() < 0.5:
                add(cid, "route.transfer_accepted", {**base, "worker": "w.b"})
            else:
                add(cid, "route.transfer_returned", {**base, "reason": "not ours"})
        elif pick < 0.4:
            add(cid, "route.progressed", {**base, "step": "referred", "reason": "rang"})
            add(cid, "route.progressed", {**base, "step": "accepted"})
        elif pick < 0.5:
            add(cid, "route.closed", {**base, "reason": "done"})
        elif pick < 0.6:  # opened again on its own contact: starts afresh
            add(cid, "route.opened", {**base, "kind": "early_help", "slot": 0, "team": "EH"})
        elif pick < 0.75:  # another contact names it: ignored
            other = rng.choice(contacts)
            add(cid, "route.closed", {"route_id": rid, "contact_id": other, "reason": "x"})
            add(
                cid,
                "route.opened",
                {"route_id": rid, "contact_id": other, "kind": "lado", "slot": None},
            )
        else:  # a step before the route is opened, on a route never opened
            never = f"0190a0c0-f00d-7000-8000-{next(serial):012d}"
            add(cid, "route.progressed", {"route_id": never, "contact_id": cid, "step": "referred"})
    for pid in rng.sample(sorted(model.people), k=min(len(model.people), 25)):
        r = rng.random()
        if r < 0.4:
            add(pid, "record.restricted", {"person_id": pid, "allowed": ["a.worker"]})
            add(pid, "access.granted", {"person_id": pid, "grantee": "b.worker"})
        elif r < 0.8:
            add(
                pid,
                "person.updated",
                {"person_id": pid, "open_case": rng.random() < 0.5, "postcode": "ZZ9 9ZZ"},
            )
        else:
            add(pid, "person.updated", {"person_id": pid, "date_of_death": "2026-01-01"})
    keyed = [(float(i), 0, e) for i, e in enumerate(events)]
    base = events[-1]
    for n, (place, kind, payload, _) in enumerate(extras):
        made = dataclasses.replace(
            base,
            id=f"0190a0c0-beef-7000-8000-{n:012d}",
            type=kind,
            payload=payload,
            client_time=(NOW + timedelta(minutes=n)).isoformat(),
        )
        keyed.append((place, 1, made))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [e for _, _, e in keyed]


def _batches(log: list[Event], how: str, rng: random.Random) -> list[list[Event]]:
    if how == "shuffled, random batches":  # out of order, as a desk may take them in
        ranked = sorted((i + rng.uniform(0, 40), n) for n, i in enumerate(range(len(log))))
        return _batches([log[n] for _, n in ranked], "random batches", rng)
    if how == "one at a time":
        return [[e] for e in log]
    if how == "random batches":
        out, i = [], 0
        while i < len(log):
            n = rng.choice((1, 2, 3, 5, 8, 13, 40))
            out.append(log[i : i + n])
            i += n
        return out
    # every run of rating-only events in a batch of its own (the children-less load)
    out = []
    for e in log:
        row_only = e.type in projection.CONTACT_ROW_ONLY_TYPES
        if out and (out[-1][-1].type in projection.CONTACT_ROW_ONLY_TYPES) == row_only:
            out[-1].append(e)
        else:
            out.append([e])
    return out


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize(
    "how", ["one at a time", "random batches", "rating runs apart", "shuffled, random batches"]
)
def test_appended_projections_equal_a_rebuild(tmp_path: Path, seed: int, how: str) -> None:
    log = _awkward_log(seed)
    kinds = {e.type for e in log}
    assert {"contact.merged", "conflict.resolved", "record.restricted"} <= kinds
    path = tmp_path / "d.sqlite3"
    store = EventStore.open(path)
    batches = _batches(log, how, random.Random(seed))
    checkpoints = {len(batches) // 3, 2 * len(batches) // 3}
    try:
        for n, batch in enumerate(batches):
            store.append(batch, validate=False)
            if n in checkpoints or n == len(batches) - 1:
                appended = _dump(path)
                store.rebuild()
                rebuilt = _dump(path)
                for table in TABLES:
                    assert appended[table] == rebuilt[table], (how, n, table)
    finally:
        store.close()


@pytest.mark.parametrize("seed", [3, 11])
def test_the_routes_projection_is_the_fold_of_the_whole_log(tmp_path: Path, seed: int) -> None:
    """The ``routes`` rows after appends (random batches, out of order) are the routes
    ``fold_routes`` makes of the whole log in the store's order, row for row (the one
    definition, ``routes.apply_route_event``), and a rebuild gives them again."""
    log = _awkward_log(seed)
    assert {"route.opened", "route.transferred", "route.closed"} <= {e.type for e in log}
    path = tmp_path / "d.sqlite3"
    store = EventStore.open(path)
    try:
        for batch in _batches(log, "shuffled, random batches", random.Random(seed)):
            store.append(batch, validate=False)
        stored = [e for e in store.events() if e.type in routes.FOLLOW_THROUGH_TYPES]
        folded = routes.fold_routes(stored, {}, OfficeHours())
        expected = {rid: routes.route_row(r) for rid, r in folded.routes.items()}
        assert len(expected) > 20
        appended = store.read_model().routes
        assert appended == expected
        for rid, row in appended.items():  # and read back, the fold's route
            whole = dataclasses.replace(folded.routes[rid], discussions=[], clocks=[])
            assert routes.route_of(row) == whole
        store.rebuild()
        assert store.read_model().routes == expected
    finally:
        store.close()


def _keys_one_by_one(events: list[Event]) -> projection.Keys:
    """The reference: the rules of ``projection.keys_for`` applied to each event on its own
    (as ``keys_for`` was written before it took a batch), unioned."""
    people: set[str] = set()
    contacts: set[str] = set()
    decisions: set[str] = set()
    route_ids: set[str] = set()
    recorded: set[str] = set()
    for e in events:
        cid = e.payload.get("contact_id")
        named = {cid} if isinstance(cid, str) else set()
        contacts |= named
        if e.type.startswith(("decision.", "conflict.")):
            decisions |= named
            did = e.payload.get("decision_id")
            if (
                named
                and e.type in ("decision.recorded", "decision.proposed")
                and isinstance(did, str)
            ):
                recorded.add(did)
        people.update(e.person_ids)
        rid = e.payload.get("route_id")
        if e.type in routes.LIFECYCLE_TYPES and isinstance(rid, str):
            route_ids.add(rid)
    return projection.Keys(
        frozenset(people),
        frozenset(contacts),
        frozenset(decisions),
        frozenset(route_ids),
        frozenset(recorded),
    )


def test_keys_for_a_batch() -> None:
    """``projection.keys_for`` (one pass into four sets, the only definition: the store's
    append and ``refold.scopes_of`` use it) names the rows each event's own keys name,
    over the awkward logs in random batches and over payloads that bend each rule (a key
    that is not text, children that are not mappings or not a list, a decision or
    conflict event without a contact, a person id on a child and on the event, a route id
    on a route event and on another)."""

    def odd(kind: str, payload: dict[str, Any]) -> Event:
        return dataclasses.replace(_awkward_log(3)[0], type=kind, payload=payload)

    strange = [
        odd("decision.recorded", {"contact_id": 7}),
        odd("decision.recorded", {"contact_id": "c-dec"}),
        odd("decision.recorded", {"contact_id": "c-dec", "decision_id": "d-1"}),
        odd("decision.proposed", {"decision_id": "d-no-contact"}),
        odd("decision.signed_off", {"contact_id": "c-dec", "decision_id": "d-signed"}),
        odd("conflict.resolved", {"contact_id": "c-conf", "person_id": "p-x"}),
        odd("contact.rated", {"contact_id": "c-rated"}),
        odd("contact.received", {"contact_id": "c-r", "children": None}),
        odd("contact.received", {"children": ["p-text", 3, {"person_id": 4}, {}]}),
        odd("person.linked", {"contact_id": "c-l", "person_id": "p-l"}),
        odd("contact.received", {"children": [{"person_id": "p-c"}, {"person_id": "p-c"}]}),
        odd("person.registered", {"person_id": None}),
        odd("decisions.other", {"contact_id": "c-not-decision"}),
        odd("route.opened", {"route_id": "r-1", "contact_id": "c-route"}),
        odd("route.closed", {"route_id": 9}),
        odd("contact.received", {"route_id": "r-not-a-route-event"}),
    ]
    assert projection.keys_for(strange) == _keys_one_by_one(strange)
    assert projection.keys_for([]) == projection.Keys()
    for seed in (3, 11):
        log = _awkward_log(seed) + strange
        rng = random.Random(seed)
        for batch in _batches(log, "shuffled, random batches", rng) + [log]:
            assert projection.keys_for(batch) == _keys_one_by_one(batch)
