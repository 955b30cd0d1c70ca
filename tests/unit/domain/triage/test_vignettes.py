"""The practice vignette library (tests/data/vignettes/) against the default policy.

The vignettes were written from public guidance before the policy was reviewed; the policy
must rate every one within the ratings practice accepts, and every vignette that practice
rates Red only must be Red (recall 100%). The policy before this review (default-2026.11.2)
rated 44 of 68 within range and 10 of 25 Red-only vignettes Red.

heldout.json was written after default-2026.11.3 had been tuned on the other files; that
policy (kept in tests/data/vignettes/policies/) rated 21 of its 27 within range and 4 of
its 7 Red-only vignettes Red: the figure for contacts the policy was not fitted to.
heldout2.json, written after 2026.11.4, was rated 16 of 18 within range and 6 of 6 Red-only
Red by that policy.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.codes import Rating
from dutydesk.domain.triage import vignettes as vg
from dutydesk.domain.triage.evaluation import evaluate
from dutydesk.domain.triage.policy import parse_policy
from dutydesk.paths import DEFAULT_POLICY, PROJECT_ROOT
from dutydesk.services.triage import policy_from

FOLDER = PROJECT_ROOT / "tests" / "data" / "vignettes"
POLICY_2026_11_3 = FOLDER / "policies" / "default-2026.11.3.toml"
POLICY_2026_11_4 = FOLDER / "policies" / "default-2026.11.4.toml"


def _load() -> list[vg.Vignette]:
    return vg.load_texts(
        [(str(f), f.read_text(encoding="utf-8")) for f in sorted(FOLDER.glob("*.json"))]
    )


@pytest.fixture(scope="module")
def results() -> list[vg.VignetteResult]:
    return vg.run(_load(), policy_from(None))


def test_library_is_large_sourced_and_has_history() -> None:
    vignettes = _load()
    assert len(vignettes) >= 60
    assert all(v.source.strip() and v.why.strip() and v.acceptable for v in vignettes)
    assert sum(1 for v in vignettes if v.history) >= 5
    assert sum(1 for v in vignettes if v.red_only) >= 20
    # Low-risk vignettes too, so a policy that rates everything Red cannot pass.
    assert sum(1 for v in vignettes if Rating.RED.value not in v.acceptable) >= 20
    held_out = [v for v in vignettes if v.split == vg.HELD_OUT]
    assert len(held_out) >= 25 and all(v.id.startswith("ho") for v in held_out)
    assert sum(1 for v in held_out if v.red_only) >= 5


def test_held_out_first_run_is_the_figure_docs_report() -> None:
    """The held-out vignettes against the policy they were not fitted to (2026.11.3)."""
    old = policy_from(POLICY_2026_11_3)
    assert old.version == "default-2026.11.3"
    held_out = [r for r in vg.run(_load(), old) if r.vignette.file.endswith("heldout.json")]
    s = vg.summarise(held_out)
    assert (s.within, s.total, s.red_only_red, s.red_only) == (21, 27, 4, 7)
    assert sorted(r.vignette.id for r in s.under) == [
        "ho-cc-01-sole-carer-arrested",
        "ho-cc-02-parent-bipolar-stable-support",
        "ho-cr-04-goodbye-post-missing",
        "ho-faith-01-possession-deliverance",
        "ho-pb-01-violent-father-30-weeks",
        "ho-pb-02-concealed-pregnancy-born-today",
    ]


def test_second_held_out_batch_first_run() -> None:
    """heldout2.json against the policy it was written after (2026.11.4)."""
    old = policy_from(POLICY_2026_11_4)
    assert old.version == "default-2026.11.4"
    batch = [r for r in vg.run(_load(), old) if r.vignette.file.endswith("heldout2.json")]
    assert all(r.vignette.split == vg.HELD_OUT for r in batch)
    s = vg.summarise(batch)
    assert (s.within, s.total, s.red_only_red, s.red_only) == (16, 18, 6, 6)
    assert sorted(r.vignette.id for r in s.under) == [
        "ho2-cr-01-knife-at-school-12",
        "ho2-cr-03-homeless-17-year-old",
    ]


UNSEEN = FOLDER / "unseen"
POLICY_2026_11_5 = FOLDER / "policies" / "default-2026.11.5.toml"


def _unseen() -> list[vg.Vignette]:
    return vg.load_texts(
        [(str(f), f.read_text(encoding="utf-8")) for f in sorted(UNSEEN.glob("*.json"))]
    )


def test_third_held_out_batch_first_run_is_the_measured_floor() -> None:
    """unseen/heldout3.json, written on 2026-12-01 and never tuned to, first rated by
    default-2026.11.5 (kept in policies/): 25 of 26 within range, Red-only 8 of 8 Red, one
    under-triage (harmful sexual behaviour towards a young child). This is the policy's
    generalisation figure; a later policy must not fall below it on this batch."""
    batch = _unseen()
    assert len(batch) == 26 and all(v.split == vg.HELD_OUT for v in batch)
    assert sum(1 for v in batch if v.red_only) == 8 and sum(1 for v in batch if v.history) == 2
    first = vg.summarise(vg.run(batch, policy_from(POLICY_2026_11_5)))
    assert (first.within, first.total, first.red_only_red, first.red_only) == (25, 26, 8, 8)
    assert [r.vignette.id for r in first.under] == [
        "ho3-sa-02-12-year-old-harmful-sexual-behaviour-cousin"
    ]
    now = vg.summarise(vg.run(batch, policy_from(None)))
    assert now.within >= 25 and now.red_only_red == now.red_only  # the floor


def test_the_unseen_batch_is_not_part_of_the_tuning_library() -> None:
    ids = {v.id for v in _load()}
    assert not ids & {v.id for v in _unseen()}


def test_an_unknown_split_is_refused(tmp_path: Path) -> None:
    text = json.dumps({"split": "training", "vignettes": []})
    with pytest.raises(vg.VignetteError) as info:
        vg.parse_file(text, "x.json")
    assert "split" in str(info.value) and "training" in str(info.value)


def test_every_vignette_is_within_its_acceptable_ratings(results: list[vg.VignetteResult]) -> None:
    outside = [(r.vignette.id, r.rating, r.vignette.acceptable) for r in results if not r.within]
    assert outside == []


def test_every_red_only_vignette_is_red(results: list[vg.VignetteResult]) -> None:
    red_only = [r for r in results if r.vignette.red_only]
    assert red_only
    assert [r.vignette.id for r in red_only if r.rating != "red"] == []
    assert vg.summarise(results).red_recall == 1.0


def test_bruised_baby_names_the_rule(results: list[vg.VignetteResult]) -> None:
    by_id = {r.vignette.id: r for r in results}
    assert "non_mobile_injury" in by_id["inj-01-bruised-cheek-4-month-old"].result.hard_rules
    # A 9-month-old who cannot crawl is not independently mobile (Panel 2022).
    assert "non_mobile_injury" in by_id["inj-03-bruise-9-month-old-not-crawling"].result.hard_rules


def test_history_changes_the_rating(results: list[vg.VignetteResult]) -> None:
    """The cumulative-concern vignette is Amber only because of its history."""
    one = next(v for v in _load() if v.id == "cu-02-repeat-same-agency")
    alone = vg.Vignette(one.id, one.source, one.why, one.acceptable, one.payload, (), one.file)
    policy = policy_from(None)
    assert vg.run([one], policy)[0].rating == "amber"
    assert vg.run([alone], policy)[0].rating == "green"


def test_the_old_policy_fails_the_library() -> None:
    """The library can fail: a policy without the reviewed rules misses Red-only cases."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    cut = text[: text.index("# Pre-birth protocols (e.g. Surrey")]
    weaker = parse_policy(tomllib.loads(cut), "cut")
    s = vg.summarise(vg.run(_load(), weaker))
    assert s.red_only_red < s.red_only


