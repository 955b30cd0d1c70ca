"""A demo store holds the ratings a desk would hold: every open contact's recorded rating
is what the desk's triage gives it now, with the whole history loaded.

The generator writes some urgent open contacts as having arrived overnight, after
contacts received earlier that it writes later; a child's history then changes after
their open contact was rated. The desk re-rates on such an arrival (``rating_queries``);
the demo loader must too, or the demo's queue shows a rating no desk would give."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.services.triage import TriageService
from dutydesk.store.eventstore import EventStore
from tests.integration.test_triage_service import actor

NINE_AM = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)


@pytest.mark.parametrize("seed", [1, 5, 7])
def test_every_open_demo_contact_holds_the_desks_rating(store: EventStore, seed: int) -> None:
    clock = FixedClock(NINE_AM)
    load_demo(store, seed=seed, events=8_359, clock=clock)
    rated = Counter(e.payload["contact_id"] for e in store.events() if e.type == "contact.rated")
    service = TriageService(store, actor(Role.DUTY_MANAGER), clock)
    count = store.event_count()
    assert service.rate_all_open(only_unrated=False) == 0  # nothing the desk would change
    assert store.event_count() == count
    assert max(rated.values()) >= 2, "no contact was re-rated: the case is not exercised"
