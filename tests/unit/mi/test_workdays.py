"""Working days in England: bank holidays (with substitutes) and the day-0 convention."""

from __future__ import annotations

from datetime import date

import pytest

from dutydesk.mi.workdays import WorkingDays


@pytest.fixture(scope="module")
def wd() -> WorkingDays:
    return WorkingDays()


def test_christmas_2026_skips_the_boxing_day_substitute(wd: WorkingDays) -> None:
    # Fri 25 Dec holiday, Sat/Sun, Mon 28 Dec = Boxing Day (observed): next WD is Tue 29.
    assert wd.bank_holidays(2026) >= {date(2026, 12, 25), date(2026, 12, 28)}
    assert date(2026, 12, 26) not in wd.bank_holidays(2026)  # Saturday: not a weekday
    assert wd.add(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert wd.elapsed(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert wd.elapsed(date(2026, 12, 24), date(2026, 12, 30)) == 2


def test_known_answers_from_the_domain_notes(wd: WorkingDays) -> None:
    assert wd.add(date(2025, 12, 24), 1) == date(2025, 12, 29)
    assert wd.add(date(2025, 12, 1), 45) == date(2026, 2, 5)
    assert wd.add(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Good Friday, Easter Monday
    assert wd.elapsed(date(2025, 12, 21), date(2026, 1, 5)) == 8


def test_weekend_receipt_is_day_zero(wd: WorkingDays) -> None:
    assert wd.add(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Sat -> Mon
    assert wd.add(date(2026, 11, 28), 0) == date(2026, 11, 28)
    assert not wd.is_working_day(date(2026, 11, 28))
    assert wd.is_working_day(date(2026, 11, 30))
    assert not wd.is_working_day(date(2026, 12, 28))


def test_far_dates_grow_the_table_and_bad_input_is_refused(wd: WorkingDays) -> None:
    assert wd.add(date(2026, 1, 2), 3000).year == 2037
    assert wd.elapsed(date(2026, 12, 30), date(2026, 12, 24)) == -2
    with pytest.raises(ValueError, match="n must be 0 or more"):
        wd.add(date(2026, 1, 1), -1)


def test_counting_from_a_date_before_the_table_moves_its_start() -> None:
    wd = WorkingDays()
    assert wd.is_working_day(date(2030, 6, 3))  # the table now starts in 2029
    assert wd.elapsed(date(2026, 12, 24), date(2030, 6, 3)) > 800
    assert wd.elapsed(date(2026, 12, 24), date(2026, 12, 29)) == 1
