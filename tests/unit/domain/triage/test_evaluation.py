"""Evaluation arithmetic on hand-made contacts."""

from __future__ import annotations

from datetime import date

from dutydesk.domain.triage.evaluation import (
    EvalChild,
    EvalContact,
    age_band,
    evaluate,
    report_text,
)


def contact(
    cid: str,
    rating: str | None,
    outcome: str,
    ethnicity: str = "WBRI",
    disabilities: tuple[str, ...] = (),
) -> EvalContact:
    return EvalContact(
        cid,
        "2026-05-01T10:00:00+01:00",
        rating,
        frozenset({outcome}),
        (EvalChild(ethnicity, disabilities, "2020-01-01"),),
    )


def test_sensitivity_under_triage_and_disparity() -> None:
    ev = evaluate(
        [
            contact("a", "red", "strategy_s47"),
            contact("b", "amber", "immediate_protection", "BAFR"),
            contact("c", "green", "strategy_s47", "BAFR"),
            contact("d", "green", "nfa", "WBRI", ("NONE",)),
            contact("e", None, "strategy_s47"),
            EvalContact("f", "2026-05-01T10:00:00+01:00", "red", frozenset()),  # undecided
        ]
    )
    assert (ev.contacts, ev.serious, ev.serious_urgent) == (5, 4, 2)
    assert ev.sensitivity == 0.5
    assert [c.contact_id for c in ev.under_triaged] == ["c"]
    groups = {(g.dimension, g.group): g for g in ev.groups}
    assert groups[("all", "all children")].urgent_rate == 0.4
    assert groups[("ethnicity", "BAFR")].disparity == 0.5 / 0.4
    assert groups[("disability", "no disability")].children == 1
    assert groups[("ethnicity", "WBRI")].by_rating["unrated"] == 1
    text = report_text(ev, source="test")
    assert "2 of 4 = 50.0%" in text and " c  first green" in text


def test_age_bands() -> None:
    on = date(2026, 11, 26)
    assert age_band(EvalChild(date_of_birth="2026-06-01"), on) == "under 1"
    assert age_band(EvalChild(expected_date_of_birth="2027-01-01"), on) == "unborn"
    assert age_band(EvalChild(date_of_birth="2009-01-01"), on) == "16+"
    assert age_band(EvalChild(), on) == "age not known"
