"""Fill a store with the synthetic history (the ``--demo`` switch and ``dutydesk demo``).

Every demo contact is rated on arrival by the default triage policy, with the history
generated before it (``RunningTriage``), so the queue shows ratings and reasons and the
evaluation report has first ratings to compare with decisions.
"""

from __future__ import annotations

from ..domain.clock import Clock
from ..domain.triage.policy import Policy, load_policy
from ..paths import DEFAULT_POLICY
from ..store.eventstore import EventStore
from .rating import RunningTriage
from .synthetic import Generator


def load_demo(
    store: EventStore,
    *,
    seed: int,
    events: int,
    clock: Clock,
    open_contacts: int | None = None,
    policy: Policy | None = None,
    rate: bool = True,
) -> int:
    """Generate about ``events`` events ending now and bulk-load them. Returns the count."""
    if not rate:
        gen = Generator(seed, now=clock.now(), open_contacts=open_contacts, rate=None)
        return store.import_events(gen.events(events), validate=False)
    triage = RunningTriage(policy or load_policy(DEFAULT_POLICY))
    gen = Generator(seed, now=clock.now(), open_contacts=open_contacts, rate=triage.rate)
    return store.import_events(triage.watch(gen.events(events)), validate=False)
