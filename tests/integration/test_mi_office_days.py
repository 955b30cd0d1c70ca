"""``dutydesk mi``, the exports and imports count working days on the office calendar of
the desk's own triage policy (settings ``policy_file``), the queue's clock, never on a
default."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.triage.policy import load_policy
from dutydesk.paths import DEFAULT_POLICY, default_config_dir
from dutydesk.services.watch import FolderWatcher
from dutydesk.store.eventstore import EventStore
from tests.factories import cli_store, signed_in
from tests.unit.mi.builders import History, at

NOVEMBER = ["--from", "2026-11-01", "--to", "2026-11-30"]


def saturday_policy(tmp_path: Path) -> Path:
    """The default policy with an office that also works on Saturdays."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    monday_to_friday = 'weekdays = ["mon", "tue", "wed", "thu", "fri"]'
    assert monday_to_friday in text
    path = tmp_path / "six-days.toml"
    path.write_text(
        text.replace(monday_to_friday, monday_to_friday[:-1] + ', "sat"]'), encoding="utf-8"
    )
    return path


def use_policy(policy: Path | str) -> None:
    folder = default_config_dir()  # the tests' own XDG_CONFIG_HOME (conftest)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(
        json.dumps({"policy_file": str(policy)}), encoding="utf-8"
    )


def decision_row(tmp_path: Path, name: str) -> tuple[int, int]:
    out = tmp_path / name
    assert (
        main(["mi", *NOVEMBER, "--csv", str(out), "--data-dir", str(tmp_path / "d"), "--demo"]) == 0
    )
    with out.open(encoding="utf-8") as fh:
        row = next(
            r for r in csv.DictReader(fh) if (r["figure"], r["part"]) == ("decision_timeliness", "")
        )
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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_policy(tmp_path / "no-such-policy.toml")
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    d = ["--data-dir", str(tmp_path / "d"), "--demo"]
    for command in (
        ["mi", *d],
        ["import", str(tmp_path / "x.json"), *d],
        ["export", "annex-a", "--list", "3", "-o", str(tmp_path / "l3.xlsx"), *d],
        [
            "export",
            "cin-census",
            "--year",
            "2027",
            "--lea",
            "201",
            "-o",
            str(tmp_path / "c.xml"),
            *d,
        ],
    ):
        with pytest.raises(SystemExit) as stopped:
            main(command)
        assert stopped.value.code == 2
        assert "triage policy named in the settings (policy_file)" in capsys.readouterr().err
    assert not (tmp_path / "l3.xlsx").exists() and not (tmp_path / "c.xml").exists()


def friday_notification(path: Path) -> Path:
    """A police notification received on Friday 27 Nov 2026 at 16:00."""
    example = json.loads(
        (
            Path(__file__).resolve().parents[2] / "docs" / "examples" / "police-notification.json"
        ).read_text(encoding="utf-8")
    )
    example["received_at"] = "2026-11-27T16:00:00+00:00"
    path.write_text(json.dumps(example), encoding="utf-8")
    return path


def imported_decision_due(tmp_path: Path, name: str) -> str:
    """Import the Friday notification; the decision due time its rating set on it."""
    source = friday_notification(tmp_path / f"{name}.json")
    data = tmp_path / name
    assert main(["import", str(source), "--data-dir", str(data), "--demo"]) == 0
    store = cli_store(data, demo=True)
    (contact,) = store.read_model().contacts.values()
    store.close()
    assert contact.decision_due_at, "rated on arrival"
    return str(contact.decision_due_at)


def test_imports_are_rated_on_the_policys_office_days(tmp_path: Path) -> None:
    # The decision is due one working day after receipt: Monday for a Monday-to-Friday
    # office, Saturday for one that works on Saturdays.
    assert imported_decision_due(tmp_path, "default").startswith("2026-11-30")
    use_policy(saturday_policy(tmp_path))
    assert imported_decision_due(tmp_path, "six-days").startswith("2026-11-28")


def test_the_watched_folder_rates_on_the_desks_policy(tmp_path: Path) -> None:
    clock = FixedClock(at("2026-11-27 16:05"))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    friday_notification(inbox / "police.json")
    store = EventStore.open(tmp_path / "s.sqlite3")
    watcher = FolderWatcher(
        inbox, signed_in(store, clock), clock, load_policy(saturday_policy(tmp_path))
    )
    assert watcher.poll_once() == []  # waits for the size to settle
    (report,) = watcher.poll_once()
    assert report.contacts_rated == 1
    (contact,) = store.read_model().contacts.values()
    assert str(contact.decision_due_at).startswith("2026-11-28")
    store.close()
