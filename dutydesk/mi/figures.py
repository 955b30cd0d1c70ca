"""The dashboard's figures, computed from a prepared ``Dataset`` (no Qt, no SQL).

Each function returns a ``Figure`` whose ``refs`` (and each part's ``refs``) name the
contacts, children or workers behind the number, so every figure drills down. Definitions
are in docs/mi-definitions.md; the function docstrings say the rule in one line.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from ..domain.clock import LONDON
from ..domain.codes import OUTCOME_LABELS, SOURCE_SHORT, Outcome, Rating
from ..domain.route_codes import RouteKind, RouteStep
from ..domain.routes import RouteRecord, marac_criteria, marac_referral_days
from ..domain.timescales import OfficeHours
from ..domain.wording import human_date, plural
from .dataset import ContactFacts, Dataset, Referral, RouteContactFacts
from .records import OPTIONAL_READS, Figure, Filters, Part, Ref, Settings, Supervision
from .section47 import Section47, section_47_enquiries


def pct(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


T = TypeVar("T")


def timeliness(
    key: str,
    title: str,
    within: list[T],
    late: list[T],
    overdue: list[T],
    parts: tuple[Part, ...],
    refs: Callable[[list[T]], tuple[Ref, ...]],
    *,
    note: str,
    overdue_label: str,
) -> Figure:
    """A timeliness figure: the share done in time among those counted, which are the
    ones done (in time or late) and the ones not done and past due; those not yet due
    (or not needed) are shown in ``parts`` but not counted. The drill-down lists the
    late and the past due."""
    counted = len(within) + len(late) + len(overdue)
    return Figure(
        key,
        title,
        pct(len(within), counted),
        "percent",
        refs(late + overdue),
        parts,
        len(within),
        counted,
        note=note,
        part_unit="count",
        overdue=len(overdue),
        overdue_label=overdue_label,
    )


def _where(item: ContactFacts | Referral | Any, filters: Filters) -> bool:
    """Does ``item`` (anything with office, team and source) match the filters?"""
    return (
        (filters.office is None or item.office == filters.office)
        and (filters.team is None or item.team == filters.team)
        and (filters.source is None or item.source == filters.source)
    )


matches = _where


def in_period(ds: Dataset, filters: Filters) -> list[ContactFacts]:
    """Contacts received in the period that match office, team and source."""
    return [
        c
        for c in ds.contacts
        if filters.date_from <= c.day <= filters.date_to and _where(c, filters)
    ]


def open_now(ds: Dataset, filters: Filters) -> list[ContactFacts]:
    """Contacts open now (any receipt date) that match office, team and source."""
    return [c for c in ds.contacts if c.is_open and _where(c, filters)]


def referrals_in_period(ds: Dataset, filters: Filters) -> list[Referral]:
    return [
        r
        for r in ds.referrals
        if filters.date_from <= r.day <= filters.date_to and _where(r, filters)
    ]


def _contact_refs(items: Iterable[ContactFacts]) -> tuple[Ref, ...]:
    return tuple(Ref(c.contact_id) for c in items)


def _referral_refs(items: Iterable[Referral]) -> tuple[Ref, ...]:
    return tuple(Ref(r.contact_id, r.child) for r in items)


def _rate_part(label: str, hits: Sequence[object], total: int, refs: tuple[Ref, ...]) -> Part:
    return Part(label, pct(len(hits), total) or 0.0, refs, len(hits), total)


# ---- contacts ---------------------------------------------------------------------------


def contacts_received(contacts: Sequence[ContactFacts], filters: Filters) -> Figure:
    """Contacts received: the headline is the **average** per day (periods up to 31 days)
    or per week (longer periods; weeks of 7 days over the period's length); the bars are
    the counts of each day or week (w/c Monday); the note gives the total."""
    span = (filters.date_to - filters.date_from).days + 1
    by_day = span <= 31
    buckets: dict[date, list[ContactFacts]] = {}
    start = (
        filters.date_from
        if by_day
        else filters.date_from - timedelta(days=filters.date_from.weekday())
    )
    step = timedelta(days=1 if by_day else 7)
    d = start
    while d <= filters.date_to:
        buckets[d] = []
        d += step
    for c in contacts:
        key = c.day if by_day else c.day - timedelta(days=c.day.weekday())
        buckets.setdefault(key, []).append(c)
    parts = tuple(
        Part(("" if by_day else "w/c ") + k.isoformat(), len(v), _contact_refs(v))
        for k, v in sorted(buckets.items())
    )
    per = span if by_day else span / 7
    unit = "per day" if by_day else "per week"
    return Figure(
        "contacts_received",
        f"Contacts received (average {unit})",
        round(len(contacts) / per, 1),
        unit,
        _contact_refs(contacts),
        parts,
        chart="line",
        part_unit="count",
        note=f"{plural(len(contacts), 'contact')} in all over "
        f"{plural(span, 'day')} ({human_date(filters.date_from)} to "
        f"{human_date(filters.date_to)}).",
    )


def decision_timeliness(
    contacts: Sequence[ContactFacts], office: OfficeHours, today: date, settings: Settings
) -> Figure:
    """Decision made on or before the n-th working day after the day of receipt (day 0)."""
    n = settings.decision_working_days
    within: list[ContactFacts] = []
    late: list[ContactFacts] = []
    overdue: list[ContactFacts] = []
    pending: list[ContactFacts] = []
    for c in contacts:
        deadline = office.nth_working_day(c.day, n)
        if c.made_day is not None:
            (within if c.made_day <= deadline else late).append(c)
        elif today > deadline:
            overdue.append(c)
        else:
            pending.append(c)
    parts = (
        Part(f"Within {n} WD", len(within), _contact_refs(within)),
        Part("Decided late", len(late), _contact_refs(late)),
        Part("Undecided, past due", len(overdue), _contact_refs(overdue)),
        Part("Undecided, not yet due", len(pending), _contact_refs(pending)),
    )
    return timeliness(
        "decision_timeliness",
        f"Decisions within {n} working day" + ("" if n == 1 else "s"),
        within,
        late,
        overdue,
        parts,
        _contact_refs,
        note="Drill-down: decisions made late or still undecided past the deadline.",
        overdue_label="undecided past due",
    )


def response_times(contacts: Sequence[ContactFacts], now: datetime) -> Figure:
    """Rated contacts first acted on (or decided) no later than the rating's due time."""
    met: dict[str, list[ContactFacts]] = defaultdict(list)
    missed: dict[str, list[ContactFacts]] = defaultdict(list)
    for c in contacts:
        if c.due is None:
            continue
        rating = c.rating or "unrated"
        if c.responded is not None and c.responded <= c.due:
            met[rating].append(c)
        elif c.responded is not None or now > c.due:
            missed[rating].append(c)
    order = [r.value for r in Rating] + ["unrated"]
    parts = tuple(
        _rate_part(r.capitalize(), met[r], len(met[r]) + len(missed[r]), _contact_refs(missed[r]))
        for r in order
        if met[r] or missed[r]
    )
    n_met = sum(len(v) for v in met.values())
    n_all = n_met + sum(len(v) for v in missed.values())
    refs = tuple(ref for r in order for ref in _contact_refs(missed[r]))
    note = "Drill-down: contacts not acted on by their rating's due time."
    if not n_all:
        note = "No rated contact with a due time in this selection."
    return Figure(
        "response_times",
        "Rating response times met",
        pct(n_met, n_all),
        "percent",
        refs,
        parts,
        n_met,
        n_all,
        note=note,
    )


def open_queue_age(
    open_contacts: Sequence[ContactFacts], office: OfficeHours, today: date
) -> Figure:
    """Working days since receipt of every open contact (receipt day = 0)."""
    bands: list[tuple[str, Callable[[int], bool]]] = [
        ("Day 0", lambda a: a <= 0),
        ("1 WD", lambda a: a == 1),
        ("2–5 WD", lambda a: 2 <= a <= 5),
        ("Over 5 WD", lambda a: a > 5),
    ]
    ages = [(office.working_days_between(c.day, today), c) for c in open_contacts]
    parts = tuple(
        Part(
            label, sum(1 for a, _ in ages if test(a)), _contact_refs(c for a, c in ages if test(a))
        )
        for label, test in bands
    )
    oldest = max(ages, key=lambda x: x[0], default=None)
    note = f"{len(ages)} open" + (
        f"; oldest {oldest[0]} WD (received {oldest[1].day})" if oldest else ""
    )
    median = float(statistics.median(a for a, _ in ages)) if ages else None
    over = [c for a, c in ages if a > 1]
    return Figure(
        "open_queue_age",
        "Age of the open queue (median)",
        median,
        "working days",
        _contact_refs(over),
        parts,
        note=note + ". Drill-down: open over 1 WD.",
        part_unit="count",
    )


def outcome_mix(contacts: Sequence[ContactFacts]) -> Figure:
    """Decided contacts received in the period, by current outcome."""
    decided = [c for c in contacts if not c.is_open and c.outcome]
    by: dict[str, list[ContactFacts]] = defaultdict(list)
    for c in decided:
        by[c.outcome or ""].append(c)
    parts = tuple(
        Part(OUTCOME_LABELS[o], len(by[o.value]), _contact_refs(by[o.value])) for o in Outcome
    )
    return Figure(
        "outcome_mix", "Outcome mix", len(decided), "count", _contact_refs(decided), parts
    )


def conversion(contacts: Sequence[ContactFacts]) -> Figure:
    """Decided contacts that became referrals, overall and by source."""
    decided = [c for c in contacts if not c.is_open]
    referred = [c for c in decided if c.is_referral]
    by_source: dict[str, tuple[list[ContactFacts], list[ContactFacts]]] = {}
    for c in decided:
        hits, alls = by_source.setdefault(c.source, ([], []))
        alls.append(c)
        if c.is_referral:
            hits.append(c)
    parts = tuple(
        _rate_part(SOURCE_SHORT.get(s, s), hits, len(alls), _contact_refs(hits))
        for s, (hits, alls) in sorted(by_source.items(), key=lambda kv: -len(kv[1][1]))
    )
    return Figure(
        "conversion",
        "Contacts becoming referrals",
        pct(len(referred), len(decided)),
        "percent",
        _contact_refs(referred),
        parts,
        len(referred),
        len(decided),
    )


# ---- referrals --------------------------------------------------------------------------


def re_referrals(ds: Dataset, referrals: Sequence[Referral], settings: Settings) -> Figure:
    """Referrals within 12 months of the same child's previous referral, by office/team."""
    months = settings.rereferral_months
    re = [r for r in referrals if ds.previous_referral_within(r.child, r.day, months)]
    hits: dict[str, list[Referral]] = defaultdict(list)
    totals: Counter[str] = Counter()
    for r in referrals:
        totals[f"{r.office} / {r.team}"] += 1
    for r in re:
        hits[f"{r.office} / {r.team}"].append(r)
    parts = tuple(
        _rate_part(k, hits[k], totals[k], _referral_refs(hits[k])) for k in sorted(totals)
    )
    return Figure(
        "re_referrals",
        f"Re-referrals within {months} months",
        pct(len(re), len(referrals)),
        "percent",
        _referral_refs(re),
        parts,
        len(re),
        len(referrals),
        note="Per child; looks back across every office and team.",
    )


def assessments(referrals: Sequence[Referral], today: date, settings: Settings) -> Figure:
    """Assessments (started on the referral day) authorised within 45 working days."""
    on_time = [
        r
        for r in referrals
        if r.assessment_completed and r.assessment_completed <= r.assessment_due
    ]
    late = [
        r for r in referrals if r.assessment_completed and r.assessment_completed > r.assessment_due
    ]
    overdue = [r for r in referrals if not r.assessment_completed and today > r.assessment_due]
    running = [r for r in referrals if not r.assessment_completed and today <= r.assessment_due]
    n = settings.assessment_working_days
    parts = (
        Part(f"Completed within {n} WD", len(on_time), _referral_refs(on_time)),
        Part("Completed late", len(late), _referral_refs(late)),
        Part(f"Open past {n} WD", len(overdue), _referral_refs(overdue)),
        Part("Open, in time", len(running), _referral_refs(running)),
    )
    done = len(on_time) + len(late)
    note = "Drill-down: completed late or open past the timescale."
    if not done:
        note = (
            "No completed assessment recorded (assessment.completed) for these "
            f"referrals; {len(overdue)} are open past {n} WD."
        )
    return Figure(
        "assessments",
        f"Assessments completed within {n} working days",
        pct(len(on_time), done),
        "percent",
        _referral_refs(late + overdue),
        parts,
        len(on_time),
        done,
        note=note,
        part_unit="count",
        overdue=len(overdue),
        overdue_label=f"open past {n} WD",
    )


ICPC_WORKING_DAYS = 15  # WT 2023 ch. 3: within 15 working days of the strategy discussion


def icpc_timeliness(ds: Dataset, filters: Filters, today: date) -> Figure:
    """Initial child protection conferences held within 15 working days of the strategy
    discussion that started the s47 enquiry (the strategy-discussion record, issue 21)."""
    enquiries = [
        e
        for e in section_47_enquiries(ds)
        if filters.date_from <= e.start <= filters.date_to and _where(e, filters)
    ]
    on_time: list[Section47] = []
    late: list[Section47] = []
    overdue: list[Section47] = []
    running: list[Section47] = []
    not_needed: list[Section47] = []
    for e in enquiries:
        due = ds.office.nth_working_day(e.start, ICPC_WORKING_DAYS)
        if e.icpc_date is not None:
            (on_time if e.icpc_date <= due else late).append(e)
        elif e.icpc_not_required:
            not_needed.append(e)
        else:
            (overdue if today > due else running).append(e)

    def refs(items: Sequence[Section47]) -> tuple[Ref, ...]:
        return tuple(Ref(e.contact_id, e.child) for e in items)

    n = ICPC_WORKING_DAYS
    parts = (
        Part(f"Held within {n} WD", len(on_time), refs(on_time)),
        Part("Held late", len(late), refs(late)),
        Part(f"Not held, past {n} WD", len(overdue), refs(overdue)),
        Part("Not held yet, in time", len(running), refs(running)),
        Part("Not required", len(not_needed), refs(not_needed)),
    )
    held = len(on_time) + len(late)
    note = (
        "From the strategy-discussion record; England 2023-24: 20.3% of ICPCs were held "
        "more than 15 days after the s47 start (DfE CIN statistics; working days "
        "assumed)."
    )
    if not held:
        note = (
            f"No ICPC recorded for these s47 enquiries; {len(overdue)} are past {n} WD "
            "with none held. " + note
        )
    return Figure(
        "icpc_timeliness",
        f"Initial conferences within {n} working days",
        pct(len(on_time), held),
        "percent",
        refs(late + overdue),
        parts,
        len(on_time),
        held,
        note=note,
        part_unit="count",
        overdue=len(overdue),
        overdue_label=f"not held past {n} WD",
    )


# ---- routes (issue 21) ------------------------------------------------------------------


def _routes_in_period(
    ds: Dataset, kind: RouteKind, filters: Filters
) -> list[tuple[RouteRecord, RouteContactFacts]]:
    """Routes of ``kind`` on contacts received in the period that match the filters (a
    route's clock starts when its contact was received: the allegation, the notification,
    the incident). Void contacts are not loaded, so their routes count nowhere."""
    facts = ds.route_contacts
    out = []
    for r in ds.routes:
        c = facts.get(r.contact_id)
        if (
            r.kind == kind
            and c is not None
            and filters.date_from <= c.day <= filters.date_to
            and _where(c, filters)
        ):
            out.append((r, c))
    return out


def _route_refs(items: Iterable[tuple[RouteRecord, RouteContactFacts]]) -> tuple[Ref, ...]:
    def child(r: RouteRecord) -> str | None:
        if r.slot is None:
            return None  # a LADO or MARAC route is about an adult on the contact
        return r.person_id or f"{r.contact_id}/{r.slot}"

    return tuple(Ref(r.contact_id, child(r)) for r, _ in items)


def _route_timeliness(
    key: str,
    title: str,
    met_label: str,
    rows: Sequence[tuple[RouteRecord, RouteContactFacts]],
    now: datetime,
    note: str,
) -> Figure:
    """A route clock's timeliness, from the clock the follow-through view shows
    (``domain.routes.route_clocks``). Met in time / met late / not met and past due
    (a route closed after its due time without it counts here) / not met, in time /
    closed before its due time without it (not counted)."""
    within: list[tuple[RouteRecord, RouteContactFacts]] = []
    late: list[tuple[RouteRecord, RouteContactFacts]] = []
    overdue: list[tuple[RouteRecord, RouteContactFacts]] = []
    pending: list[tuple[RouteRecord, RouteContactFacts]] = []
    closed: list[tuple[RouteRecord, RouteContactFacts]] = []
    for row in rows:
        r, _ = row
        clock = r.clock
        if clock is None:
            continue
        if clock.met_at is not None:
            (late if clock.met_late() else within).append(row)
        elif r.closed_at is not None and (clock.due is None or r.closed_at <= clock.due):
            closed.append(row)
        elif clock.overdue(now):  # closed after the due time without it: counted late
            overdue.append(row)
        else:
            pending.append(row)
    parts = (
        Part(met_label, len(within), _route_refs(within)),
        Part("Late", len(late), _route_refs(late)),
        Part("Not done, past due", len(overdue), _route_refs(overdue)),
        Part("Not done yet, in time", len(pending), _route_refs(pending)),
        Part("Closed before due, not needed", len(closed), _route_refs(closed)),
    )
    return timeliness(
        key,
        title,
        within,
        late,
        overdue,
        parts,
        _route_refs,
        note=note,
        overdue_label="past due, not done",
    )


def lado_timeliness(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """LADO referrals made (route step "referred") within one working day of office time
    of the allegation's receipt (WT 2023; the LADO route's clock)."""
    return _route_timeliness(
        "lado_timeliness",
        "LADO told within 1 working day",
        "Within 1 WD",
        _routes_in_period(ds, RouteKind.LADO, filters),
        now,
        "One per LADO route (allegation about an adult). Drill-down: told late or not "
        "told past the working day.",
    )


def private_fostering_visits(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """Private fostering visits made within 7 working days of the notification (Children
    (Private Arrangements for Fostering) Regulations 2005; the route's clock)."""
    return _route_timeliness(
        "private_fostering_visits",
        "Private fostering visits within 7 working days",
        "Within 7 WD",
        _routes_in_period(ds, RouteKind.PRIVATE_FOSTERING, filters),
        now,
        "One per child notified. Drill-down: visited late or not visited past 7 WD.",
    )


def marac_referrals(ds: Dataset, filters: Filters) -> Figure:
    """MARAC referrals made from contacts received in the period, with how many meet the
    SafeLives repeat criterion (``domain.routes.marac_criteria``) and how many contacts
    were already known to MARAC."""
    rows = _routes_in_period(ds, RouteKind.MARAC, filters)
    referred = [(r, c) for r, c in rows if r.marac == "referred"]
    known = [(r, c) for r, c in rows if r.marac == "already_known"]
    by_child: dict[str, list[RouteRecord]] = defaultdict(list)
    for r in ds.routes:
        if r.kind == RouteKind.MARAC and r.marac == "referred":
            for person in ds.route_children.get(r.contact_id, ()):
                by_child[person].append(r)
    repeat = []
    for r, c in referred:
        earlier = {
            e.route_id: e
            for person in ds.route_children.get(r.contact_id, ())
            for e in by_child[person]
        }
        days = marac_referral_days(earlier.values(), ds.office.zone, other_than=r.contact_id)
        criteria = marac_criteria(
            incident_on=c.day,
            dash_level=None,
            dara_level=None,
            previous_incidents=None,
            earlier_police_da=(),
            earlier_marac_referrals=days,
        )
        if criteria.repeat:
            repeat.append((r, c))
    sent = [(r, c) for r, c in referred if r.step_at(RouteStep.REFERRED) is not None]
    unsent = [(r, c) for r, c in referred if r.step_at(RouteStep.REFERRED) is None]
    parts = (
        Part("Referred to MARAC", len(referred), _route_refs(referred)),
        Part("Repeat criterion met", len(repeat), _route_refs(repeat)),
        Part("Referral sent", len(sent), _route_refs(sent)),
        Part("Referral not sent yet", len(unsent), _route_refs(unsent)),
        Part("Already known to MARAC", len(known), _route_refs(known)),
    )
    return Figure(
        "marac_referrals",
        "MARAC referrals",
        len(referred),
        "count",
        _route_refs(referred),
        parts,
        part_unit="count",
        aside=f"{len(repeat)} repeat",
        note=f"{len(repeat)} of {len(referred)} meet the repeat criterion (a new incident "
        "within 12 months of an earlier MARAC referral about the same children); "
        f"{len(known)} already known to MARAC. Drill-down: the referrals.",
    )


def handoffs_awaiting(ds: Dataset, filters: Filters, today: date) -> Figure:
    """Routes handed off to a named team (``route.transferred``) that the team has not
    yet accepted or returned, now, by working days waiting (day of hand-off = day 0)."""
    facts = ds.route_contacts
    waiting: list[tuple[int, RouteRecord, RouteContactFacts]] = []
    for r in ds.routes:
        c = facts.get(r.contact_id)
        if (
            r.transfer_state != "awaiting"
            or r.transfer_at is None
            or r.closed_at is not None
            or c is None
            or not _where(c, filters)
        ):
            continue
        day = r.transfer_at.astimezone(ds.office.zone).date()
        waiting.append((ds.office.working_days_between(day, today), r, c))
    waiting.sort(key=lambda x: (-x[0], x[1].route_id))
    bands: list[tuple[str, Callable[[int], bool]]] = [
        ("Day 0", lambda a: a <= 0),
        ("1 WD", lambda a: a == 1),
        ("2–5 WD", lambda a: 2 <= a <= 5),
        ("Over 5 WD", lambda a: a > 5),
    ]
    parts = tuple(
        Part(
            label,
            sum(1 for a, _, _ in waiting if test(a)),
            _route_refs((r, c) for a, r, c in waiting if test(a)),
        )
        for label, test in bands
    )
    oldest = waiting[0] if waiting else None
    aside = f"oldest {oldest[0]} WD" if oldest else ""
    note = (
        f"Oldest: {oldest[0]} WD, with {oldest[1].transfer_team}. "
        if oldest
        else "No hand-off awaiting acceptance. "
    ) + "Now, whatever the period. Drill-down: every hand-off waiting."
    return Figure(
        "handoffs_awaiting",
        "Hand-offs awaiting acceptance",
        len(waiting),
        "count",
        _route_refs((r, c) for _, r, c in waiting),
        parts,
        part_unit="count",
        aside=aside,
        note=note,
    )


# ---- capacity ---------------------------------------------------------------------------


def caseload(open_contacts: Sequence[ContactFacts], settings: Settings) -> Figure:
    """Open contacts per assigned worker against the cap; headline = workers over the cap."""
    by: dict[str, list[ContactFacts]] = defaultdict(list)
    for c in open_contacts:
        if c.assignee:
            by[c.assignee].append(c)
    cap = settings.caseload_cap
    parts = tuple(
        Part(w, len(v), _contact_refs(v))
        for w, v in sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    over = [w for w, v in by.items() if len(v) > cap]
    unassigned = sum(1 for c in open_contacts if not c.assignee)
    return Figure(
        "caseload",
        f"Workers over the caseload cap ({cap})",
        len(over),
        "count",
        tuple(Ref(c.contact_id, None, w) for w in sorted(over) for c in by[w]),
        parts,
        note=f"Cap {cap} open contacts; {unassigned} open contacts unassigned.",
    )


def supervision_overdue(
    supervisions: Sequence[Supervision], workers: Iterable[str], today: date
) -> Figure:
    """Workers whose latest supervision's next-due date has passed, or who have none."""
    latest: dict[str, Supervision] = {}
    for s in supervisions:
        have = latest.get(s.worker)
        if have is None or (s.held_on, s.next_due) > (have.held_on, have.next_due):
            latest[s.worker] = s
    parts: list[Part] = []
    overdue: list[str] = []
    for w in sorted(set(latest) | set(workers)):
        last = latest.get(w)
        if last is None:
            parts.append(Part(f"{w} (none recorded)", 0.0, (Ref(None, None, w),)))
            overdue.append(w)
            continue
        days = (today - last.next_due).days
        parts.append(Part(f"{w} (due {last.next_due})", max(days, 0), (Ref(None, None, w),)))
        if days > 0:
            overdue.append(w)
    return Figure(
        "supervision_overdue",
        "Supervision overdue (workers)",
        len(overdue),
        "count",
        tuple(Ref(None, None, w) for w in overdue),
        tuple(parts),
        part_unit="days overdue",
        note="Bars: days past the next-due date. Workers with open contacts and no "
        "supervision record count as overdue.",
    )


# ---- everything -------------------------------------------------------------------------


# What the figures read of ``MiInput`` beyond the contacts, children, decisions and people
# (``records.OPTIONAL_READS``): all but the allocations (Annex A's allocated team and
# worker of a referral, Lists 3-4), which only the folds of every accepted hand-off give.
# Tested: every figure from a load of these equals the full load's, and leaving out any
# of them changes some figure (tests/integration/test_mi_period_load.py).
FIGURE_READS: frozenset[str] = OPTIONAL_READS - {"allocations"}


def compute_all(
    ds: Dataset, filters: Filters, now: datetime, settings: Settings | None = None
) -> tuple[Figure, ...]:
    """Every dashboard figure for one filter selection."""
    if filters.date_from > filters.date_to:
        raise ValueError(
            f"the period starts ({filters.date_from}) after it ends ({filters.date_to})"
        )
    settings = settings or Settings()
    today = now.astimezone(LONDON).date()
    contacts = in_period(ds, filters)
    queue = open_now(ds, filters)
    referrals = referrals_in_period(ds, filters)
    load = caseload(queue, settings)
    from .followup import follow_up_figures  # it builds on this module's helpers

    return (
        contacts_received(contacts, filters),
        decision_timeliness(contacts, ds.office, today, settings),
        response_times(contacts, now),
        open_queue_age(queue, ds.office, today),
        outcome_mix(contacts),
        conversion(contacts),
        re_referrals(ds, referrals, settings),
        assessments(referrals, today, settings),
        icpc_timeliness(ds, filters, today),
        lado_timeliness(ds, filters, now),
        private_fostering_visits(ds, filters, now),
        marac_referrals(ds, filters),
        handoffs_awaiting(ds, filters, today),
        *follow_up_figures(ds, filters, now),
        load,
        supervision_overdue(ds.supervisions, (p.label for p in load.parts), today),
    )
