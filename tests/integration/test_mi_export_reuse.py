"""Annex A exports reuse the prepared dataset while nothing it depends on has changed: the
same store state, filters and actor. A new event, other filters or another actor load
again; the permission check and the export record are never skipped."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.app import demo_actor
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.projection import ReadModel, apply
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import NOT_READ_BY_MI, MiQueries
from dutydesk.store.syncstate import ServerFields, SyncState
from tests.document_fixtures import signer_for
from tests.factories import cli_store, event
from tests.integration.test_mi_queries import _fill
from tests.unit.mi.builders import History, at, pid

NOW = at("2027-01-05 09:00")
DECEMBER = Filters(date(2026, 12, 1), date(2026, 12, 31))


class CountingLoads:
    """Wraps the service's loader (the SQL read) and counts the calls."""

    def __init__(self, service: MiService) -> None:
        self.calls = 0
        real = service.queries.load

        def load(**kwargs: Any) -> Any:
            self.calls += 1
            return real(**kwargs)

        service.queries.load = load  # type: ignore[method-assign]


def _service(store: EventStore) -> MiService:
    return MiService(
        store, FixedClock(NOW), actor=demo_actor(), signer=signer_for(demo_actor().login)
    )


def _exports(store: EventStore) -> int:
    return sum(e.type == "document.exported" for e in store.events())


@pytest.fixture
def filled(store: EventStore) -> EventStore:
    _fill(store)
    return store


def test_five_lists_load_once_and_each_is_recorded_and_as_a_fresh_load(
    filled: EventStore, tmp_path: Path
) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    for n in range(1, 6):
        service.export_annex_a(tmp_path / f"reused-{n}.csv", n, "csv", DECEMBER, also=range(1, 6))
    assert loads.calls == 1  # one load for Lists 2 to 5 (List 1 needs none)
    assert _exports(filled) == 5  # every export recorded, reused or not
    for n in range(1, 6):
        fresh = _service(filled)  # a new service: nothing to reuse
        fresh_loads = CountingLoads(fresh)
        fresh.export_annex_a(tmp_path / f"fresh-{n}.csv", n, "csv", DECEMBER)
        # List 1 reads only its contacts' children (``MiQueries.contact_children``)
        assert fresh_loads.calls == (0 if n == 1 else 1)
        reused = (tmp_path / f"reused-{n}.csv").read_bytes()
        assert reused == (tmp_path / f"fresh-{n}.csv").read_bytes()
        assert (tmp_path / f"reused-{n}.csv.p7s").exists()


