"""A contact's history and score depend on the instant it was received, never on the
UTC offset its time was written with (a partner's system may write UTC in summer).

From the documented model (``domain.history``, ``docs``/domain.md): everything is dated
on the London day; the 12-month and police windows and a child's age count London days.
Oracle: for instants around midnight in British Summer Time, the same instant written as
UTC and as London time gives equal histories and equal scores, and the windows' counts
equal a from-the-definition count on London dates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dutydesk.domain.clock import LONDON
from dutydesk.domain.history import PastContact, build_history
from dutydesk.domain.referrals import london_date, months_before
from dutydesk.domain.triage.policy import load_policy
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.paths import DEFAULT_POLICY
from tests.factories import contact_payload

AT = datetime(2027, 7, 1, 10, 0, tzinfo=LONDON)  # the contact being rated
# Instants within an hour of London midnight, in summer (London = UTC+1).
NEAR_MIDNIGHT = [
    datetime(2026, 7, 1, 0, 30, tzinfo=LONDON),  # the 12-month window's first day
    datetime(2026, 6, 30, 23, 30, tzinfo=LONDON),  # the day before it
    datetime(2027, 4, 1, 0, 15, tzinfo=LONDON),  # the 3-month police window's first day
    datetime(2027, 3, 31, 23, 45, tzinfo=LONDON),
]


def _written(at: datetime) -> list[str]:
    return [at.astimezone(LONDON).isoformat(), at.astimezone(UTC).isoformat()]


@pytest.mark.parametrize("instant", NEAR_MIDNIGHT)
def test_history_counts_london_days_whatever_the_offset(instant: datetime) -> None:
    day = london_date(AT)
    histories = []
    for stamp in _written(instant):
        h = build_history(
            "p", None, [PastContact("c1", stamp, "6")], AT, rereferral_months=12, police_months=3
        )
        histories.append((h.contacts_12m, h.police_notifications, h.sources_12m))
    in_12m = london_date(instant) >= months_before(day, 12)
    in_3m = london_date(instant) >= months_before(day, 3)
    want = (int(in_12m), int(in_3m), ("6",) if in_12m else ())
    assert histories == [want, want]


@pytest.mark.parametrize("hours", [-1, 0, 1, 23])
def test_age_counts_on_the_london_day_of_receipt(hours: int) -> None:
    """A baby born on 1 Feb 2026 is 6 months old on London's 1 Aug: no longer under the
    non-mobile band (and vice versa for 31 Jul), whichever offset the time was written in."""
    policy = load_policy(DEFAULT_POLICY)
    instant = datetime(2026, 8, 1, 0, 0, tzinfo=LONDON) + timedelta(hours=hours, minutes=30)
    baby = {"given_name": "Ada", "family_name": "Test", "date_of_birth": "2026-02-01"}
    results = []
    for stamp in _written(instant):
        payload = contact_payload(received_at=stamp, children=[baby], categories=["16A"])
        r = score_contact(payload, [], policy, instant + timedelta(days=1))
        results.append((r.score, r.rating, [x["factor"] for x in r.reasons], r.hard_rules))
    assert results[0] == results[1]
    factors = results[0][2]
    non_mobile = london_date(instant).month == 7
    assert ("age:non_mobile" in factors) is non_mobile
    assert ("age:under_1" in factors) is not non_mobile
