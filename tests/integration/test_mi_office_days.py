"""``dutydesk mi`` and the exports count working days on the office calendar of the desk's
own triage policy (settings ``policy_file``), the queue's clock, never on a default."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.paths import DEFAULT_POLICY, default_config_dir
from tests.factories import cli_store
from tests.unit.mi.builders import History

NOVEMBER = ["--from", "2026-11-01", "--to", "2026-11-30"]


def saturday_policy(tmp_path: Path) -> Path:
    """The default policy with an office that also works on Saturdays."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    monday_to_friday = 'weekdays = ["mon", "tue", "wed", "thu", "fri"]'
    assert monday_to_friday in text
    path = tmp_path / "six-days.toml"
    path.write_text(text.replace(monday_to_friday, monday_to_friday[:-1] + ', "sat"]'),
                    encoding="utf-8")
    return path


def use_policy(policy: Path | str) -> None:
    folder = default_config_dir()  # the tests' own XDG_CONFIG_HOME (conftest)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({"policy_file": str(policy)}),
                                          encoding="utf-8")


def decision_row(tmp_path: Path, name: str) -> tuple[int, int]:
    out = tmp_path / name
    assert main(["mi", *NOVEMBER, "--csv", str(out), "--data-dir", str(tmp_path / "d"),
                 "--demo"]) == 0
    with out.open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh)
                   if (r["figure"], r["part"]) == ("decision_timeliness", ""))
    return int(row["numerator"]), int(row["denominator"])


def test_mi_counts_on_the_policys_office_days(tmp_path: Path) -> None:
    # Received Friday 27 Nov 2026 16:00, decided Monday 30 Nov: within one working day
    # for a Monday-to-Friday office, a day late for an office that works on Saturdays.
    h = History()
    h.decide(h.contact("2026-11-27 16:00"), "2026-11-30 12:00")
    store = cli_store(tmp_path / "d", demo=True)
    store.import_events(h.events)
    store.close()
    assert decision_row(tmp_path, "default.csv") == (1, 1)
    use_policy(saturday_policy(tmp_path))
    assert decision_row(tmp_path, "six-days.csv") == (0, 1)


def test_a_policy_that_cannot_be_read_stops_mi_and_exports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    use_policy(tmp_path / "no-such-policy.toml")
    d = ["--data-dir", str(tmp_path / "d"), "--demo"]
    for command in (["mi", *d],
                    ["export", "annex-a", "--list", "3", "-o", str(tmp_path / "l3.xlsx"), *d],
                    ["export", "cin-census", "--year", "2027", "--lea", "201",
                     "-o", str(tmp_path / "c.xml"), *d]):
        with pytest.raises(SystemExit) as stopped:
            main(command)
        assert stopped.value.code == 2
        assert "triage policy named in the settings (policy_file)" in capsys.readouterr().err
    assert not (tmp_path / "l3.xlsx").exists() and not (tmp_path / "c.xml").exists()
