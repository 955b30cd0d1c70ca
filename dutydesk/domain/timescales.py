"""Working-time clocks: office hours, England bank holidays, and the statutory due dates.

Conventions (written up in docs/timescales.md):

* A **working day** is an office weekday (Mon-Fri by default) that is not an England bank
  holiday. Bank holidays come from ``holidays.UK(subdiv="ENG")`` with observed substitute
  days kept (Mon 28 Dec 2026 for Boxing Day) and weekend dates dropped (Sat 26 Dec 2026 is
  a weekend anyway, and must not be counted twice). Without ``subdiv`` the package omits
  Easter Monday and the August bank holiday, so this module never calls it bare.
* **Day 0** is the day something is received. "Within N working days" means by the same
  time of day on the N-th working day after day 0; for dates (assessments) the due date is
  the N-th working day after the referral date, DfE's "same day = 0" reading.
* A clock **starts** at receipt if that is within office hours, otherwise at the next
  office opening. Out-of-hours Red contacts are still shown as Red at once; only the
  due time is measured from the opening.
* Working-hour arithmetic never lands on an opening time when it could land on the
  previous closing time: 8 working hours from Mon 09:00 is Mon 17:00, not Tue 09:00.

Every function takes its times as arguments; nothing here reads the system clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .errors import ValidationError

ENGLAND = "ENG"


@lru_cache(maxsize=64)
def england_bank_holidays(year: int) -> frozenset[date]:
    """Weekday bank holidays in England for ``year`` (substitute days included)."""
    found = holidays.UK(subdiv=ENGLAND, years=year, observed=True)
    return frozenset(d for d in found if d.weekday() < 5)


@lru_cache(maxsize=65_536)
def _is_working_day(weekdays: frozenset[int], closures: frozenset[date], day: date) -> bool:
    """Cached: due times for 100,000 contacts ask about the same few hundred days."""
    return (day.weekday() in weekdays and day not in england_bank_holidays(day.year)
            and day not in closures)


@lru_cache(maxsize=65_536)
def _next_working_day(weekdays: frozenset[int], closures: frozenset[date], day: date) -> date:
    day += timedelta(days=1)
    while not _is_working_day(weekdays, closures, day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class OfficeHours:
    """When the front door is staffed. One opening window per working weekday."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    extra_closures: frozenset[date] = frozenset()  # one-off proclaimed holidays

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValidationError("office must close after it opens", "office.closes")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValidationError("office weekdays must be 0 (Mon) to 6 (Sun)", "office.weekdays")

    @property
    def hours_per_day(self) -> float:
        return _span(self.opens, self.closes).total_seconds() / 3600

    def is_working_day(self, day: date) -> bool:
        return _is_working_day(self.weekdays, self.extra_closures, day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return _next_working_day(self.weekdays, self.extra_closures, day)

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.zone)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=self.zone)

    def in_office_hours(self, at: datetime) -> bool:
        local = _local(at, self)
        return (self.is_working_day(local.date())
                and self.opens <= local.time() < self.closes)

    def clock_start(self, received: datetime) -> datetime:
        """When a clock starts for something received at ``received`` (see module notes)."""
        local = _local(received, self)
        day = local.date()
        if self.is_working_day(day):
            if local.time() < self.opens:
                return self._opening(day)
            if local.time() < self.closes:
                return local
        return self._opening(self.next_working_day(day))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``hours`` of office time after ``start`` (which may be out of hours)."""
        if hours < 0:
            raise ValidationError(f"cannot add {hours} working hours", "hours")
        current = self.clock_start(start)
        remaining = timedelta(hours=hours)
        day = current.date()
        while True:
            left_today = self._closing(day) - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            day = _next_working_day(self.weekdays, self.extra_closures, day)
            current = self._opening(day)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` whole working days of office time after the clock starts."""
        if days < 0:
            raise ValidationError(f"cannot add {days} working days", "days")
        return self.add_working_hours(start, days * self.hours_per_day)

    def add_elapsed_hours(self, start: datetime, hours: float) -> datetime:
        """``hours`` of clock time after the clock starts, moved to the next office moment
        when it falls outside office hours (a deadline nobody is at work for is no deadline).
        """
        if hours < 0:
            raise ValidationError(f"cannot add {hours} hours", "hours")
        end = self.clock_start(start) + timedelta(hours=hours)
        return self.clock_start(end)

    def working_days_between(self, first: date, last: date) -> int:
        """Working days after ``first`` up to and including ``last`` (day 0 not counted)."""
        count = 0
        day = first
        while day < last:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def _span(opens: time, closes: time) -> timedelta:
    return datetime.combine(date.min, closes) - datetime.combine(date.min, opens)


def _local(at: datetime, office: OfficeHours) -> datetime:
    if at.tzinfo is None:
        raise ValidationError(f"{at.isoformat()} has no time zone", "time")
    return at.astimezone(office.zone)


def nth_working_day(office: OfficeHours, day0: date, n: int) -> date:
    """The ``n``-th working day after ``day0`` (``day0`` itself is day 0, never counted)."""
    if n < 0:
        raise ValidationError(f"cannot count {n} working days", "days")
    day = day0
    for _ in range(n):
        day = office.next_working_day(day)
    return day


ASSESSMENT_WORKING_DAYS = 45  # Working Together 2023: single assessment within 45 WD
DECISION_WORKING_DAYS = 1     # Working Together 2023: decide within one working day


def assessment_due(office: OfficeHours, referral_date: date,
                   working_days: int = ASSESSMENT_WORKING_DAYS) -> date:
    """Last day for the single assessment: 45 working days from the point of referral."""
    return nth_working_day(office, referral_date, working_days)


def decision_due(office: OfficeHours, received: datetime,
                 working_days: int = DECISION_WORKING_DAYS) -> datetime:
    """When the referral decision falls due: one working day of office time after the
    clock starts."""
    return office.add_working_days(received, working_days)


def weekday_bank_holidays(years: Iterable[int]) -> list[date]:
    """Every weekday bank holiday in England in ``years``, in date order (for display)."""
    return sorted(d for y in years for d in england_bank_holidays(y))
