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

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from threading import Lock
from zoneinfo import ZoneInfo

from .errors import ValidationError

ENGLAND = "ENG"


@lru_cache(maxsize=64)
def england_bank_holidays(year: int) -> frozenset[date]:
    """Weekday bank holidays in England for ``year`` (substitute days included)."""
    # Imported when a clock first needs a year's holidays: 70 ms of a start's CPU that
    # painting the queue (due times already stored) does not need.
    import holidays

    found = holidays.UK(subdiv=ENGLAND, years=year, observed=True)
    return frozenset(d for d in found if d.weekday() < 5)


@lru_cache(maxsize=65_536)
def _is_working_day(weekdays: frozenset[int], closures: frozenset[date], day: date) -> bool:
    """Cached: due times for 100,000 contacts ask about the same few hundred days."""
    return (
        day.weekday() in weekdays
        and day not in england_bank_holidays(day.year)
        and day not in closures
    )


@lru_cache(maxsize=65_536)
def _next_working_day(weekdays: frozenset[int], closures: frozenset[date], day: date) -> date:
    day += timedelta(days=1)
    while not _is_working_day(weekdays, closures, day):
        day += timedelta(days=1)
    return day


NTH_KEPT = 20_000  # n-th working day answers kept per office calendar


class _DayTable:
    """Cumulative working days for one office calendar, so that counting and adding working
    days is a lookup (MI asks this for every referral of a 1,000,000-event store). The table
    is one immutable ``(first ordinal, cumulative counts)`` pair swapped whole under a lock,
    so a reader on another thread never sees half of a growth."""

    def __init__(self, weekdays: frozenset[int], closures: frozenset[date]) -> None:
        self.weekdays = weekdays
        self.closures = closures
        self.state: tuple[int, tuple[int, ...]] = (0, ())  # cum[i]: WD in [first, first+i]
        self.lock = Lock()
        # (day 0's ordinal, n) -> the n-th working day: MI asks for the same few hundred
        # days' due dates for every referral and route (160,000 times at 1M events); an
        # answer never changes (the calendar is the table's), so a plain dict serves any
        # thread. Cleared, not grown past ``NTH_KEPT``.
        self.nth: dict[tuple[int, int], date] = {}

    def covering(self, *days: date) -> tuple[int, tuple[int, ...]]:
        first, cum = self.state
        lo, hi = min(days).toordinal(), max(days).toordinal()
        if cum and first <= lo and hi < first + len(cum):
            return first, cum
        with self.lock:
            first, cum = self.state
            start = date(min(days).year - 1, 1, 1)
            stop = date(max(days).year + 1, 12, 31)
            if cum:
                start = min(start, date.fromordinal(first))
                stop = max(stop, date.fromordinal(first + len(cum) - 1))
            counts: list[int] = []
            total = 0
            d = start
            while d <= stop:
                total += _is_working_day(self.weekdays, self.closures, d)
                counts.append(total)
                d += timedelta(days=1)
            self.state = (start.toordinal(), tuple(counts))
            return self.state

    def between(self, first_day: date, last_day: date) -> int:
        if last_day <= first_day:
            return 0
        first, cum = self.covering(first_day, last_day)
        return cum[last_day.toordinal() - first] - cum[first_day.toordinal() - first]

    def nth_after(self, day0: date, n: int) -> date:
        if n == 0:
            return day0
        key = (day0.toordinal(), n)
        found = self.nth.get(key)
        if found is not None:
            return found
        # n working days never span more than n weeks plus a year of closures.
        first, cum = self.covering(day0, day0 + timedelta(days=7 * n + 366))
        i = key[0] - first
        found = date.fromordinal(first + bisect_left(cum, cum[i] + n, lo=i))
        if len(self.nth) >= NTH_KEPT:
            self.nth = {}
        self.nth[key] = found
        return found