def test_a_new_event_forces_a_reload_and_the_export_includes_it(
    filled: EventStore, tmp_path: Path
) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    assert service.export_annex_a(tmp_path / "a.csv", 3, "csv", DECEMBER) == 2
    h = History()
    newcomer = pid()
    h.refer("2026-12-15 10:00", newcomer, office="South", team="C")
    filled.import_events(h.events)
    assert service.export_annex_a(tmp_path / "b.csv", 3, "csv", DECEMBER) == 3
    assert loads.calls == 2
    assert newcomer not in (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert newcomer in (tmp_path / "b.csv").read_text(encoding="utf-8")
    # and the reload is reused in turn
    assert service.export_annex_a(tmp_path / "c.csv", 3, "csv", DECEMBER) == 3
    assert loads.calls == 2


def test_other_filters_or_another_actor_never_reuse(filled: EventStore, tmp_path: Path) -> None:
    service = _service(filled)
    loads = CountingLoads(service)
    service.export_annex_a(tmp_path / "a.csv", 3, "csv", DECEMBER)
    south = Filters(DECEMBER.date_from, DECEMBER.date_to, office="South")
    service.export_annex_a(tmp_path / "b.csv", 3, "csv", south)
    assert loads.calls == 2
    service.export_annex_a(tmp_path / "c.csv", 3, "csv", DECEMBER)  # back: the last was South
    assert loads.calls == 3
    # the same person on another desk (the store checks login and role, not device)
    service.actor = replace(service.actor, device="another-desk")
    service.export_annex_a(tmp_path / "d.csv", 3, "csv", DECEMBER)
    assert loads.calls == 4
    # another person: their own service, which never sees this one's dataset
    other = replace(demo_actor(), login="sp.sam", role=Role.SENIOR_PRACTITIONER)
    theirs = MiService(filled, FixedClock(NOW), actor=other, signer=signer_for(other.login))
    their_loads = CountingLoads(theirs)
    theirs.export_annex_a(tmp_path / "e.csv", 3, "csv", DECEMBER)
    assert their_loads.calls == 1 and loads.calls == 4


def test_reuse_never_skips_the_permission_check(filled: EventStore, tmp_path: Path) -> None:
    service = _service(filled)
    service.export_annex_a(tmp_path / "a.csv", 1, "csv", DECEMBER)
    before = filled.event_count()
    service.actor = replace(service.actor, role=Role.PRACTITIONER)  # may not export
    with pytest.raises(PermissionDenied):
        service.export_annex_a(tmp_path / "b.csv", 1, "csv", DECEMBER)
    assert not (tmp_path / "b.csv").exists()
    assert filled.event_count() == before


def test_the_store_state_ignores_export_records_and_nothing_else(filled: EventStore) -> None:
    service = _service(filled)
    first = service.queries.state()
    # an export record changes nothing MI reads: no read-model handler folds it
    record = event(
        "document.exported",
        {"document": "x", "digest": "0" * 64, "file_sha256": "0" * 64, "destination": "x"},
        datetime.fromisoformat("2026-12-20T10:00:00+00:00"),
    )
    assert record.type in NOT_READ_BY_MI
    model = ReadModel()
    apply(model, record)
    assert model == ReadModel()
    filled.append([record])
    assert service.queries.state() == first
    # any other event, or the server accepting or rejecting one, changes it
    h = History()
    h.refer("2026-12-15 10:00", pid())
    filled.append(h.events)
    second = service.queries.state()
    assert second != first
    SyncState(filled.engine).mark_synced(
        [ServerFields(h.events[0].id, 7, "2026-12-15T10:00:00+00:00", "a" * 64, "b" * 64)]
    )
    third = service.queries.state()
    assert third != second
    SyncState(filled.engine).mark_rejected(h.events[-1].id, "refused")
    assert service.queries.state() != third


def _counting_class_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every SQL load of MI rows, by any service the command line makes."""
    calls: list[int] = []
    real = MiQueries.load

    def load(self: MiQueries, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, **kwargs)

    monkeypatch.setattr(MiQueries, "load", load)
    return calls


def _cli_filled(tmp_path: Path) -> list[str]:
    store = cli_store(tmp_path / "data", demo=True)
    _fill(store)
    store.close()
    return ["--data-dir", str(tmp_path / "data"), "--from", "2026-12-01", "--to", "2026-12-31"]


def _cli_exports(tmp_path: Path) -> list[str]:
    store = cli_store(tmp_path / "data", demo=True)
    try:
        return [e.payload["document"] for e in store.events() if e.type == "document.exported"]
    finally:
        store.close()


def test_the_command_exports_all_five_lists_from_one_load_each_signed_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _cli_filled(tmp_path)
    folder = tmp_path / "lists"
    folder.mkdir()
    loads = _counting_class_loads(monkeypatch)
    assert main(["export", "annex-a", "--list", "all", "-o", str(folder), *base, "--demo"]) == 0
    assert len(loads) == 1  # one load of the store for five lists
    out = capsys.readouterr().out
    names = [f"annex-a-list-{n}-2026-12-01-to-2026-12-31.xlsx" for n in range(1, 6)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*names, *(f"{name}.p7s" for name in names)]
    )
    for n, name in enumerate(names, 1):
        assert f"Annex A List {n}: " in out and f"signed in {name}.p7s" in out
    assert "Annex A List 3: 2 rows" in out
    assert _cli_exports(tmp_path) == [
        f"Ofsted Annex A List {n} (2026-12-01 to 2026-12-31)" for n in range(1, 6)
    ]
    for name in names:  # each file matches its own signature and record
        assert (
            main(["verify", str(folder / name), "--data-dir", str(tmp_path / "data"), "--demo"])
            == 0
        )
        assert "MATCHES THE RECORD" in capsys.readouterr().out


def test_several_lists_are_the_same_as_one_list_per_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*_cli_filled(tmp_path), "--demo"]
    folder = tmp_path / "lists"
    folder.mkdir()
    loads = _counting_class_loads(monkeypatch)
    # a repeated number is written once; the order is the one given
    several = ["export", "annex-a", "--list", "5,3,5", "--format", "csv", "-o", str(folder)]
    assert main([*several, *base]) == 0
    assert len(loads) == 1
    assert _cli_exports(tmp_path) == [
        f"Ofsted Annex A List {n} (2026-12-01 to 2026-12-31)" for n in (5, 3)
    ]
    for n in (3, 5):
        alone = tmp_path / f"alone-{n}.csv"
        assert main(["export", "annex-a", "--list", str(n), "-o", str(alone), *base]) == 0
        together = folder / f"annex-a-list-{n}-2026-12-01-to-2026-12-31.csv"
        assert together.read_bytes() == alone.read_bytes()
    assert len(loads) == 3  # one load per command


def test_the_command_refuses_bad_lists_and_a_missing_folder_writing_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*_cli_filled(tmp_path), "--demo"]
    for bad in ("6", "1,x", "", "0"):
        with pytest.raises(SystemExit):
            main(["export", "annex-a", "--list", bad, "-o", str(tmp_path / "x"), *base])
        assert "is not an Annex A list: give 1 to 5, 1,3,5 or all" in capsys.readouterr().err
    missing = tmp_path / "no-such-folder"
    assert main(["export", "annex-a", "--list", "all", "-o", str(missing), *base]) == 1
    assert "is not a folder: several lists are written into one" in capsys.readouterr().err
    assert not missing.exists()
    assert _cli_exports(tmp_path) == []


def test_the_command_says_which_lists_were_written_when_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*_cli_filled(tmp_path), "--demo"]
    folder = tmp_path / "lists"
    folder.mkdir()
    # List 3's name is taken by a folder: it cannot be written; Lists 1 and 2 were
    (folder / "annex-a-list-3-2026-12-01-to-2026-12-31.xlsx").mkdir()
    assert main(["export", "annex-a", "--list", "all", "-o", str(folder), *base]) == 1
    out, err = capsys.readouterr()
    assert "Annex A List 1: " in out and "Annex A List 2: " in out
    assert "Annex A List 3, 4, 5 not written: " in err and "is a folder" in err
    assert _cli_exports(tmp_path) == [
        f"Ofsted Annex A List {n} (2026-12-01 to 2026-12-31)" for n in (1, 2)
    ]


def test_a_single_export_to_a_folder_is_refused_before_anything_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*_cli_filled(tmp_path), "--demo"]
    folder = tmp_path / "lists"
    folder.mkdir()
    export = ["export", "annex-a", "--list", "1", "--format", "csv", "-o", str(folder)]
    assert main([*export, *base]) == 1
    assert "is a folder: give the name of the file to write" in capsys.readouterr().err
    census = ["export", "cin-census", "--year", "2027", "--lea", "201", "-o", str(folder)]
    assert main([*census, "--data-dir", str(tmp_path / "data"), "--demo"]) == 1
    assert "is a folder: give the name of the file to write" in capsys.readouterr().err
    assert _cli_exports(tmp_path) == []
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "data",
        "lists",
    ]
