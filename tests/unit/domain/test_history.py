"""History from linked records: re-referrals (DfE 12 months), counts, police escalation."""

from __future__ import annotations

from datetime import date, datetime

from dutydesk.domain.clock import LONDON
from dutydesk.domain.history import PastContact, build_history
from dutydesk.domain.projection import PersonRow
from dutydesk.domain.referrals import is_re_referral, months_before

AT = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
PID = "0192f7a0-0000-7000-8000-00000000aaaa"


def past(
    cid: str,
    received: str,
    *,
    source: str = "2A",
    referral: bool = False,
    decided: str | None = None,
) -> PastContact:
    return PastContact(
        cid,
        received,
        source,
        "amber",
        "cin_assessment" if referral else "nfa",
        referral,
        decided or received,
    )


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(date(2026, 11, 26), 12) == date(2025, 11, 26)
    assert months_before(date(2028, 2, 29), 12) == date(2027, 2, 28)
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)


def test_a_referral_exactly_12_months_before_counts_one_day_more_does_not() -> None:
    inside = build_history(PID, None, [past("c1", "2025-11-26T09:00:00+00:00", referral=True)], AT)
    outside = build_history(PID, None, [past("c1", "2025-11-25T09:00:00+00:00", referral=True)], AT)
    assert inside.re_referral and inside.referrals_12m == 1
    assert inside.last_referral_on == "2025-11-26"
    assert not outside.re_referral and outside.referrals_12m == 0
    assert outside.previous_contacts == 1 and outside.contacts_12m == 0


def test_only_what_was_known_at_the_time_counts() -> None:
    contacts = [
        past(
            "c1", "2026-06-01T09:00:00+01:00", referral=True, decided="2026-11-27T09:00:00+00:00"
        ),  # decided after AT: not yet a referral
        past("c2", "2026-12-01T09:00:00+00:00", referral=True),  # later contact
        past("self", "2026-11-20T09:00:00+00:00"),  # the contact being rated
    ]
    h = build_history(PID, None, contacts, AT, exclude_contact_id="self")
    assert h.previous_contacts == 1
    assert not h.re_referral
    assert [c.contact_id for c in h.earlier] == ["c1"]


def test_police_notifications_in_three_months_and_person_flags() -> None:
    contacts = [
        past(f"p{i}", f"2026-{m:02d}-10T09:00:00+00:00", source="6")
        for i, m in enumerate((7, 9, 10, 11))
    ]
    person = PersonRow(person_id=PID, open_case=True, cp_plan="past", looked_after=True)
    h = build_history(PID, person, contacts, AT)
    assert h.police_notifications == 3  # 10 Jul is before 26 Aug
    assert h.contacts_12m == 4
    assert (h.open_case, h.cp_plan, h.looked_after) == (True, "past", True)
    assert h.known
    assert not build_history(PID, None, [], AT).known


def test_a_child_with_only_the_contact_being_rated_has_the_history_the_long_way_gives() -> None:
    """The shortcut for a child on no other contact (issue 19) gives the same history as
    the full computation, here forced by a later contact that the full path then drops."""
    person = PersonRow(person_id=PID, open_case=True, cp_plan="current", looked_after=False)
    rated = past("self", "2026-11-20T09:00:00+00:00", source="6", referral=True)
    later = past("later", "2026-12-01T09:00:00+00:00", source="6", referral=True)
    for who in (person, None):
        short = build_history(PID, who, [rated, rated], AT, exclude_contact_id="self")
        assert short == build_history(PID, who, [rated, later], AT, exclude_contact_id="self")
        assert short == build_history(PID, who, [later], AT)
        assert short == build_history(PID, who, [], AT, exclude_contact_id="self")
    assert build_history(PID, person, [rated], AT).previous_contacts == 1  # not excluded


def test_is_re_referral() -> None:
    assert is_re_referral(date(2026, 11, 26), [date(2026, 1, 5)])
    assert not is_re_referral(date(2026, 11, 26), [date(2025, 11, 25)])
    assert not is_re_referral(date(2026, 11, 26), [])


def test_messages_put_the_most_serious_first() -> None:
    from dutydesk.domain.history import ChildHistory, history_messages

    h = ChildHistory(
        person_id="p",
        as_at="2026-11-26T09:00:00+00:00",
        contacts_12m=3,
        referrals_12m=1,
        re_referral=True,
        cp_plan="current",
        open_case=True,
        police_notifications=3,
    )
    messages = history_messages(h)
    assert messages[0].startswith("Open case")
    assert any("re-referral" in m for m in messages)
    assert "3 earlier contacts in 12 months" in messages
    assert any("escalation" in m for m in messages)
    assert history_messages(ChildHistory(person_id="p", as_at="x")) == []
