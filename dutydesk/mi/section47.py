"""Section 47 enquiries as the front door knows them: the one place Annex A List 5 (and
the CIN census ``Section47`` module) read s47 facts from.

Two sources, the richer winning:

* the **strategy-discussion record** (issue 21, ``domain.routes.s47_records``, loaded
  into ``Dataset.s47_records``): one enquiry per child from the first strategy discussion
  that initiated it (List 5's "Strategy discussion initiating Section 47 Enquiry Start
  Date"), with the s47 start date, the ICPC held or not required, whether a plan followed,
  and the team and worker that *accepted* the hand-off (else the front door's);
* otherwise the front-door **decision** "strategy discussion / s47 enquiry" (or immediate
  protection, which is followed by one; ``domain.referrals.starts_section_47``), dated on
  the day the decision was made, with the conference facts unknown (blank), for a
  contact with no strategy discussion recorded. Once one is (``Dataset.s47_discussed``),
  the record alone says which children are on an s47 enquiry: a sibling who went to
  early help, or a child the discussion decided needed no s47 (or has not decided yet:
  "reconvene"), is not counted from the contact's main outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from ..domain import referrals as dfe
from .dataset import Dataset


@dataclass(frozen=True, slots=True)
class Section47:
    """One s47 enquiry of one child."""

    child: str  # child key (person id, or contact/slot)
    contact_id: str
    start: date  # strategy discussion initiating the enquiry
    office: str
    team: str
    assignee: str | None
    source: str = ""
    icpc_not_required: bool | None = None  # "Was an ICPC deemed unnecessary?"
    icpc_date: date | None = None
    resulted_in_plan: bool | None = None
    s47_started: date | None = None  # the enquiry's own start (CIN S47ActualStartDate)


def section_47_enquiries(
    ds: Dataset, recorded: Mapping[tuple[str, str], Section47] | None = None
) -> list[Section47]:
    """Every s47 enquiry the store knows of, oldest first, one per child per start day.
    ``recorded`` holds richer facts for some (contact id, child) from a strategy-discussion
    record; they replace what is derived from the decision."""
    recorded = recorded_enquiries(ds) if recorded is None else recorded
    found: dict[tuple[str, date], Section47] = {}
    for c in ds.contacts:
        if not dfe.starts_section_47(c.outcome) or c.made_day is None:
            continue
        for child in c.children:
            if c.contact_id in ds.s47_discussed and (c.contact_id, child) not in recorded:
                continue  # the strategy-discussion record says who is on an s47
            enquiry = recorded.get((c.contact_id, child)) or Section47(
                child=child,
                contact_id=c.contact_id,
                start=c.made_day,
                office=c.office,
                team=c.team,
                assignee=c.assignee,
                source=c.source,
            )
            found.setdefault((child, enquiry.start), enquiry)
    for (contact_id, child), enquiry in recorded.items():
        found.setdefault((child, enquiry.start), replace(enquiry, contact_id=contact_id))
    return sorted(found.values(), key=lambda e: (e.start, e.child))


def recorded_enquiries(ds: Dataset) -> dict[tuple[str, str], Section47]:
    """The enquiries the strategy-discussion record gives, by (contact id, child key):
    the first initiating discussion starts the enquiry (a second one, say the night
    team's, continues it). Records of contacts MI did not load (merged, entered in error,
    outside the period's look-back) are left out."""
    facts = {c.contact_id: c for c in ds.contacts}
    out: dict[tuple[str, str], Section47] = {}
    for child, r in sorted(
        ds.s47_records, key=lambda x: (x[1].strategy_discussion_on, x[1].s47_started_on)
    ):
        c = facts.get(r.contact_id)
        if c is None or (r.contact_id, child) in out:
            continue
        decided = r.icpc_held_on is not None or r.icpc_not_required
        out[(r.contact_id, child)] = Section47(
            child=child,
            contact_id=r.contact_id,
            start=r.strategy_discussion_on,
            office=c.office,
            team=r.allocated_team or c.team,
            assignee=r.allocated_worker or c.assignee,
            source=c.source,
            icpc_not_required=r.icpc_not_required if decided else None,
            icpc_date=r.icpc_held_on,
            resulted_in_plan=r.cpp_started if r.icpc_held_on is not None else None,
            s47_started=r.s47_started_on,
        )
    return out


def in_last_12_months(enquiries: list[Section47], child: str, up_to: date) -> tuple[int, int]:
    """List 5: s47 enquiries and ICPCs of ``child`` in the 12 months before their latest
    s47 (on or before ``up_to``), the latest not counted; the same on every row."""
    days = sorted({e.start for e in enquiries if e.child == child and e.start <= up_to})
    if not days:
        return 0, 0
    latest = days[-1]
    since = dfe.months_before(latest, dfe.RE_REFERRAL_MONTHS)
    s47 = dfe.referrals_before(days, latest)
    icpcs = len(
        {
            e.icpc_date
            for e in enquiries
            if e.child == child and e.icpc_date and since <= e.icpc_date < latest
        }
    )
    return s47, icpcs
