"""MI figures for the front door's follow-through (issue 21): referrers told within one
working day, partner checks, next steps and the use of police protection and emergency
protection orders. Pure: they count what ``MiQueries.load`` read into the ``Dataset``.

Definitions (docs/mi-definitions.md, "Follow-through"), each implemented here once:

* **Referrer acknowledged within 1 WD**: contacts received in the period (not anonymous),
  acknowledgement sent by ``referrer_told_due(received)``; a contact with none sent and
  past due counts as not met; one not yet due is not counted.
* **Referrer told the decision within 1 WD**: decisions made in the period, feedback sent
  by ``referrer_told_due(made)``; same rules.
* **Partner checks overdue**: checks asked on the period's contacts; unanswered past their
  due time now. Parts: answered in time, late, overdue, awaiting in time, "no trace".
* **Next steps overdue**: next steps of decisions made in the period (standing ones),
  not ticked off and past their due day now.
* **Police protection and EPOs**: children for whom a strategy discussion held in the
  period recorded police protection (Children Act 1989 s46) or an emergency protection
  order (s44).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from ..domain.clock import LONDON
from ..domain.routes import referrer_told_due
from .dataset import ContactFacts, Dataset, child_key
from .figures import in_period, matches, timeliness
from .records import Figure, Filters, Part, Ref

ANONYMOUS = "9"  # DfE referral source 9: nobody to acknowledge


def _refs(items: Iterable[ContactFacts]) -> tuple[Ref, ...]:
    return tuple(Ref(c.contact_id, None) for c in items)


def _told_timeliness(
    key: str,
    title: str,
    rows: Sequence[tuple[ContactFacts, datetime, datetime | None]],
    now: datetime,
    note: str,
) -> Figure:
    """(contact, due, sent or None) -> within / late / not sent past due / not yet due."""
    within = [c for c, due, sent in rows if sent is not None and sent <= due]
    late = [c for c, due, sent in rows if sent is not None and sent > due]
    overdue = [c for c, due, sent in rows if sent is None and now > due]
    pending = [c for c, due, sent in rows if sent is None and now <= due]
    parts = (
        Part("Within 1 WD", len(within), _refs(within)),
        Part("Late", len(late), _refs(late)),
        Part("Not sent, past due", len(overdue), _refs(overdue)),
        Part("Not sent yet, in time", len(pending), _refs(pending)),
    )
    return timeliness(
        key,
        title,
        within,
        late,
        overdue,
        parts,
        _refs,
        note=note,
        overdue_label="not sent, past due",
    )


def _sent(ds: Dataset, kind: str) -> dict[str, datetime]:
    """The first time each contact's referrer was told (``kind``)."""
    out: dict[str, datetime] = {}
    for t in ds.told:
        if t.kind == kind:
            at = datetime.fromisoformat(t.sent_at)
            if t.contact_id not in out or at < out[t.contact_id]:
                out[t.contact_id] = at
    return out


