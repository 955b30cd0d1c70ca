"""The MI dashboard on a real store: tiles, filters, chart, drill-down, off-thread work."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.mi_dashboard import DrillModel, MiDashboard
from dutydesk.ui.tasks import TaskRunner
from tests.document_fixtures import signer_for
from tests.unit.mi.builders import History, pid


@pytest.fixture
def service(store: EventStore, clock: FixedClock) -> MiService:
    load_mi_demo(store, seed=5, events=2500, clock=clock)
    return MiService(store, clock, actor=demo_actor())


@pytest.fixture
def dashboard(qtbot, service: MiService) -> MiDashboard:  # type: ignore[no-untyped-def]
    dash = MiDashboard(service, TaskRunner(synchronous=True))
    qtbot.addWidget(dash)
    dash.show()
    dash.reload()
    return dash


def test_tiles_show_the_services_figures(dashboard: MiDashboard, service: MiService) -> None:
    expected = service.figures(service.load(), service.default_filters())
    assert len(dashboard.tiles) == len(expected) == 20
    for fig in expected:
        assert fig.display() in dashboard.tiles[fig.key].text()
    assert dashboard.office.count() == 4  # All + three offices in the demo
    assert dashboard.chart_view.chart().series()


def test_filters_recompute_and_teams_follow_the_office(
    dashboard: MiDashboard, service: MiService
) -> None:
    dashboard.office.setCurrentIndex(dashboard.office.findData("South Locality"))
    assert [dashboard.team.itemText(i) for i in range(dashboard.team.count())] == [
        "All",
        "Front Door C",
    ]
    base = service.default_filters()
    south = Filters(base.date_from, base.date_to, office="South Locality")
    want = {f.key: f for f in service.figures(service.load(), south)}
    assert dashboard.figures["re_referrals"] == want["re_referrals"]
    assert want["re_referrals"].display() in dashboard.tiles["re_referrals"].text()
    dashboard.date_from.setDate(dashboard.date_to.date().addDays(1))
    assert "starts after it ends" in dashboard.status.text()


def test_the_dashboard_loads_its_period_and_loads_again_for_one_outside_it(
    dashboard: MiDashboard, service: MiService
) -> None:
    """The first paint reads the period shown (every office, team and source), not the
    whole store; moving the start earlier than what is loaded reads that period, and the
    tiles show the whole store's figures for it; moving it back inside only recomputes."""
    base = service.default_filters()
    assert dashboard.loaded is not None
    assert dashboard.loaded.covers == (Filters(base.date_from, base.date_to),)
    earlier = base.date_from - timedelta(days=200)
    dashboard.date_from.setDate(dashboard.date_from.date().addDays(-200))
    assert dashboard.loaded.covers == (Filters(earlier, base.date_to),)
    wider = Filters(earlier, base.date_to)
    want = {f.key: f for f in service.figures(service.load(), wider)}
    assert dashboard.figures == want
    loaded = dashboard.loaded
    dashboard.date_from.setDate(dashboard.date_from.date().addDays(100))
    assert dashboard.loaded is loaded  # inside what is loaded: no new load
    inside = Filters(earlier + timedelta(days=100), base.date_to)
    assert dashboard.figures == {f.key: f for f in service.figures(service.load(), inside)}


def test_tile_and_bar_drill_down_to_the_children(qtbot, dashboard: MiDashboard) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dashboard.tiles["re_referrals"], Qt.MouseButton.LeftButton)
    fig = dashboard.figures["re_referrals"]
    assert dashboard.selected == "re_referrals"
    assert dashboard.drill_model.rowCount() == len(fig.refs) > 0
    assert f"{len(fig.refs)} behind it" in dashboard.drill_label.text()
    ids = {
        dashboard.drill_model.data(dashboard.drill_model.index(r, 6))
        for r in range(dashboard.drill_model.rowCount())
    }
    assert ids == {r.person_id for r in fig.refs}
    part = dashboard._bar_parts[0]
    dashboard._bar_clicked(0)
    assert dashboard.drill_model.rowCount() == len(part.refs)
    assert part.label in dashboard.drill_label.text()


