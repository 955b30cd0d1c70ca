"""The MI window counts working days on the queue's own office calendar, and the import
wizard rates with the queue's policy: the desk's triage policy (settings ``policy_file``),
not the default one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from dutydesk.config.settings import Settings
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.triage.policy import load_policy
from dutydesk.mi.records import Filters
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.triage import TriageService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.import_wizard import ImportWizard
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.mi_dashboard import MiDashboard
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner
from tests.integration.test_mi_office_days import saturday_policy
from tests.unit.mi.builders import History, at


def test_the_mi_window_uses_the_queues_office_days(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(at("2026-12-01 09:00"))
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    h = History()
    h.decide(h.contact("2026-11-27 16:00"), "2026-11-30 12:00")  # Fri, decided Mon
    store.import_events(h.events)
    policy = load_policy(saturday_policy(tmp_path))
    actor = Actor(login="dm.manager", role=Role.DUTY_MANAGER, device="t")
    guarded = GuardedStore(store, actor, clock)
    session = Session(
        actor=actor, clock=clock, settings=Settings(), store=store, guarded=guarded, demo=True
    )
    tasks = TaskRunner(synchronous=True)
    desk = DeskService(
        guarded, actor, clock, triage=TriageService(guarded, actor, clock, policy=policy)
    )
    window = MainWindow(desk, tasks, demo=True, store_path=tmp_path / "s.sqlite3")
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    action = next(a for a in window.tools_menu.actions() if a.objectName() == "miAction")
    # Other tests' dashboards may still be alive (closed, not yet deleted): only the new one.
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, MiDashboard)}
    action.trigger()
    dashboards = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MiDashboard) and id(w) not in before
    ]
    assert len(dashboards) == 1
    service = dashboards[0].service
    assert service.office == policy.office and 5 in service.office.weekdays
    november = Filters(at("2026-11-01 12:00").date(), at("2026-11-30 12:00").date())
    figure = {f.key: f for f in service.figures(service.load(november), november)}
    # A day late on a Monday-to-Saturday calendar (on time Monday to Friday).
    assert (figure["decision_timeliness"].numerator, figure["decision_timeliness"].denominator) == (
        0,
        1,
    )
    for w in dashboards:
        w.close()
    # Imports from the window are rated with the same policy as the queue.
    action = next(a for a in window.tools_menu.actions() if a.objectName() == "importAction")
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, ImportWizard)}
    action.trigger()
    wizards = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, ImportWizard) and id(w) not in before
    ]
    assert [w.policy for w in wizards] == [policy]
    for w in wizards:
        w.close()
    store.close()
