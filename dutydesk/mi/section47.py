"""Section 47 enquiries as the front door knows them: the one place Annex A List 5 (and
the CIN census ``Section47`` module) read s47 facts from.

Today a front-door decision "strategy discussion / s47 enquiry" (or immediate protection,
which is followed by one; ``domain.referrals.starts_section_47``) is the strategy
discussion that initiated an enquiry, dated on the day the decision was made. What
happens later (whether an initial child protection conference was needed, its date, a
plan) is not recorded at the front door, so those facts are ``None`` (blank in List 5).

Extending it: a later record of the strategy discussion and its s47 outcome (issue 21)
enriches ``section_47_enquiries`` here, by passing its facts in ``recorded`` (keyed by
contact id and child), and every export picks them up.
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

    child: str                       # child key (person id, or contact/slot)
    contact_id: str
    start: date                      # strategy discussion initiating the enquiry
    office: str
    team: str
    assignee: str | None
    source: str = ""
    icpc_not_required: bool | None = None  # "Was an ICPC deemed unnecessary?"
    icpc_date: date | None = None
    resulted_in_plan: bool | None = None


def section_47_enquiries(ds: Dataset, recorded: Mapping[tuple[str, str], Section47]
                         | None = None) -> list[Section47]:
    """Every s47 enquiry the store knows of, oldest first, one per child per start day.
    ``recorded`` holds richer facts for some (contact id, child) from a strategy-discussion
    record; they replace what is derived from the decision."""
    recorded = recorded or {}
    found: dict[tuple[str, date], Section47] = {}
    for c in ds.contacts:
        if not dfe.starts_section_47(c.outcome) or c.made_day is None:
            continue
        for child in c.children:
            enquiry = recorded.get((c.contact_id, child)) or Section47(
                child=child, contact_id=c.contact_id, start=c.made_day, office=c.office,
                team=c.team, assignee=c.assignee, source=c.source)
            found.setdefault((child, enquiry.start), enquiry)
    for (contact_id, child), enquiry in recorded.items():
        found.setdefault((child, enquiry.start), replace(enquiry, contact_id=contact_id))
    return sorted(found.values(), key=lambda e: (e.start, e.child))


def in_last_12_months(enquiries: list[Section47], child: str, up_to: date) -> tuple[int, int]:
    """List 5: s47 enquiries and ICPCs of ``child`` in the 12 months before their latest
    s47 (on or before ``up_to``), the latest not counted; the same on every row."""
    days = sorted({e.start for e in enquiries if e.child == child and e.start <= up_to})
    if not days:
        return 0, 0
    latest = days[-1]
    since = dfe.months_before(latest, dfe.RE_REFERRAL_MONTHS)
    s47 = dfe.referrals_before(days, latest)
    icpcs = len({e.icpc_date for e in enquiries if e.child == child and e.icpc_date
                 and since <= e.icpc_date < latest})
    return s47, icpcs