def test_drill_model_passes_the_model_tester(qtmodeltester, dashboard: MiDashboard) -> None:  # type: ignore[no-untyped-def]
    dashboard.select("decision_timeliness")
    model: DrillModel = dashboard.drill_model
    assert model.rowCount() > 0
    qtmodeltester.check(model)


def test_work_runs_off_the_gui_thread(qtbot, service: MiService) -> None:  # type: ignore[no-untyped-def]
    tasks = TaskRunner()
    dash = MiDashboard(service, tasks)
    qtbot.addWidget(dash)
    dash.reload()
    assert dash.status.text() == "Loading…"
    qtbot.waitUntil(lambda: len(dash.tiles) == 20, timeout=20_000)
    qtbot.waitUntil(lambda: dash.drill_model.rowCount() > 0, timeout=20_000)
    tasks.shutdown()


def test_every_tile_is_whole_and_reachable_in_a_small_window(qtbot, dashboard: MiDashboard) -> None:  # type: ignore[no-untyped-def]
    """Fifteen tiles do not fit a 1024x600 window: they scroll, each keeps its full width
    and height (no text cut off), and the last one can be scrolled into view."""
    dashboard.resize(1024, 600)
    qtbot.wait(50)
    scroll = dashboard.tile_scroll
    assert scroll.verticalScrollBar().maximum() > 0  # more tiles than fit: they scroll
    for tile in dashboard.tiles.values():
        assert tile.isVisible()
        assert tile.width() >= tile.sizeHint().width(), tile.text()
        assert tile.height() >= tile.minimumHeight()
        assert scroll.viewport().width() >= tile.geometry().right()  # not cut at the side
    last = list(dashboard.tiles.values())[-1]
    scroll.ensureWidgetVisible(last)
    qtbot.wait(50)
    assert not last.visibleRegion().isEmpty()


def _counted(service: MiService) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    real = service.queries.load

    def load(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    service.queries.load = load  # type: ignore[method-assign]
    return calls


def _rows(status: str) -> dict[int, int]:
    return {int(n): int(c) for n, c in re.findall(r"List (\d): (\d+)", status)}


def test_annex_a_lists_from_the_dashboard_share_one_load_until_the_store_changes(  # type: ignore[no-untyped-def]
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    load_mi_demo(store, seed=5, events=2500, clock=clock)
    service = MiService(store, clock, actor=demo_actor(), signer=signer_for(demo_actor().login))
    dash = MiDashboard(service, TaskRunner(synchronous=True))
    qtbot.addWidget(dash)
    dash.show()
    dash.reload()
    assert dash.export_button.isVisible()
    calls = _counted(service)
    exported = sum(e.type == "document.exported" for e in store.events())
    first = tmp_path / "first"
    first.mkdir()
    dash.export_lists(first)
    assert len(calls) == 1  # five lists, one load
    files = sorted(first.glob("annex-a-list-*.xlsx"))
    assert len(files) == 5 and all(f.with_name(f.name + ".p7s").exists() for f in files)
    assert sum(e.type == "document.exported" for e in store.events()) == exported + 5
    before = _rows(dash.status.text())
    assert sorted(before) == [1, 2, 3, 4, 5]
    # a new referral in the period: the next export loads again and includes it
    h = History()
    h.refer(f"{dash.filters().date_to - timedelta(days=30)} 10:00", pid())
    store.import_events(h.events)
    second = tmp_path / "second"
    second.mkdir()
    dash.export_lists(second, (1, 3))
    assert len(calls) == 2
    after = _rows(dash.status.text())
    assert after[1] == before[1] + 1 and after[3] == before[3] + 1


def test_the_dashboard_says_why_nothing_was_exported(
    qtbot, tmp_path: Path, dashboard: MiDashboard
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "out"
    folder.mkdir()
    dashboard.export_lists(folder)  # the fixture's service has no signing key
    assert dashboard.status.text().startswith("Annex A List 1 not exported:")
    assert list(folder.iterdir()) == []


def test_no_export_button_for_a_role_that_may_not_export(qtbot, service: MiService) -> None:  # type: ignore[no-untyped-def]
    service.actor = replace(service.actor, role=Role.PRACTITIONER)
    dash = MiDashboard(service, TaskRunner(synchronous=True))
    qtbot.addWidget(dash)
    dash.show()
    assert not dash.export_button.isVisible()
