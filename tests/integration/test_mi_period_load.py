"""Oracle: what the MI dashboard now loads (the period shown, pushed down to SQL, with
the folds of only the loaded contacts' discussions and hand-offs) gives every figure and
every Annex A list the whole store's load gives, on a generated history (routes, hand-offs,
strategy discussions, supervision, assessments and open contacts, about 2,400 contacts over
three months; and contacts received months before a period and decided or signed off in it).
Periods cut through the history: a month, a fortnight, a period before any
contact, the default six months, an office and a source; with the statutory 12-month
look-back and a one-month one, so the look-back itself cuts through what was recorded."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.mi import annex_a
from dutydesk.mi.cin_census import CENSUS_READS, collection_year, write_census
from dutydesk.mi.figures import FIGURE_READS, compute_all
from dutydesk.mi.records import OPTIONAL_READS, Filters, Settings
from dutydesk.services.mi import Loaded, MiService
from dutydesk.store.eventstore import EventStore
from tests.unit.mi.builders import at, child, pid
from tests.unit.mi.test_annex_a_lists import _recorded
from tests.unit.mi.test_route_figures import Routes

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
    # An awkward case the generator does not make: a sibling stepped down to early help
    # in October on a contact received in August that is no referral (outside every
    # window a period's load reads by date: List 2 needs its route contact's row).
    r = Routes()
    sibling = r.contact("2026-08-20 10:00", children=[child(pid())])
    r.open(sibling, "early_help", "2026-10-12 10:00", slot=0, team="EH", family_consent="given")
    # Contacts received long before a period and decided in it (a period's load reads
    # contacts by receipt, with a month's margin): no further action, a referral, and a
    # practitioner's proposal signed off weeks later.
    for received, decided, outcome in (
        ("2026-07-20 10:00", "2026-10-15 11:00", "nfa"),
        ("2026-07-21 10:00", "2026-10-16 11:00", "cin_assessment"),
    ):
        r.h.decide(r.contact(received, children=[child(pid())]), decided, outcome)
    proposed = r.contact("2026-08-03 10:00", children=[child(pid())])
    r.h.decide(
        proposed, "2026-08-04 10:00", proposed_by_practitioner=True, signed_off="2026-10-20 10:00"
    )
    # Contacts escalated in October long after their decision: a strategy discussion
    # starts an s47 enquiry and records police protection (List 5 and the ICPC and
    # protection figures are dated by the discussion). A referral decided in July for an
    # assessment (received before a short look-back reaches), and a contact closed with
    # no further action in July (no referral: outside every window read by receipt).
    for outcome, held in (("cin_assessment", "2026-10-06 09:30"), ("nfa", "2026-10-08 14:00")):
        escalated = r.contact("2026-07-06 10:00", children=[child(pid())])
        r.h.decide(escalated, "2026-07-07 11:00", outcome)
        _recorded(r.h, escalated, 0, held=held, decision="s47_single")
        made = r.h.events[-1]
        protected = {"started_at": at(held).isoformat()}
        r.h.events[-1] = replace(made, payload={**made.payload, "police_protection": protected})
    # A child on an s47 enquiry in May and again in October (List 5 counts the child's
    # s47 enquiries in the 12 months before the latest, whatever the re-referral look-back).
    again = pid()
    r.h.decide(
        r.contact("2026-05-11 10:00", children=[child(again)]), "2026-05-11 12:00", "strategy_s47"
    )
    r.h.decide(
        r.contact("2026-10-13 10:00", children=[child(again)]), "2026-10-13 12:00", "strategy_s47"
    )
    store.import_events(r.h.events)
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
    whole = service.load(reads=OPTIONAL_READS)
    october = service.load(PERIODS[0], reads=OPTIONAL_READS)
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
    whole = service.load(reads=OPTIONAL_READS)
    nonzero = 0
    for filters in PERIODS:
        shown = service.load(Filters(filters.date_from, filters.date_to))  # as the dashboard
        assert shown.covers_period(filters) and shown.reads == FIGURE_READS
        want = service.figures(whole, filters)
        assert service.figures(shown, filters) == want, filters
        nonzero += sum(1 for f in want if f.value)
        period = service.load(Filters(filters.date_from, filters.date_to), reads=OPTIONAL_READS)
        for n in (2, 3, 4, 5):
            old = list(annex_a.rows_for(n, whole.data, whole.dataset, filters))
            new = list(annex_a.rows_for(n, period.data, period.dataset, filters))
            assert new == old, (n, filters)
    assert nonzero > 40  # the figures count something


def test_each_part_the_figures_read_changes_some_figure_when_left_out(
    generated: EventStore,
) -> None:
    """The test above can fail: every part of ``FIGURE_READS`` changes some figure in some
    period when a load leaves it out, but two the generator makes none of (the
    allocations, left out, change none)."""
    service = MiService(generated, FixedClock(NOW), actor=demo_actor())
    settings = service.settings

    def figures(reads: frozenset[str], filters: Filters) -> tuple[object, ...]:
        loaded = service.load(Filters(filters.date_from, filters.date_to), reads=reads)
        return compute_all(loaded.dataset, filters, NOW, settings)

    full = {f: figures(OPTIONAL_READS, f) for f in PERIODS}
    silent = [
        part
        for part in sorted(FIGURE_READS)
        if all(figures(FIGURE_READS - {part}, f) == full[f] for f in PERIODS)
    ]
    # The generator records no partner check and no repeat MARAC referral: those two
    # parts are checked on hand-made histories loaded the same way (test_mi_route_figures:
    # the repeat criterion; test_follow_through_figures_from_the_store: partner checks).
    assert silent == ["partner_checks", "route_children"]
    assert all(figures(FIGURE_READS, f) == full[f] for f in PERIODS)


@pytest.mark.parametrize("months", [12, 1])
def test_each_list_from_a_load_of_only_what_it_reads_equals_a_full_load(
    generated: EventStore, months: int
) -> None:
    """An Annex A export loads only ``annex_a.LIST_READS[n]`` (no follow-through records,
    no route folds the list does not read): the rows equal those of the full load of the
    whole store, for every period; and a load of less than that would not."""
    service = MiService(
        generated,
        FixedClock(NOW),
        actor=demo_actor(),
        settings=Settings(rereferral_months=months),
    )
    whole = service.load(with_people=True, reads=OPTIONAL_READS)
    listed = 0
    for filters in PERIODS:
        for n in (2, 3, 4, 5):
            narrow = service.load(filters, with_people=True, reads=annex_a.LIST_READS[n])
            assert narrow.reads == annex_a.LIST_READS[n]
            old = list(annex_a.rows_for(n, whole.data, whole.dataset, filters))
            new = list(annex_a.rows_for(n, narrow.data, narrow.dataset, filters))
            assert new == old, (n, filters)
            listed += len(new)
    assert listed > 200
    # Each part a list reads changes its rows in some period when left out (the test can
    # fail). Not List 2's route contacts: its rows need the contact's children, so a
    # route whose contact the period did not load is not listed either way (the routes'
    # contacts are read with the routes at no extra cost, and kept for the figures).
    for n, reads in annex_a.LIST_READS.items():
        for part in reads - {"route_contacts"}:
            assert any(
                list(annex_a.rows_for(n, less.data, less.dataset, filters))
                != list(annex_a.rows_for(n, whole.data, whole.dataset, filters))
                for filters in PERIODS
                for less in (service.load(filters, with_people=True, reads=reads - {part}),)
            ), (n, part)


def test_a_load_leaves_out_what_it_does_not_read(generated: EventStore) -> None:
    service = MiService(generated, FixedClock(NOW), actor=demo_actor())
    october = PERIODS[0]
    full = service.load(october, reads=OPTIONAL_READS)
    bare = service.load(october, reads=frozenset())
    assert bare.data.contacts == full.data.contacts and bare.data.decisions
    found = 0
    for name in OPTIONAL_READS:
        assert not getattr(bare.data, name), name
        one = service.load(october, reads=frozenset({name}))
        assert getattr(one.data, name) == getattr(full.data, name), name
        assert all(not getattr(one.data, other) for other in OPTIONAL_READS - {name})
        found += bool(getattr(full.data, name))
    assert found >= 10  # the generated history has most parts in October
    with pytest.raises(ValueError, match="more of MI's data than was loaded"):
        service.figures(bare, october)
    with pytest.raises(ValueError, match="no such part"):
        service.load(october, reads=frozenset({"contacts"}))


def _census(service: MiService, loaded: Loaded) -> str:
    out = io.StringIO()
    write_census(
        out,
        loaded.data,
        loaded.dataset,
        2027,
        lea="201",
        extras=service.queries.census_extras(r.contact_id for r in loaded.dataset.referrals),
        now=NOW,
        office=service.office,
    )
    return out.getvalue()


def test_the_census_from_a_load_of_what_it_reads_equals_a_full_loads(
    generated: EventStore,
) -> None:
    """The CIN census return loads only ``CENSUS_READS``: the return is the same text as
    from the full load of its year (and of the whole store); leaving out any of those
    parts changes it."""
    service = MiService(generated, FixedClock(NOW), actor=demo_actor())
    year = Filters(*collection_year(2027))
    full = _census(service, service.load(year, with_people=True))
    assert full == _census(service, service.load(with_people=True, reads=OPTIONAL_READS))
    assert full.count("<CINdetails>") > 500
    assert _census(service, service.load(year, with_people=True, reads=CENSUS_READS)) == full
    for part in CENSUS_READS:
        less = service.load(year, with_people=True, reads=CENSUS_READS - {part})
        assert _census(service, less) != full, part