def referrer_acknowledged(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """Receipt acknowledged to the referrer within one working day of office time
    (WT 2023), over the period's contacts that have a referrer (not anonymous)."""
    sent = _sent(ds, "acknowledgement")
    rows = [
        (c, referrer_told_due(c.received, ds.office), sent.get(c.contact_id))
        for c in in_period(ds, filters)
        if c.source != ANONYMOUS
    ]
    return _told_timeliness(
        "referrer_acknowledged",
        "Referrers' receipt acknowledged within 1 working day",
        rows,
        now,
        "One per contact received in the period with a referrer (anonymous contacts have "
        "none). Drill-down: acknowledged late or not yet, past due.",
    )


def referrer_feedback(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """The decision fed back to the referrer within one working day of it being made,
    over the decisions made in the period (contacts with a referrer)."""
    sent = _sent(ds, "feedback")
    rows = [
        (c, referrer_told_due(c.made, ds.office), sent.get(c.contact_id))
        for c in ds.contacts
        if c.made is not None
        and c.made_day is not None
        and filters.date_from <= c.made_day <= filters.date_to
        and c.source != ANONYMOUS
        and matches(c, filters)
    ]
    return _told_timeliness(
        "referrer_feedback",
        "Referrers told the decision within 1 working day",
        rows,
        now,
        "One per contact decided in the period with a referrer. Drill-down: fed back "
        "late or not yet, past due.",
    )


def partner_checks(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """Partner checks asked about the period's contacts: the headline is how many are
    unanswered past their due time now; parts say how the rest went."""
    contacts = {c.contact_id: c for c in in_period(ds, filters)}
    answered_in_time: list[ContactFacts] = []
    late: list[ContactFacts] = []
    overdue: list[ContactFacts] = []
    waiting: list[ContactFacts] = []
    no_trace: list[ContactFacts] = []
    for check in ds.partner_checks:
        c = contacts.get(check.contact_id)
        if c is None:
            continue
        due = datetime.fromisoformat(check.due_at) if check.due_at else None
        if check.answered_at is not None:
            answered = datetime.fromisoformat(check.answered_at)
            (late if due is not None and answered > due else answered_in_time).append(c)
            if check.no_trace:
                no_trace.append(c)
        elif due is not None and now > due:
            overdue.append(c)
        else:
            waiting.append(c)
    asked = len(answered_in_time) + len(late) + len(overdue) + len(waiting)
    return Figure(
        "partner_checks",
        "Partner checks overdue",
        len(overdue),
        "count",
        _refs(overdue),
        (
            Part("Answered in time", len(answered_in_time), _refs(answered_in_time)),
            Part("Answered late", len(late), _refs(late)),
            Part("Overdue, not answered", len(overdue), _refs(overdue)),
            Part("Awaiting, in time", len(waiting), _refs(waiting)),
            Part("No trace (agency holds nothing)", len(no_trace), _refs(no_trace)),
        ),
        part_unit="count",
        aside=f"of {asked} asked",
        note=f"{asked} checks asked about contacts received in the period; "
        f'{len(no_trace)} answered "no trace". Due: the time given when asked or chased. '
        "Drill-down: the overdue checks' contacts.",
    )


def next_steps_overdue(ds: Dataset, filters: Filters, now: datetime) -> Figure:
    """Next steps of decisions made in the period: how many are not ticked off and past
    their due day now (a step is due by the end of its day)."""
    today = now.astimezone(LONDON).date()
    made = {
        c.contact_id: c
        for c in ds.contacts
        if c.made_day is not None
        and filters.date_from <= c.made_day <= filters.date_to
        and matches(c, filters)
    }
    done: list[ContactFacts] = []
    overdue: list[ContactFacts] = []
    open_: list[ContactFacts] = []
    undated: list[ContactFacts] = []
    for s in ds.next_steps:
        c = made.get(s.contact_id)
        if c is None:
            continue
        due = date.fromisoformat(s.due) if s.due else None
        if s.done_at is not None:
            done.append(c)
        elif due is None:
            undated.append(c)
        elif due < today:
            overdue.append(c)
        else:
            open_.append(c)
    total = len(done) + len(overdue) + len(open_) + len(undated)
    return Figure(
        "next_steps_overdue",
        "Next steps overdue",
        len(overdue),
        "count",
        _refs(overdue),
        (
            Part("Done", len(done), _refs(done)),
            Part("Overdue", len(overdue), _refs(overdue)),
            Part("Open, not yet due", len(open_), _refs(open_)),
            Part("Open, no due date", len(undated), _refs(undated)),
        ),
        part_unit="count",
        aside=f"of {total}",
        note=f"{total} next steps on decisions made in the period. Drill-down: the "
        "overdue steps' contacts.",
    )


def protection_use(ds: Dataset, filters: Filters) -> Figure:
    """Children for whom a strategy discussion held in the period recorded police
    protection (s46) or an emergency protection order (s44)."""
    facts = {c.contact_id: c for c in ds.contacts}
    by_kind: dict[str, set[tuple[str, int]]] = {"police_protection": set(), "epo": set()}
    refs: dict[tuple[str, int], Ref] = {}
    for p in ds.protections:
        held = datetime.fromisoformat(p.discussion_held_at).astimezone(LONDON).date()
        c = facts.get(p.contact_id)
        if not filters.date_from <= held <= filters.date_to or (
            c is not None and not matches(c, filters)
        ):
            continue
        key = (p.contact_id, p.slot)
        by_kind[p.kind].add(key)
        refs[key] = Ref(p.contact_id, child_key(p.contact_id, p.slot, p.person_id))
    children = sorted(set(refs))
    both = by_kind["police_protection"] & by_kind["epo"]
    return Figure(
        "protection_use",
        "Police protection and EPOs (children)",
        len(children),
        "count",
        tuple(refs[k] for k in children),
        (
            Part(
                "Police protection (s46)",
                len(by_kind["police_protection"]),
                tuple(refs[k] for k in sorted(by_kind["police_protection"])),
            ),
            Part(
                "Emergency protection order (s44)",
                len(by_kind["epo"]),
                tuple(refs[k] for k in sorted(by_kind["epo"])),
            ),
            Part("Both", len(both), tuple(refs[k] for k in sorted(both))),
        ),
        part_unit="count",
        note="Children, by strategy discussions held in the period that recorded police "
        "protection or an EPO (applied for or granted). Drill-down: the children.",
    )


def follow_up_figures(ds: Dataset, filters: Filters, now: datetime) -> tuple[Figure, ...]:
    return (
        referrer_acknowledged(ds, filters, now),
        referrer_feedback(ds, filters, now),
        partner_checks(ds, filters, now),
        next_steps_overdue(ds, filters, now),
        protection_use(ds, filters),
    )