@lru_cache(maxsize=16)
def _table(weekdays: frozenset[int], closures: frozenset[date]) -> _DayTable:
    return _DayTable(weekdays, closures)


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
        # Each day's opening and closing moments, made once: scoring 100,000 contacts asks
        # for the same few hundred days (not a field: equality and hashing ignore it).
        object.__setattr__(self, "_bounds", {})

    @property
    def hours_per_day(self) -> float:
        return _span(self.opens, self.closes).total_seconds() / 3600

    def is_working_day(self, day: date) -> bool:
        return _is_working_day(self.weekdays, self.extra_closures, day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return _next_working_day(self.weekdays, self.extra_closures, day)

    def _day(self, day: date) -> tuple[datetime, datetime]:
        """``day``'s opening and closing moments in the office's zone."""
        bounds: dict[date, tuple[datetime, datetime]] = self.__dict__["_bounds"]
        found = bounds.get(day)
        if found is None:
            if len(bounds) > 20_000:
                bounds.clear()
            found = bounds[day] = (
                datetime.combine(day, self.opens, tzinfo=self.zone),
                datetime.combine(day, self.closes, tzinfo=self.zone),
            )
        return found

    def _opening(self, day: date) -> datetime:
        return self._day(day)[0]

    def _closing(self, day: date) -> datetime:
        return self._day(day)[1]

    def in_office_hours(self, at: datetime) -> bool:
        local = _local(at, self)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def clock_start(self, received: datetime) -> datetime:
        """When a clock starts for something received at ``received`` (see module notes)."""
        local = _local(received, self)
        day = local.date()
        if self.is_working_day(day):
            at = local.time()
            if at < self.opens:
                return self._opening(day)
            if at < self.closes:
                return local
        return self._opening(self.next_working_day(day))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``hours`` of office time after ``start`` (which may be out of hours)."""
        return self.working_hours_after(self.clock_start(start), hours)

    def working_hours_after(self, current: datetime, hours: float) -> datetime:
        """``add_working_hours`` for a clock already started (``clock_start``'s answer)."""
        if hours < 0:
            raise ValidationError(f"cannot add {hours} working hours", "hours")
        remaining = timedelta(hours=hours)
        day = current.date()
        left_today = self._closing(day) - current
        if remaining <= left_today:
            return current + remaining
        remaining -= left_today
        # Every later working day gives its whole opening span (times are wall-clock in
        # one zone), so the day the time runs out on is counted, not walked to: the k-th
        # working day, ending at its closing when the hours fill it exactly.
        whole, rest = divmod(remaining, _span(self.opens, self.closes))
        if rest:
            whole += 1
        else:
            rest = _span(self.opens, self.closes)
        for _ in range(whole):
            day = _next_working_day(self.weekdays, self.extra_closures, day)
        return self._opening(day) + rest

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` whole working days of office time after the clock starts."""
        if days < 0:
            raise ValidationError(f"cannot add {days} working days", "days")
        return self.add_working_hours(start, days * self.hours_per_day)

    def add_elapsed_hours(self, start: datetime, hours: float) -> datetime:
        """``hours`` of clock time after the clock starts, moved to the next office moment
        when it falls outside office hours (a deadline nobody is at work for is no deadline).
        """
        return self.elapsed_hours_after(self.clock_start(start), hours)

    def elapsed_hours_after(self, current: datetime, hours: float) -> datetime:
        """``add_elapsed_hours`` for a clock already started (``clock_start``'s answer)."""
        if hours < 0:
            raise ValidationError(f"cannot add {hours} hours", "hours")
        return self.clock_start(current + timedelta(hours=hours))

    def working_days_between(self, first: date, last: date) -> int:
        """Working days after ``first`` up to and including ``last`` (day 0 not counted;
        0 when ``last`` is not after ``first``)."""
        return _table(self.weekdays, self.extra_closures).between(first, last)

    def nth_working_day(self, day0: date, n: int) -> date:
        """The ``n``-th working day after ``day0`` (``day0`` is day 0, never counted)."""
        if n < 0:
            raise ValidationError(f"cannot count {n} working days", "days")
        return _table(self.weekdays, self.extra_closures).nth_after(day0, n)


@lru_cache(maxsize=64)
def _span(opens: time, closes: time) -> timedelta:
    return datetime.combine(date.min, closes) - datetime.combine(date.min, opens)


def _local(at: datetime, office: OfficeHours) -> datetime:
    if at.tzinfo is None:
        raise ValidationError(f"{at.isoformat()} has no time zone", "time")
    return at.astimezone(office.zone)


def nth_working_day(office: OfficeHours, day0: date, n: int) -> date:
    """The ``n``-th working day after ``day0`` (``day0`` itself is day 0, never counted)."""
    return office.nth_working_day(day0, n)


ASSESSMENT_WORKING_DAYS = 45  # Working Together 2023: single assessment within 45 WD


def assessment_due(
    office: OfficeHours, referral_date: date, working_days: int = ASSESSMENT_WORKING_DAYS
) -> date:
    """Last day for the single assessment: 45 working days from the point of referral."""
    return nth_working_day(office, referral_date, working_days)
