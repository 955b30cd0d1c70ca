"""One way to write dates and counts for people (ISO only in files)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dutydesk.domain.wording import (
    duration_text,
    human_date,
    human_datetime,
    plural,
    top_reasons,
)


def test_dates_for_people_are_one_format_in_englands_time() -> None:
    assert human_date("2026-11-30") == "30 Nov 2026"
    assert human_date(date(2026, 1, 5)) == "05 Jan 2026"
    assert human_datetime("2026-11-30T14:05:00+00:00") == "30 Nov 2026 14:05"
    # Summer time: a UTC stamp is shown as the clock on the office wall read.
    assert human_datetime("2026-07-01T08:30:00+00:00") == "01 Jul 2026 09:30"
    assert human_datetime(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "02 Jul 2026 00:30"
    assert human_date("2026-07-01T23:30:00+00:00") == "02 Jul 2026"
    assert human_date(None) == human_datetime("") == "—"


def test_counts_agree_with_their_nouns() -> None:
    assert plural(1, "page") == "1 page"
    assert plural(2, "page") == "2 pages"
    assert plural(1, "entry") == "1 entry" and plural(0, "entry") == "0 entries"
    assert plural(3, "possible match") == "3 possible matches"
    assert plural(2, "child") == "2 children"
    assert plural(1, "handover note") == "1 handover note"
    assert plural(5, "row") == "5 rows"


def test_durations_are_hours_and_minutes() -> None:
    assert duration_text(45 * 3600 + 36 * 60) == "45h 36m"
    assert duration_text(-65) == "0h 01m"


def test_top_reasons_keep_the_policy_order() -> None:
    reasons = [
        {"factor": "rating", "text": "Score 40: Amber"},
        {
            "factor": "category:3B",
            "points": 14,
            "text": "Concern: Domestic abuse – parent/carer is subject (+14)",
        },
        {"factor": "age", "points": 8, "text": "Child under 5 (+8)"},
        {"factor": "x", "points": 1, "text": "Third (+1)"},
    ]
    assert top_reasons(reasons) == ["Domestic abuse – parent/carer is subject", "Child under 5"]


def test_a_question_not_asked_is_not_why_a_contact_is_rated() -> None:
    """The queue's "why" read "Not asked, scored as no: Is an injury…" on most rows: a
    0-point caveat listed before the reasons that carry the rating."""
    reasons = [
        {"factor": "rating", "points": 0, "text": "Score 40: Amber by score (Amber from 35)"},
        {
            "factor": "not_asked:injury_reported",
            "points": 0,
            "text": "Not asked, scored as no: Is an injury, mark or bruise reported? "
            "A yes would make it Red",
        },
        {"factor": "3B", "points": 14, "text": "Concern: Domestic abuse – parent/carer is subject"},
        {"factor": "age", "points": 8, "text": "Child under 5 (+8)"},
    ]
    assert top_reasons(reasons) == ["Domestic abuse – parent/carer is subject", "Child under 5"]
    assert top_reasons([reasons[0], reasons[1]]) == [
        "Not asked, scored as no: Is an injury, mark or bruise reported? A yes would make it Red"
    ]
