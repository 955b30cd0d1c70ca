"""Working-time clocks: England bank holidays, substitute days, weekends, out of hours,
Christmas and Easter (facts from shared/domain.md §8)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.timescales import (
    OfficeHours,
    assessment_due,
    england_bank_holidays,
    nth_working_day,
)

# gov.uk's weekday bank holidays for England (domain.md §8.1), typed in by hand so the
# tests do not just repeat the library.
GOV_UK = {
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}
HOLIDAYS = {date.fromisoformat(f"{y}-{md}") for y, mds in GOV_UK.items() for md in mds}
OFFICE = OfficeHours()


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=LONDON)


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holidays_match_gov_uk_and_leave_out_weekend_dates(year: int) -> None:
    assert england_bank_holidays(year) == {d for d in HOLIDAYS if d.year == year}


def test_boxing_day_2026_is_a_saturday_so_monday_28_is_the_substitute() -> None:
    assert date(2026, 12, 26) not in england_bank_holidays(2026)
    assert not OFFICE.is_working_day(date(2026, 12, 28))
    assert OFFICE.is_working_day(date(2026, 12, 29))


def test_easter_monday_and_august_bank_holiday_are_counted_in_england() -> None:
    # holidays.UK() without subdiv="ENG" omits both.
    assert not OFFICE.is_working_day(date(2026, 4, 6))
    assert not OFFICE.is_working_day(date(2026, 8, 31))


@pytest.mark.parametrize(
    "day0, n, due",
    [
        ("2025-12-24", 1, "2025-12-29"),
        ("2025-12-01", 45, "2026-02-05"),
        ("2026-04-02", 1, "2026-04-07"),  # Good Friday and Easter Monday 2026
        ("2027-03-25", 1, "2027-03-30"),  # Easter 2027
        ("2026-12-24", 1, "2026-12-29"),  # Christmas Day and the Boxing Day substitute
        ("2027-12-24", 1, "2027-12-29"),  # both 2027 substitutes (27 and 28 Dec)
        ("2026-11-28", 1, "2026-11-30"),  # a Saturday is day 0; Monday is day 1
    ],
)
def test_nth_working_day_day_zero_convention(day0: str, n: int, due: str) -> None:
    assert nth_working_day(OFFICE, date.fromisoformat(day0), n) == date.fromisoformat(due)


def test_assessment_is_due_45_working_days_from_referral_across_christmas() -> None:
    # 1 Dec 2026 is day 0: 22 weekdays left in December less 25 and 28 Dec = 20;
    # January 2027 has 20 (1 Jan is a holiday): 40; then 1-5 Feb.
    assert assessment_due(OFFICE, date(2026, 12, 1)) == date(2027, 2, 5)


# The gov.uk table ends with 2027: keep day 0 + 45 working days inside it.
@given(st.dates(date(2025, 1, 1), date(2027, 10, 15)), st.integers(0, 45))
def test_nth_working_day_agrees_with_a_plain_count(day0: date, n: int) -> None:
    expected, day = day0, day0
    left = n
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in HOLIDAYS:
            left -= 1
            expected = day
    assert nth_working_day(OFFICE, day0, n) == expected


def _plain_nth(office: OfficeHours, day0: date, n: int) -> date:
    day, left = day0, n
    while left:
        day += timedelta(days=1)
        left -= office.is_working_day(day)
    return day


def test_kept_nth_working_days_are_each_offices_and_survive_being_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The n-th working day answers kept for MI's repeated asks (``_DayTable.nth``) are
    the plain count's, asked again and again, for two offices with different closures
    asking the same days, and after the kept answers are cleared at the cap."""
    from dutydesk.domain import timescales

    monkeypatch.setattr(timescales, "NTH_KEPT", 50)
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(45)]
    for _ in range(3):
        for office in (OFFICE, CLOSED_OFFICE):
            for day0 in days:
                for n in (1, 15, 45):
                    assert nth_working_day(office, day0, n) == _plain_nth(office, day0, n)
    assert nth_working_day(OFFICE, date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert nth_working_day(CLOSED_OFFICE, date(2026, 12, 30), 1) == date(2027, 1, 5)


@pytest.mark.parametrize(
    "received, start",
    [
        ("2026-11-26 10:15", "2026-11-26 10:15"),  # in hours: starts on receipt
        ("2026-11-26 07:40", "2026-11-26 09:00"),  # before opening
        ("2026-11-26 17:00", "2026-11-27 09:00"),  # at closing time
        ("2026-11-27 22:30", "2026-11-30 09:00"),  # Friday night
        ("2026-11-28 11:00", "2026-11-30 09:00"),  # Saturday
        ("2026-12-24 19:00", "2026-12-29 09:00"),  # Christmas Eve evening
    ],
)
def test_out_of_hours_receipt_starts_the_clock_at_the_next_opening(
    received: str, start: str
) -> None:
    assert OFFICE.clock_start(at(received)) == at(start)


@pytest.mark.parametrize(
    "received, hours, due",
    [
        ("2026-11-30 09:00", 8, "2026-11-30 17:00"),  # lands on closing, not next opening
        ("2026-11-30 15:00", 4, "2026-12-01 11:00"),
        ("2026-12-24 15:00", 4, "2026-12-29 11:00"),  # over Christmas and the substitute day
        ("2026-04-02 15:00", 24, "2026-04-09 15:00"),  # Amber over Easter 2026
        ("2026-11-28 03:00", 4, "2026-11-30 13:00"),  # weekend receipt
    ],
)
def test_add_working_hours(received: str, hours: float, due: str) -> None:
    assert OFFICE.add_working_hours(at(received), hours) == at(due)


def test_due_times_cross_the_clock_change_in_local_time() -> None:
    # Easter 2027: Good Friday 26 Mar, clocks go forward on Sunday 28 Mar, Easter Monday 29.
    due = OFFICE.add_working_days(at("2027-03-25 16:00"), 1)  # a referral decision's day
    assert due == at("2027-03-30 16:00")
    assert due.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "received, due",
    [
        ("2026-11-27 10:00", "2026-11-30 10:00"),  # Fri + 72 h = Mon, in hours
        ("2026-12-23 10:00", "2026-12-29 09:00"),  # lands on Boxing Day: next office moment
    ],
)
def test_elapsed_hours_move_to_the_next_office_moment(received: str, due: str) -> None:
    assert OFFICE.add_elapsed_hours(at(received), 72) == at(due)


