"""Oracle: what the MI dashboard now loads (the period shown, pushed down to SQL, with
the folds of only the loaded contacts' discussions and hand-offs) gives every figure and
every Annex A list the whole store's load gives, on a generated history (routes, hand-offs,
strategy discussions, supervision, assessments and open contacts, about 2,400 contacts over
three months). Periods cut through the history: a month, a fortnight, a period before any
contact, the default six months, an office and a source; with the statutory 12-month
look-back and a one-month one, so the look-back itself cuts through what was recorded."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.mi import annex_a
from dutydesk.mi.records import Filters, Settings
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore

BUILT = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)  # MI a few days after the last contact

PERIODS = [
    Filters(date(2026, 10, 1), date(2026, 10, 31)),
    Filters(date(2026, 9, 14), date(2026, 9, 27)),
    Filters(date(2026, 5, 1), date(2026, 6, 30)),  # before the first contact
    Filters(date(2026, 6, 2), date(2026, 12, 2)),  # the default six months
    Filters(date(2026, 10, 1), date(2026, 11, 30), office="North Locality"),
    Filters(date(2026, 9, 1), date(2026, 11, 30), source="1B"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    store = EventStore.open(tmp_path_factory.mktemp("mi") / "store.sqlite3")
    load_mi_demo(store, seed=3, events=8000, clock=FixedClock(BUILT), open_contacts=40)
    yield store
    store.close()


def test_the_generated_history_has_what_the_period_loads_leave_out(
    generated: EventStore,
) -> None:
    """The test can fail: the whole store's load holds strategy discussions, hand-offs and
    routes of contacts a period's load does not read, and referrals before the look-back."""
    service = MiService(
        generated, FixedClock(NOW), actor=demo_actor(), settings=Settings(rereferral_months=1)
    )
    whole = service.load()
    october = service.load(PERIODS[0])
    assert len(october.data.contacts) < len(whole.data.contacts)
    assert len(october.data.routes) < len(whole.data.routes)
    assert len(october.data.s47_records) < len(whole.data.s47_records)
    assert 0 < len(october.data.allocations) < len(whole.data.allocations)
    assert len(october.data.s47_discussed) < len(whole.data.s47_discussed)
    assert october.data.protections or whole.data.protections


@pytest.mark.parametrize("months", [12, 1])
def test_figures_and_lists_of_a_period_load_equal_the_whole_stores(
    generated: EventStore, months: int, tmp_path: Path
) -> None:
    service = MiService(
        generated,
        FixedClock(NOW),
        actor=demo_actor(),
        settings=Settings(rereferral_months=months),
    )
    whole = service.load()
    nonzero = 0
    for filters in PERIODS:
        period = service.load(Filters(filters.date_from, filters.date_to))
        assert period.covers_period(filters)
        want = service.figures(whole, filters)
        got = service.figures(period, filters)
        assert got == want, filters
        nonzero += sum(1 for f in want if f.value)
        for n in (2, 3, 4, 5):
            old = list(annex_a.rows_for(n, whole.data, whole.dataset, filters))
            new = list(annex_a.rows_for(n, period.data, period.dataset, filters))
            assert new == old, (n, filters)
    assert nonzero > 40  # the figures count something
