"""MI against a real SQLite store: the loader, filter push-down, and the commands."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dutydesk.app import demo_actor
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.mi.annex_a import LIST3_HEADINGS
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import MiQueries
from tests.document_fixtures import signer_for
from tests.factories import cli_store, event
from tests.unit.mi.builders import History, at, child, pid


def _fill(store: EventStore) -> dict[str, str]:
    h = History()
    kids = {"A": pid(), "B": pid()}
    h.refer("2025-12-20 10:00", kids["A"])
    h.refer("2026-12-19 10:00", kids["A"], office="South", team="C")
    first = h.refer("2026-12-02 10:00", kids["B"])
    rated = h.contact("2026-12-07 09:00", children=[child(kids["B"])], source="6")
    h.rate(rated, "2026-12-07 09:01", "red", "2026-12-07 13:00")
    h.assign(rated, "2026-12-07 11:00", "sw.jones")
    h.events.append(
        event(
            "supervision.recorded",
            {
                "worker": "sw.jones",
                "supervisor": "tl.khan",
                "held_on": "2026-11-01",
                "next_due": "2026-12-01",
            },
            at("2026-11-01 12:00"),
        )
    )
    h.events.append(
        event(
            "assessment.completed",
            {"contact_id": first, "person_id": kids["B"], "completed_on": "2026-12-20"},
            at("2026-12-20 12:00"),
        )
    )
    store.import_events(h.events)
    return kids


@pytest.fixture
def filled(store: EventStore) -> tuple[EventStore, dict[str, str]]:
    return store, _fill(store)


NOW = at("2027-01-05 09:00")
DECEMBER = Filters(date(2026, 12, 1), date(2026, 12, 31))


def test_loader_reads_actions_supervision_and_assessments(filled) -> None:  # type: ignore[no-untyped-def]
    store, kids = filled
    data = MiQueries(store.engine).load()
    assert len(data.contacts) == 4 and len(data.children) == 4
    ((rated_id, first_action),) = data.first_actions.items()
    assert first_action.startswith("2026-12-07T11:00")
    assert [(s.worker, s.next_due) for s in data.supervisions] == [("sw.jones", date(2026, 12, 1))]
    assert [a.completed_on for a in data.assessments] == [date(2026, 12, 20)]


@pytest.mark.parametrize(
    "filters",
    [
        DECEMBER,
        Filters(date(2026, 12, 1), date(2026, 12, 31), office="South"),
        Filters(date(2026, 12, 1), date(2026, 12, 31), office="North", team="A", source="2A"),
        Filters(date(2026, 12, 10), date(2026, 12, 19)),
    ],
)
def test_push_down_gives_the_same_figures_as_loading_everything(filled, filters) -> None:  # type: ignore[no-untyped-def]
    store, _ = filled
    service = MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )
    everything = service.figures(service.load(), filters)
    pushed = service.load(filters)
    assert len(pushed.data.contacts) <= 4
    assert service.figures(pushed, filters) == everything


def test_figures_from_the_store(filled) -> None:  # type: ignore[no-untyped-def]
    store, kids = filled
    service = MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )
    figs = {f.key: f for f in service.figures(service.load(DECEMBER), DECEMBER)}
    assert figs["re_referrals"].display() == "50.0% (1/2)"  # A again after 364 days
    assert figs["response_times"].display() == "100.0% (1/1)"  # assigned 11:00, due 13:00
    # The open-past-deadline count stands beside the rate, even when it is 0.
    assert figs["assessments"].display() == "100.0% (1/1) · 0 open past 45 WD"
    assert figs["caseload"].parts[0].label == "sw.jones"
    assert figs["supervision_overdue"].value == 1
    with pytest.raises(ValueError, match="does not cover"):
        service.figures(service.load(DECEMBER), Filters(date(2026, 11, 1), date(2026, 12, 31)))


def test_export_is_recorded_when_someone_is_signed_in(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, kids = filled
    before = store.event_count()
    service = MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )
    assert service.export_annex_a(tmp_path / "l3.xlsx", 3, "xlsx", DECEMBER) == 2
    assert store.event_count() == before + 1
    exported = [e for e in store.events() if e.type == "document.exported"]
    assert exported[0].payload["document"].startswith("Ofsted Annex A List 3")
    assert len(exported[0].payload["digest"]) == 64


def test_commands_print_figures_and_write_exports(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    store = cli_store(tmp_path, demo=True)
    kids = _fill(store)
    store.close()
    base = ["--data-dir", str(tmp_path), "--from", "2026-12-01", "--to", "2026-12-31", "--demo"]
    assert main(["mi", *base, "--csv", str(tmp_path / "f.csv")]) == 0
    out = capsys.readouterr().out
    assert "Re-referrals within 12 months: 50.0% (1/2)" in out
    with (tmp_path / "f.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["figure"] for r in rows} >= {"re_referrals", "supervision_overdue"}
    assert all(kids["A"] not in ",".join(r.values()) for r in rows)  # no ids in figures CSV
    assert main(["export", "annex-a", "--list", "3", "-o", str(tmp_path / "l3.xlsx"), *base]) == 0
    sheet = load_workbook(tmp_path / "l3.xlsx").active
    assert tuple(next(sheet.iter_rows(max_row=1, values_only=True))) == LIST3_HEADINGS
    assert (
        main(
            [
                "export",
                "annex-a",
                "--list",
                "1",
                "--format",
                "csv",
                "-o",
                str(tmp_path / "l1.txt"),
                *base,
            ]
        )
        == 0
    )
    assert (tmp_path / "l1.txt").read_text(encoding="utf-8").startswith("Child Unique ID,")


def test_commands_refuse_bad_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    d = ["--data-dir", str(tmp_path), "--demo"]
    assert main(["mi", *d, "--from", "2026-12-31", "--to", "2026-12-01"]) == 1
    assert "--from 2026-12-31 is after --to 2026-12-01" in capsys.readouterr().err
    assert main(["export", "annex-a", "--list", "1", "-o", str(tmp_path / "x.pdf"), *d]) == 1
    assert "give --format xlsx or csv" in capsys.readouterr().err
    assert main(["mi", *d, "--csv", str(tmp_path / "no" / "f.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mi", *d, "--from", "31/12/2026"])
    assert "is not a date (YYYY-MM-DD)" in capsys.readouterr().err