def test_evaluation_reads_vignettes_as_decisions(results: list[vg.VignetteResult]) -> None:
    ev = evaluate(vg.as_eval_contacts(results))
    assert ev.contacts == len(results)
    assert ev.serious == sum(1 for r in results if r.vignette.serious)
    assert ev.sensitivity == 1.0 and ev.under_triaged == []


def test_cli_reports_vignettes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["triage", "evaluate", "--vignettes", str(FOLDER)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Within the acceptable ratings: 113 of 113" in out
    assert "Red-only vignettes rated Red (recall): 38 of 38 = 100%" in out
    assert "held-out:  within 45 of 45; Red-only Red 13 of 13 = 100%" in out
    assert "Sensitivity (first rated Red or Amber)" in out and "disparity" in out
    assert "inj-01-bruised-cheek-4-month-old" in out


def test_cli_names_a_broken_vignette(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {
        "defaults": {
            "received_at": "2026-11-24T10:00:00+00:00",
            "channel": "phone",
            "consent": "unknown",
            "immediate_danger": False,
        },
        "vignettes": [
            {
                "id": "x",
                "source": "s",
                "why": "w",
                "acceptable": ["pink"],
                "contact": {"source_code": "9", "concern": "c", "children": [{"given_name": "A"}]},
            }
        ],
    }
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    code = main(["triage", "evaluate", "--vignettes", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.json" in err and "pink" in err


def test_a_vignette_outside_its_range_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = {
        "defaults": {
            "received_at": "2026-11-24T10:00:00+00:00",
            "channel": "phone",
            "consent": "unknown",
            "immediate_danger": True,
        },
        "vignettes": [
            {
                "id": "danger-called-blue",
                "source": "s",
                "why": "w",
                "acceptable": ["blue"],
                "contact": {"source_code": "9", "concern": "c", "children": [{"given_name": "A"}]},
            }
        ],
    }
    (tmp_path / "v.json").write_text(json.dumps(wrong), encoding="utf-8")
    code = main(["triage", "evaluate", "--vignettes", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Within the acceptable ratings: 0 of 1" in out and "OVER" in out


def test_an_earlier_referral_that_ended_in_nfa_is_a_re_referral(
    results: list[vg.VignetteResult],
) -> None:
    """DfE: a referral is a referral whatever its outcome; one ending in no further action
    220 days earlier makes this contact a re-referral."""
    r = next(r for r in results if r.vignette.id == "ho-cu-01-was-not-brought-sixth-contact")
    nfa = [e for h in r.vignette.history for e in h["earlier"] if e.get("referral")]
    assert [e["outcome"] for e in nfa] == ["nfa"]
    assert "history:re_referral" in {x["factor"] for x in r.result.reasons}
