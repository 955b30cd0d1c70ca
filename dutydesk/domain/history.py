"""A child's front-door history from linked records, as the triage rules and the desk read it.

Only records already linked to a person count (a contact child slot with a ``person_id``);
proposing links is the matching module's job. Definitions:

* A **referral** is a contact whose settled decision is one of ``codes.REFERRAL_OUTCOMES``
  (``ContactRow.is_referral``); its date is the day the contact was received.
* A **re-referral** is a referral within 12 months of a previous referral (DfE): here, a
  previous referral on or after the same calendar date 12 months before the day of the
  contact being looked at (29 Feb looks back to 28 Feb).
* **Referrals in the last 12 months** counts earlier referrals in that same window
  (Annex A List 3 counts those before the child's latest referral).
* **Police notifications** count contacts from source ``6`` in the last 3 months.

Everything is "as at" a given moment: later contacts, and decisions made after it, do not
count, so history can be rebuilt for any past contact (evaluation needs that).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from .projection import ContactRow, PersonRow

POLICE_SOURCE = "6"


@dataclass(frozen=True, slots=True)
class PastContact:
    """The parts of an earlier contact that history needs (cheap to load in bulk)."""

    contact_id: str
    received_at: str
    source_code: str
    rating: str | None = None
    outcome: str | None = None
    is_referral: bool = False
    decided_at: str | None = None

    @classmethod
    def from_row(cls, row: ContactRow) -> PastContact:
        return cls(row.contact_id, row.received_at, row.source_code, row.rating, row.outcome,
                   row.is_referral, row.decided_at)


@dataclass(frozen=True, slots=True)
class ChildHistory:
    """What is known about one linked child as at ``as_at``."""

    person_id: str
    as_at: str
    previous_contacts: int = 0
    contacts_12m: int = 0
    referrals_12m: int = 0
    last_referral_on: str | None = None
    re_referral: bool = False
    police_notifications: int = 0   # in the police window, this contact not included
    open_case: bool = False
    cp_plan: str | None = None      # "current", "past" or None
    looked_after: bool = False
    earlier: tuple[PastContact, ...] = ()
    # Distinct referral sources of the contacts in the re-referral window (agencies or
    # people raising concerns), for "accumulating concerns from different agencies".
    sources_12m: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.previous_contacts or self.open_case or self.cp_plan
                    or self.looked_after)


@lru_cache(maxsize=8192)  # called twice per child history with few distinct days
def months_before(day: date, months: int) -> date:
    """The same calendar date ``months`` earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def build_history(person_id: str, person: PersonRow | None, contacts: Iterable[PastContact],
                  at: datetime, *, exclude_contact_id: str | None = None,
                  rereferral_months: int = 12, police_months: int = 3) -> ChildHistory:
    """History of ``person_id`` from their linked ``contacts`` as at ``at``."""
    day = at.date()
    rerefer_from = months_before(day, rereferral_months)
    police_from = months_before(day, police_months)
    unique = {c.contact_id: c for c in contacts}  # a child twice on one contact counts once
    # Each arrival time is parsed once here (rating 100,000 open contacts builds a history
    # per linked child, and parsing dominated when it was done per test).
    dated = [(c, _instant(c.received_at)) for c in unique.values()
             if c.contact_id != exclude_contact_id and c.received_at]
    dated = [(c, when) for c, when in dated if when < at]
    dated.sort(key=lambda pair: (pair[0].received_at, pair[0].contact_id))
    earlier = [c for c, _ in dated]
    referral_days = [when.date() for c, when in dated
                     if c.is_referral and c.decided_at and _instant(c.decided_at) <= at]
    in_window = [d for d in referral_days if d >= rerefer_from]
    recent = [c for c, when in dated if when.date() >= rerefer_from]
    police = [c for c, when in dated if c.source_code == POLICE_SOURCE
              and when.date() >= police_from]
    cp_plan = person.cp_plan if person and person.cp_plan in ("current", "past") else None
    return ChildHistory(
        person_id=person_id, as_at=at.isoformat(),
        previous_contacts=len(earlier), contacts_12m=len(recent),
        referrals_12m=len(in_window),
        last_referral_on=referral_days[-1].isoformat() if referral_days else None,
        re_referral=bool(in_window), police_notifications=len(police),
        open_case=bool(person and person.open_case), cp_plan=cp_plan,
        looked_after=bool(person and person.looked_after), earlier=tuple(earlier),
        sources_12m=tuple(sorted({c.source_code for c in recent})),
    )


def is_re_referral(referral_day: date, earlier_referral_days: Iterable[date],
                   months: int = 12) -> bool:
    """DfE: is a referral on ``referral_day`` within ``months`` of an earlier referral?
    ``earlier_referral_days`` are the child's other, earlier referrals (same day counts)."""
    since = months_before(referral_day, months)
    return any(since <= d <= referral_day for d in earlier_referral_days)


# From this many earlier contacts in 12 months the pattern is shown to the duty manager
# (cumulative harm: contacts that each look minor alone).
REPEAT_CONTACTS = 2


def history_messages(h: ChildHistory) -> list[str]:
    """The flags a duty manager reads beside a child, most serious first."""
    out = []
    if h.open_case:
        out.append("Open case: an allocated worker holds it")
    if h.looked_after:
        out.append("Looked after by the local authority")
    if h.cp_plan == "current":
        out.append("Subject of a child protection plan now")
    if h.re_referral:
        out.append(f"Referred in the last 12 months ({h.referrals_12m}): "
                   "a referral now would be a re-referral")
    if h.contacts_12m >= REPEAT_CONTACTS:
        out.append(f"{h.contacts_12m} earlier contacts in 12 months")
    if h.police_notifications >= 3:
        out.append(f"{h.police_notifications} police notifications in 3 months (escalation)")
    if h.cp_plan == "past":
        out.append("Previously subject of a child protection plan")
    return out
