"""Fill a store with the synthetic history (the ``--demo`` switch and ``dutydesk demo``)."""

from __future__ import annotations

from ..domain.clock import Clock
from ..store.eventstore import EventStore
from .synthetic import Generator


def load_demo(store: EventStore, *, seed: int, events: int, clock: Clock,
              open_contacts: int | None = None) -> int:
    """Generate about ``events`` events ending now and bulk-load them. Returns the count."""
    gen = Generator(seed, now=clock.now(), open_contacts=open_contacts, rate=None)
    return store.import_events(gen.events(events), validate=False)
