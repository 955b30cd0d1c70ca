"""Quality prompts help; they name the rationale field they are about."""

from __future__ import annotations

from dutydesk.domain.quality import rationale_prompts, repeats_concern

CONCERN = "Police attended a domestic incident at the home; the children were in the house."


def codes(rationale: dict[str, str]) -> set[str]:
    return {p.code for p in rationale_prompts(rationale, concern=CONCERN)}


def test_a_full_rationale_raises_no_prompt() -> None:
    assert (
        codes(
            {
                "childs_voice": "Amy (7) told her teacher she hides upstairs when they shout.",
                "consent_and_information_sharing": (
                    "Mother consented to checks with health and school."
                ),
                "analysis": (
                    "Repeated incidents with children present suggest cumulative emotional harm."
                ),
            }
        )
        == set()
    )


def test_missing_voice_and_consent_are_prompted() -> None:
    assert codes({"analysis": "Cumulative harm is likely given three incidents this year."}) == {
        "childs_voice_missing",
        "consent_not_addressed",
    }


def test_a_one_word_voice_counts_as_missing() -> None:
    assert "childs_voice_missing" in codes({"childs_voice": "n/a", "analysis": "x y z w v"})


def test_analysis_copied_from_the_concern_is_prompted() -> None:
    copied = "Police attended a domestic incident at the home; the children were in the house."
    assert repeats_concern(copied, CONCERN)
    assert "analysis_repeats_concern" in codes({"analysis": copied})


def test_analysis_quoting_a_few_words_is_not_a_copy() -> None:
    own = (
        "The children were in the house again, the third time this year; the pattern "
        "points to cumulative harm and mother's capacity to protect is uncertain."
    )
    assert not repeats_concern(own, CONCERN)
