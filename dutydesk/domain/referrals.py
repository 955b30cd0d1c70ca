"""The DfE's statutory definitions, once: contact, referral, re-referral, assessment and
section 47 enquiry, as the children in need (CIN) census counts them.

Everything that counts referrals (MI, Annex A, the CIN census return, triage history, the
importers' checks) asks this module; nothing else decides what a referral is. The DfE
wording is quoted in docs/mi-definitions.md. In short:

* A **contact** is any approach to children's services about a child; it is dated on the
  day (London date) it was received.
* A **referral** is "a request for services to be provided by children's social care"
  accepted as one: a contact whose settled decision sends it through the statutory
  assessment process (``REFERRAL_OUTCOMES``: s17 assessment, strategy discussion / s47,
  immediate protection), or a referral recorded elsewhere and imported as one (a CIN
  census ``CINdetails`` or an Annex A List 3 row) **whatever its outcome, no further action
  included**. A referral is dated on the day it was **received**, not the day it was decided.
* **One referral per child per day**: several referrals of the same child on the same day
  are one referral (the earliest stands for it). This is the single same-day rule: a
  referral is never a re-referral of another one on the same day.
* A **re-referral** is a referral of a child within 12 months of a previous referral of the
  same child: a previous referral on an earlier day no earlier than the same calendar date
  12 months before (exactly 12 months counts; 29 February looks back to 28 February).
* An **assessment** starts on the day the decision to assess is made (never before the
  referral) and is due 45 working days from the point of referral (Working Together 2023),
  counted on the office's working days (``timescales``). It is **completed** on its date of
  authorisation (``assessment.completed``).
* A **section 47 enquiry** starts on the day of the strategy discussion that initiated it;
  a front-door decision "strategy discussion / s47" is the strategy discussion.

Pure functions: no clock, no storage, no Qt.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from .clock import LONDON
from .codes import REFERRAL_OUTCOMES, DecisionStatus, Outcome, Role
from .timescales import ASSESSMENT_WORKING_DAYS, OfficeHours, nth_working_day

RE_REFERRAL_MONTHS = 12
_DECIDERS = frozenset({Role.DUTY_MANAGER.value, Role.SENIOR_PRACTITIONER.value})


class MadeDecision(Protocol):
    """What ``decisions_made_at`` reads of a decision (a projection row, an MI record)."""

    @property
    def contact_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def decided_role(self) -> str: ...
    @property
    def decided_at(self) -> str: ...
    @property
    def signed_off_at(self) -> str | None: ...
    @property
    def superseded(self) -> bool: ...


def decisions_made_at(decisions: Iterable[MadeDecision]) -> dict[str, datetime]:
    """When each contact's decision was *made* (the first that stands): when a duty
    manager or senior practitioner recorded it, or, for a practitioner's proposal, when it
    was signed off; superseded decisions do not count. MI's "decision made" and the
    feedback-to-referrer clock (MI and the follow-through view) both read this."""
    made: dict[str, datetime] = {}
    for d in decisions:
        if d.superseded:
            continue
        stamp: str | None = None
        if d.status == DecisionStatus.RECORDED.value:
            stamp = d.decided_at
        elif d.status == DecisionStatus.SIGNED_OFF.value:
            stamp = d.decided_at if d.decided_role in _DECIDERS else d.signed_off_at
        if not stamp:
            continue
        at = datetime.fromisoformat(stamp)
        if d.contact_id not in made or at < made[d.contact_id]:
            made[d.contact_id] = at
    return made


# external_ref prefixes of records imported from a list of referrals (CIN census
# CINdetails, Annex A List 3): each is a referral, NFA included.
IMPORTED_REFERRAL_PREFIXES = ("annex-a:list3:", "cin:")


@lru_cache(maxsize=8192)
def months_before(day: date, months: int) -> date:
    """The same calendar date ``months`` earlier (clamped to the month's last day)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def london_date(stamp: str | datetime) -> date:
    """The date in England of a stored (aware) time."""
    at = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return at.astimezone(LONDON).date()


# ---- contact and referral -----------------------------------------------------------------


def contact_date(received_at: str | datetime) -> date:
    """A contact's date: the London date it was received."""
    return london_date(received_at)


def referral_date(received_at: str | datetime) -> date:
    """A referral's date: the London date it was received (DfE ``CINreferralDate``)."""
    return london_date(received_at)


def is_imported_referral(external_ref: str | None) -> bool:
    """Imported from a list of referrals (CIN census, Annex A List 3)."""
    return bool(external_ref) and str(external_ref).startswith(IMPORTED_REFERRAL_PREFIXES)


def is_referral(outcomes: Iterable[str | None], external_ref: str | None = None) -> bool:
    """Is a contact with these settled decision ``outcomes`` a referral?

    Yes when any settled decision sends it through the statutory assessment process, or
    when it was imported as a referral (then whatever its outcome, NFA included). A
    contact with no settled decision is not (yet) a referral.
    """
    settled = [o for o in outcomes if o]
    if not settled:
        return False
    return is_imported_referral(external_ref) or any(
        Outcome(o) in REFERRAL_OUTCOMES for o in settled
    )


def is_referral_nfa(outcome: str | None) -> bool:
    """A referral's "Referral NFA?": its current outcome takes no statutory action (no
    assessment, no s47, no protection). Only meaningful for a referral."""
    return bool(outcome) and Outcome(outcome) not in REFERRAL_OUTCOMES  # type: ignore[arg-type]


def one_per_day(days: Iterable[date]) -> list[date]:
    """A child's referral days, sorted, same-day referrals merged into one."""
    return sorted(set(days))


# ---- re-referral --------------------------------------------------------------------------


def previous_referral_within(
    referral_days: list[date], day: date, months: int = RE_REFERRAL_MONTHS
) -> date | None:
    """The child's latest referral before ``day`` and within ``months`` of it, or None.
    ``referral_days`` is sorted (``one_per_day``); referrals on ``day`` itself are the same
    referral and never count."""
    i = bisect_left(referral_days, day)
    if i and referral_days[i - 1] >= months_before(day, months):
        return referral_days[i - 1]
    return None


def is_re_referral(
    day: date, other_referral_days: Iterable[date], months: int = RE_REFERRAL_MONTHS
) -> bool:
    """DfE: is a referral on ``day`` within ``months`` of a previous referral?"""
    return previous_referral_within(one_per_day(other_referral_days), day, months) is not None


def referrals_before(referral_days: list[date], day: date, months: int = RE_REFERRAL_MONTHS) -> int:
    """Referrals (one per day) that started in the ``months`` before ``day``, ``day`` itself
    excluded. ``referral_days`` is sorted and one per day."""
    return bisect_left(referral_days, day) - bisect_left(referral_days, months_before(day, months))


def referrals_in_last_12_months(
    days: Iterable[date], up_to: date | None = None, months: int = RE_REFERRAL_MONTHS
) -> int:
    """Annex A List 3 "Number of Referrals in Last 12 Months": referrals that started in the
    12 months before the child's latest referral (on or before ``up_to``), the latest not
    counted; 0 when there is none."""
    ordered = one_per_day(d for d in days if up_to is None or d <= up_to)
    if not ordered:
        return 0
    return referrals_before(ordered, ordered[-1], months)


@dataclass(frozen=True, slots=True)
class ReferralHistory:
    """Every child's referral days (sorted, one per day), asked many times over."""

    days: Mapping[str, list[date]]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, date]]) -> ReferralHistory:
        found: dict[str, set[date]] = {}
        for child, day in pairs:
            found.setdefault(child, set()).add(day)
        return cls({child: sorted(days) for child, days in found.items()})

    def previous_within(
        self, child: str, day: date, months: int = RE_REFERRAL_MONTHS
    ) -> date | None:
        return previous_referral_within(self.days.get(child, []), day, months)

    def is_re_referral(self, child: str, day: date, months: int = RE_REFERRAL_MONTHS) -> bool:
        return self.previous_within(child, day, months) is not None

    def before(self, child: str, day: date, months: int = RE_REFERRAL_MONTHS) -> int:
        return referrals_before(self.days.get(child, []), day, months)

    def latest(self, child: str, up_to: date) -> date | None:
        days = self.days.get(child, [])
        i = bisect_left(days, up_to + (date.resolution))
        return days[i - 1] if i else None


# ---- assessment and section 47 ------------------------------------------------------------


def assessment_start(referral_day: date, decided_day: date | None) -> date:
    """The assessment starts when the decision to assess is made, never before the referral."""
    return max(referral_day, decided_day or referral_day)


def assessment_due(
    office: OfficeHours, referral_day: date, working_days: int = ASSESSMENT_WORKING_DAYS
) -> date:
    """Working Together 2023: no longer than 45 working days from the point of referral."""
    return nth_working_day(office, referral_day, working_days)


def assessment_completed_in_time(
    office: OfficeHours,
    referral_day: date,
    completed: date,
    working_days: int = ASSESSMENT_WORKING_DAYS,
) -> bool:
    return completed <= assessment_due(office, referral_day, working_days)


def starts_assessment(outcome: str | None) -> bool:
    """A decision that starts a statutory (s17 or s47) assessment."""
    return bool(outcome) and Outcome(outcome) in REFERRAL_OUTCOMES  # type: ignore[arg-type]


def starts_section_47(outcome: str | None) -> bool:
    """A decision for a strategy discussion / s47 enquiry (or immediate protection, which is
    followed by one)."""
    return outcome in (Outcome.STRATEGY_S47.value, Outcome.IMMEDIATE_PROTECTION.value)