def test_configured_office_hours() -> None:
    office = OfficeHours(
        opens=time(8, 30),
        closes=time(16, 30),
        weekdays=frozenset({0, 1, 2, 3}),
        extra_closures=frozenset({date(2026, 12, 1)}),
    )
    assert office.hours_per_day == 8
    # Friday is not an office day here and 1 Dec is a one-off closure.
    assert office.add_working_days(at("2026-11-26 10:00"), 1) == at("2026-11-30 10:00")
    assert office.add_working_days(at("2026-11-30 10:00"), 1) == at("2026-12-02 10:00")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValidationError, match="working hours"):
        OFFICE.add_working_hours(at("2026-11-26 10:00"), -1)
    with pytest.raises(ValidationError, match="time zone"):
        OFFICE.clock_start(datetime(2026, 11, 26, 10, 0))
    with pytest.raises(ValidationError, match="close after"):
        OfficeHours(opens=time(17), closes=time(9))


def _office_minutes_reference(office: OfficeHours, start: datetime, minutes: int) -> datetime:
    """Walk forward one office minute at a time: slow, but plainly right."""
    local = start.astimezone(office.zone).replace(second=0, microsecond=0)
    while not (
        office.is_working_day(local.date()) and office.opens <= local.time() < office.closes
    ):
        local = (local + timedelta(minutes=1)).replace(tzinfo=office.zone)
    if minutes == 0:
        return local
    while True:
        if office.is_working_day(local.date()) and office.opens <= local.time() < office.closes:
            minutes -= 1
            if minutes == 0:
                return (local + timedelta(minutes=1)).replace(tzinfo=office.zone)
        local = (local + timedelta(minutes=1)).replace(tzinfo=office.zone)


CLOSED_OFFICE = OfficeHours(
    opens=time(8, 30),
    closes=time(16, 0),
    weekdays=frozenset({0, 1, 2, 3}),
    extra_closures=frozenset({date(2026, 12, 31), date(2027, 1, 4)}),
)


@given(
    st.sampled_from([OFFICE, CLOSED_OFFICE]),
    st.datetimes(datetime(2026, 11, 1), datetime(2027, 1, 20)),
    st.integers(0, 24 * 60),
)
def test_working_hours_agree_with_counting_office_minutes(
    office: OfficeHours, received: datetime, minutes: int
) -> None:
    start = received.replace(second=0, microsecond=0, tzinfo=LONDON)
    assert office.add_working_hours(start, minutes / 60) == _office_minutes_reference(
        office, start, minutes
    )
    # The cached working-day answers belong to each office, not to whichever asked first.
    assert OFFICE.is_working_day(date(2026, 12, 31))
    assert not CLOSED_OFFICE.is_working_day(date(2026, 12, 31))


@pytest.mark.parametrize("office", [OFFICE, CLOSED_OFFICE], ids=["default", "closed"])
@pytest.mark.parametrize(
    "received",
    ["2027-03-26 16:30", "2027-03-27 11:00", "2026-10-23 09:00", "2026-12-24 15:59"],
)
@pytest.mark.parametrize("days", [1, 2, 3, 7])
def test_whole_office_days_end_at_a_closing_across_clock_changes_and_holidays(
    office: OfficeHours, received: str, days: int
) -> None:
    """The due day is counted, not walked to (issue 19): whole days of office time land on
    a closing, never the next opening, and agree with walking office minutes, across the
    March and October clock changes, Christmas and the closed office's extra days."""
    start = at(received)
    minutes = round(days * office.hours_per_day * 60)
    due = office.add_working_hours(start, minutes / 60)
    assert due == _office_minutes_reference(office, start, minutes)
    if office.clock_start(start).time() == office.opens:
        assert due.astimezone(office.zone).time() == office.closes
