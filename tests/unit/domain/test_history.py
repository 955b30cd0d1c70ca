"""Re-referral and repeated-contact flags from a child's earlier contacts."""

from __future__ import annotations

from dutydesk.domain.history import PastContact, history_flags

NOW = "2026-11-26T09:00:00+00:00"


def past(when: str, referral: bool = False, decided: str | None = None) -> PastContact:
    return PastContact("c-" + when, when, referral, decided)


def test_no_history_no_flags() -> None:
    flags = history_flags(NOW, [])
    assert flags.messages() == [] and not flags.rereferral_risk


def test_a_referral_within_twelve_months_warns_of_re_referral() -> None:
    flags = history_flags(NOW, [past("2026-03-01T10:00:00+00:00", True,
                                     "2026-03-02T10:00:00+00:00")])
    assert flags.rereferral_risk
    assert flags.last_referral_at == "2026-03-02T10:00:00+00:00"
    assert "re-referral" in flags.messages()[0]


def test_a_referral_more_than_twelve_months_ago_does_not() -> None:
    flags = history_flags(NOW, [past("2025-11-20T10:00:00+00:00", True)])
    assert not flags.rereferral_risk and flags.contacts_in_12_months == 0


def test_two_earlier_contacts_in_a_year_are_repeated_contacts() -> None:
    flags = history_flags(NOW, [past("2026-01-01T10:00:00+00:00"),
                                past("2026-06-01T10:00:00+00:00")])
    assert flags.repeated_contacts and flags.messages() == ["2 earlier contacts in 12 months"]


def test_later_contacts_are_not_history() -> None:
    assert history_flags(NOW, [past("2026-11-27T10:00:00+00:00", True)]).contacts_in_12_months == 0
