"""Loading the triage policy: the default is valid; a broken file names file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.domain.codes import Rating
from dutydesk.domain.triage.policy import PolicyError, load_policy
from dutydesk.paths import RESOURCES

DEFAULT = RESOURCES / "policy" / "default.toml"


def test_default_policy_loads_with_the_working_together_timescales() -> None:
    p = load_policy(DEFAULT)
    assert p.version == "default-2026.11.5"
    assert (p.response[Rating.RED].unit, p.response[Rating.RED].amount) == ("working_hours", 4)
    assert (p.response[Rating.AMBER].unit, p.response[Rating.AMBER].amount) == ("working_hours", 24)
    assert (p.response[Rating.GREEN].unit, p.response[Rating.GREEN].amount) == ("hours", 72)
    assert p.response[Rating.BLUE].unit == "none"
    assert (p.decision.unit, p.decision.amount) == ("working_days", 1)
    assert {r.id for r in p.hard_rules} == {
        "non_mobile_injury",
        "serious_or_unexplained_injury_under_5",
        "immediate_danger",
        "sexual_abuse_disclosure",
        "da_high_children_present",
        "prebirth_removal_or_proceedings",
        "fgm_or_forced_marriage_travel",
        "child_mental_health_crisis",
        "sole_carer_mental_health_crisis",
        "missing_with_exploitation",
        "accumulating_concerns",
        # default-2026.11.4, after the held-out vignettes:
        "no_carer_available",
        "missing_with_suicide_risk",
        "concealed_pregnancy_newborn",
        "prebirth_domestic_abuse",
        "harmful_practice",
    }
    assert p.rating_for(60) is Rating.RED and p.rating_for(14) is Rating.BLUE


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "local.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old, new, key, why",
    [
        ('"24A" = 25', '"99Z" = 25', "categories.99Z", "unknown DfE assessment factor code"),
        (
            'unit = "working_hours"\namount = 4',
            'unit = "working_hours"\namount = -4',
            "response.red.amount",
            "must not be negative",
        ),
        ('[response.green]\nunit = "hours"\namount = 72\n', "", "response.green", "is missing"),
        ('"3E" = 8', '"11" = 8', "sources.11", "unknown DfE referral source code"),
        (
            'all = ["immediate_danger"]',
            'all = ["in_danger"]',
            "hard_rules[2].all",
            "unknown condition 'in_danger'",
        ),
        ('rating = "red"', 'rating = "crimson"', "hard_rules[0].rating", "unknown rating"),
        ('"16A" = 15', '"16A" = -5', "categories.16A", "0 or more"),
        ("red = 60", "red = 30", "thresholds", "must fall from red"),
        ("[flags]", "[flags]\nexplosive = 3", "flags.explosive", "unknown key"),
        ("[sources]", "[source]", "source", "unknown key"),
        (
            "{ min = 3, points = 10 }",
            "{ min = 3, points = 1 }",
            "domestic_abuse.previous_incidents[1]",
            "bands must rise",
        ),
        ('unit = "working_days"', 'unit = "fortnights"', "decision.unit", "unit must be one of"),
        ('opens = "09:00"', 'opens = "9 o\'clock"', "office.opens", "expected a time"),
        (
            'timezone = "Europe/London"',
            'timezone = "Europe/Londinium"',
            "office.timezone",
            "unknown time zone",
        ),
        (
            'any = ["category:22A", "category:23A", "forced_marriage_risk"]',
            "any = []",
            "hard_rules[15].all",
            "at least one condition in 'all' or 'any'",
        ),
    ],
)
def test_a_broken_policy_names_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, key: str, why: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}:"), message
    assert why in message


def test_toml_syntax_errors_and_missing_files_are_reported(tmp_path: Path) -> None:
    path = broken(tmp_path, "[thresholds]", "[thresholds")
    with pytest.raises(PolicyError, match=r"local\.toml: not valid TOML.*line"):
        load_policy(path)
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("old", "new", "key", "why"),
    [
        (
            "injury_serious = 20",
            "injury_bad = 20",
            "factors.injury_bad",
            "not in the factor catalogue",
        ),
        (
            "injury_serious = 20",
            "missing_episodes = 20",
            "factors.missing_episodes",
            "score it in [factor_bands]",
        ),
        (
            "injury_serious = 20",
            "injury_reported = 20",
            "factors.injury_reported",
            "already scored in its own section",
        ),
        (
            "missing_episodes = [",
            "self_harm = [",
            "factor_bands.self_harm",
            "not a count in the factor catalogue",
        ),
        (
            'all = ["contacts_12m>=3"]',
            'all = ["hunches>=3"]',
            "hard_rules[10].all",
            "unknown condition 'hunches>=3'",
        ),
    ],
)
def test_a_policy_may_only_score_catalogue_facts(
    tmp_path: Path, old: str, new: str, key: str, why: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: {key}:"), str(info.value)
    assert why in str(info.value)
