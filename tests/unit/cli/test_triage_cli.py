"""``dutydesk triage``: ranking an intake file, clear errors for bad files, evaluation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.paths import DEFAULT_POLICY, PROJECT_ROOT
from tests.factories import contact_payload

NOW = "2026-11-26T09:30:00+00:00"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["triage", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_lines(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_ranks_json_lines_by_rating_then_due_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    low = contact_payload(
        external_ref="low",
        categories=["20"],
        source_code="9",
        children=[{"given_name": "A", "date_of_birth": "2012-01-01"}],
    )
    danger = contact_payload(external_ref="danger", immediate_danger=True)
    middle = contact_payload(external_ref="middle")
    for p in (low, danger, middle):
        del p["contact_id"]
    code, out, err = run(
        capsys, str(write_lines(tmp_path / "in.jsonl", [low, danger, middle])), "--now", NOW
    )
    assert code == 0, err
    doc = json.loads(out)
    ranking = doc["ranking"]
    assert [r["external_ref"] for r in ranking] == ["danger", "middle", "low"]
    assert ranking[0]["rating"] == "red" and ranking[0]["hard_rules"] == ["immediate_danger"]
    assert ranking[0]["due_at"] == "2026-11-26T08:15:00+00:00"  # due on receipt
    assert all(r["reasons"][0]["text"] for r in ranking)
    assert doc["policy"]["version"] == "default-2026.11.5"
    # Ids are stable from external_ref, so a second run ranks the same contacts.
    again = json.loads(run(capsys, str(tmp_path / "in.jsonl"), "--now", NOW)[1])
    assert [r["contact_id"] for r in again["ranking"]] == [r["contact_id"] for r in ranking]


def test_the_documented_example_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, str(PROJECT_ROOT / "docs/examples/police-notification.json"), "--now", NOW
    )
    assert code == 0
    assert json.loads(out)["ranking"][0]["rating"] == "red"


@pytest.mark.parametrize(
    "text, where, why",
    [
        ('{"a": 1}\n{"b": \n', "line 2", "not valid JSON"),
        (
            '{\n  "received_at": "2026-11-26T08:15:00+00:00",\n  "channel": \n}\n',
            "line 4",
            "not valid JSON",
        ),
        ("", "in.json", "no records"),
        ("[1]", "record 1", "expected a JSON object"),
    ],
)
def test_malformed_files_name_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, why: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, str(path), "--now", NOW)
    assert code == 2 and out == ""
    assert where in err and why in err


def test_an_invalid_record_names_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = contact_payload()
    bad = contact_payload(source_code="11")
    code, out, err = run(capsys, str(write_lines(tmp_path / "in.jsonl", [good, bad])), "--now", NOW)
    assert code == 2 and out == ""
    assert "line 2" in err and "contact.received.source_code" in err


def test_another_policy_and_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8")
        .replace('version = "default-2026.11.5"', 'version = "strict-1"')
        .replace("red = 60\namber = 35\ngreen = 15", "red = 30\namber = 20\ngreen = 10"),
        encoding="utf-8",
    )
    path = write_lines(tmp_path / "in.jsonl", [contact_payload()])
    code, out, _ = run(capsys, str(path), "--policy", str(strict), "--now", NOW)
    assert code == 0 and json.loads(out)["ranking"][0]["rating"] == "red"
    broken = tmp_path / "broken.toml"
    broken.write_text("[policy]\nname = 'x'\n", encoding="utf-8")
    code, _, err = run(capsys, str(path), "--policy", str(broken))
    assert code == 2 and "broken.toml: age: is missing" in err


def test_now_must_have_a_time_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_lines(tmp_path / "in.jsonl", [contact_payload()])
    code, _, err = run(capsys, str(path), "--now", "2026-11-26T09:30")
    assert code == 2 and "no time zone" in err


def test_evaluate_writes_report_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime

    from tests.factories import cli_store

    store = cli_store(tmp_path, demo=True)
    load_demo(store, seed=3, events=1500, clock=FixedClock(datetime.fromisoformat(NOW)))
    store.close()
    out_csv = tmp_path / "eval.csv"
    code, out, err = run(
        capsys, "evaluate", "--data-dir", str(tmp_path), "--csv", str(out_csv), "--demo"
    )
    assert code == 0, err
    assert "Sensitivity (first rated Red or Amber):" in out
    assert "Under-triaged (first rated Green or Blue):" in out
    with out_csv.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["section", "dimension", "group", "children"]
    sections = {r[0] for r in rows[1:]}
    assert {"summary", "group"} <= sections
    dims = {r[1] for r in rows if r[0] == "group"}
    assert {"all", "ethnicity", "disability", "age band"} <= dims


def test_immediate_danger_ranks_above_an_overdue_red_as_in_the_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line sorts with the window's order: immediate danger first."""
    red = contact_payload(
        external_ref="overdue-red",
        received_at="2026-11-20T09:00:00+00:00",
        children=[{"given_name": "B", "date_of_birth": "2026-09-01"}],
        injury_reported=True,
    )
    danger = contact_payload(
        external_ref="danger", immediate_danger=True, received_at="2026-11-26T09:00:00+00:00"
    )
    for p in (red, danger):
        del p["contact_id"]
    code, out, err = run(
        capsys, str(write_lines(tmp_path / "in.jsonl", [red, danger])), "--now", NOW
    )
    assert code == 0, err
    ranking = json.loads(out)["ranking"]
    assert ranking[1]["rating"] == "red" and "non_mobile_injury" in ranking[1]["hard_rules"]
    assert ranking[1]["due_at"] < ranking[0]["due_at"]  # the Red is due (overdue) earlier
    assert [r["external_ref"] for r in ranking] == ["danger", "overdue-red"]
