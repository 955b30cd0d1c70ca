"""Demo data for MI beyond the base synthetic history: ratings with due times, workers
holding open contacts, supervision records and completed assessments.

Deterministic by seed. The rating rule here is a stand-in for the triage policy (which
plugs into the same ``rate`` hook); it exists only so that response-time figures have
something to measure in a demo.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from ..domain.clock import LONDON, Clock
from ..domain.codes import REFERRAL_OUTCOMES, Outcome, Role
from ..domain.events import Event, make_event
from ..domain.timescales import OfficeHours
from ..store.eventstore import EventStore
from .synthetic import Generator

WORKERS = (
    ("sw.ahmed", 9),
    ("sw.brown", 6),
    ("sw.clarke", 5),
    ("sw.davies", 4),
    ("sw.evans", 3),
    ("sw.practitioner", 3),
)
SUPERVISOR = "tl.khan"
DUE_HOURS = {"red": 4, "amber": 24, "green": 72}


def demo_rating(payload: Mapping[str, Any], at: datetime) -> Mapping[str, Any] | None:
    """Red for danger, injury or disclosure; amber for high-risk DA; else green."""
    da = payload.get("domestic_abuse") or {}
    if (
        payload.get("immediate_danger")
        or payload.get("injury_reported")
        or payload.get("disclosure")
    ):
        rating = "red"
    elif da.get("dash_level") == "high" or da.get("previous_incidents", 0) >= 3:
        rating = "amber"
    else:
        rating = "green"
    return {
        "contact_id": payload["contact_id"],
        "score": {"red": 80, "amber": 50, "green": 20}[rating],
        "rating": rating,
        "reasons": [{"text": "demo rule"}],
        "policy_version": "demo-1",
        "due_at": (at + timedelta(hours=DUE_HOURS[rating])).isoformat(),
    }


def _event(kind: str, payload: dict[str, Any], actor: str, role: Role, at: datetime) -> Event:
    return make_event(kind, payload, actor=actor, actor_role=role.value, device="demo-desk", at=at)


class _Seen:
    """What the extras need to know about a history, gathered while it streams past."""

    def __init__(self) -> None:
        self.children: dict[str, list[str]] = {}
        self.received: dict[str, datetime] = {}
        self.decided: set[str] = set()
        self.referrals: list[tuple[str, str]] = []  # contact id, decision time

    def see(self, e: Event) -> None:
        p = e.payload
        if e.type == "contact.received":
            self.children[p["contact_id"]] = [
                c["person_id"] for c in p["children"] if "person_id" in c
            ]
            self.received[p["contact_id"]] = datetime.fromisoformat(p["received_at"])
        elif e.type in ("decision.recorded", "decision.proposed"):
            self.decided.add(p["contact_id"])
            if Outcome(p["outcome"]) in REFERRAL_OUTCOMES:
                self.referrals.append((p["contact_id"], e.client_time))


def _extras(seen: _Seen, *, now: datetime, seed: int) -> Iterator[Event]:
    rng = random.Random(seed)
    office = OfficeHours()
    names = [w for w, _ in WORKERS]
    weights = [n for _, n in WORKERS]
    for cid, at in seen.received.items():
        if cid not in seen.decided and rng.random() < 0.85:
            yield _event(
                "contact.assigned",
                {"contact_id": cid, "assignee": rng.choices(names, weights)[0]},
                "dm.manager",
                Role.DUTY_MANAGER,
                min(at + timedelta(minutes=rng.randint(20, 600)), now),
            )
    for worker in names:
        held = (now - timedelta(days=rng.randint(3, 40))).replace(hour=10, minute=0)
        yield _event(
            "supervision.recorded",
            {
                "worker": worker,
                "supervisor": SUPERVISOR,
                "held_on": held.date().isoformat(),
                "next_due": (held.date() + timedelta(days=28)).isoformat(),
            },
            SUPERVISOR,
            Role.DUTY_MANAGER,
            held,
        )
    for cid, stamp in seen.referrals:
        start = datetime.fromisoformat(stamp).astimezone(LONDON).date()
        if rng.random() > 0.8:
            continue  # still being assessed (or late and not yet authorised)
        done = office.nth_working_day(start, rng.choice([12, 20, 28, 35, 40, 44, 44, 50, 60]))
        if done >= now.date():
            continue
        when = datetime.combine(done, time(15, 0), LONDON)
        for person in seen.children.get(cid, []):
            yield _event(
                "assessment.completed",
                {
                    "contact_id": cid,
                    "person_id": person,
                    "completed_on": done.isoformat(),
                    "authorised_by": SUPERVISOR,
                },
                SUPERVISOR,
                Role.DUTY_MANAGER,
                when,
            )


def with_extras(history: Iterable[Event], *, now: datetime, seed: int) -> Iterator[Event]:
    """``history`` streamed through, then assignments, supervision and completed
    assessments that fit it (projections do not depend on the order of these)."""
    seen = _Seen()
    for event in history:
        seen.see(event)
        yield event
    yield from _extras(seen, now=now, seed=seed)


def load_mi_demo(
    store: EventStore, *, seed: int, events: int, clock: Clock, open_contacts: int | None = None
) -> int:
    """A rated synthetic history plus the MI extras, streamed into the store."""
    now = clock.now()
    history = Generator(seed, now=now, open_contacts=open_contacts, rate=demo_rating).events(events)
    return store.import_events(with_extras(history, now=now, seed=seed), validate=False)
