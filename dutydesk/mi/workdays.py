"""Working days in England for MI timescales: Mon–Fri less England's bank holidays.

Kept in one small module so that it can be swapped for the shared working-time clocks
(``dutydesk.domain.timescales``) when those land. Bank holidays come from
``holidays.UK(subdiv="ENG")``, which also lists weekend dates (Sat 26 Dec 2026 beside the
observed Mon 28 Dec); those are dropped, so only weekday holidays remove a working day.

Convention (docs/mi-definitions.md): the day something is received is **day 0**; "within
n working days" means on or before the n-th working day after that day, whatever the time
of receipt and whether or not day 0 is itself a working day.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta

import holidays


class WorkingDays:
    """Counts working days with a cumulative table, so each question is O(1) or O(log n)."""

    def __init__(self) -> None:
        self._first = 0  # ordinal of the first day in the table
        self._cum: list[int] = []  # _cum[i]: working days in [first, first + i]

    def bank_holidays(self, year: int) -> set[date]:
        """Weekday bank holidays in England in ``year`` (substitute days included)."""
        table = holidays.UK(subdiv="ENG", years=year)
        return {d for d in table if d.weekday() < 5}

    def is_working_day(self, day: date) -> bool:
        i = self._index(day)
        before = self._cum[i - 1] if i else 0
        return self._cum[i] > before

    def elapsed(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        self._extend(start)
        self._extend(end)  # both first: extending may move the table's start
        return self._cum[self._index(end)] - self._cum[self._index(start)]

    def add(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` is day 0; n >= 0)."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        if n == 0:
            return start
        i = self._index(start)
        target = self._cum[i] + n
        while self._cum[-1] < target:  # grow the table forwards until it holds the answer
            self._extend(date.fromordinal(self._first + len(self._cum) + 400))
        j = bisect_left(self._cum, target, lo=i)
        return date.fromordinal(self._first + j)

    # ---- table -----------------------------------------------------------------------

    def _index(self, day: date) -> int:
        self._extend(day)
        return day.toordinal() - self._first

    def _extend(self, day: date) -> None:
        if self._cum and self._first <= day.toordinal() < self._first + len(self._cum):
            return
        lo = date(day.year - 1, 1, 1)
        hi = date(day.year + 1, 12, 31)
        if self._cum:
            lo = min(lo, date.fromordinal(self._first))
            hi = max(hi, date.fromordinal(self._first + len(self._cum) - 1))
        off: set[date] = set()
        for year in range(lo.year, hi.year + 1):
            off |= self.bank_holidays(year)
        cum: list[int] = []
        total = 0
        d = lo
        while d <= hi:
            if d.weekday() < 5 and d not in off:
                total += 1
            cum.append(total)
            d += timedelta(days=1)
        self._first = lo.toordinal()
        self._cum = cum
