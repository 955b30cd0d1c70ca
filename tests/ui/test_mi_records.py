"""Recording an assessment's authorisation and a supervision from the MI window: the
figures then count them; roles without permission cannot, and bad dates are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.services.guard import GuardedStore
from dutydesk.services.mi import MiService
from dutydesk.services.mi_records import MiRecords
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.mi_dashboard import MiDashboard
from dutydesk.ui.tasks import TaskRunner

DM = Actor("dm.manager", Role.DUTY_MANAGER, "desk")


@pytest.fixture
def dashboard(qtbot, store: EventStore, clock: FixedClock) -> MiDashboard:  # type: ignore[no-untyped-def]
    # about three months of front door, so some assessments are open past 45 working days
    load_mi_demo(store, seed=7, events=12000, clock=clock)
    dash = MiDashboard(
        MiService(store, clock, actor=DM),
        TaskRunner(synchronous=True),
        records=MiRecords(GuardedStore(store, DM, clock), clock),
    )
    qtbot.addWidget(dash)
    dash.show()
    dash.reload()
    return dash


def _save(dialog) -> None:  # type: ignore[no-untyped-def]
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_record_a_completion_for_an_overdue_child_and_the_figure_counts_it(
    qtbot, dashboard: MiDashboard, store: EventStore
) -> None:  # type: ignore[no-untyped-def]
    before = dashboard.figures["assessments"]
    assert before.overdue and before.overdue > 0
    qtbot.mouseClick(dashboard.tiles["assessments"], Qt.MouseButton.LeftButton)
    completed = {
        e.payload["contact_id"] for e in store.events() if e.type == "assessment.completed"
    }
    n = next(
        i
        for i in range(dashboard.drill_model.rowCount())
        if dashboard.drill_model.row(i).contact_id not in completed
    )  # open, overdue
    dashboard.drill.selectionModel().select(
        dashboard.drill_model.index(n, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    row = dashboard.drill_model.row(n)
    dialog = dashboard.record_completion()
    assert dialog is not None
    _save(dialog)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
    done = [
        e
        for e in store.events()
        if e.type == "assessment.completed" and e.payload["contact_id"] == row.contact_id
    ]
    assert [(e.payload["person_id"], e.actor) for e in done] == [(row.child_id, "dm.manager")]
    after = dashboard.figures["assessments"]
    assert after.denominator == (before.denominator or 0) + 1
    assert after.overdue == before.overdue - 1


def test_record_supervision_from_the_window(
    qtbot, dashboard: MiDashboard, store: EventStore
) -> None:  # type: ignore[no-untyped-def]
    before = len([e for e in store.events() if e.type == "supervision.recorded"])
    dialog = dashboard.record_supervision()
    assert dialog is not None and dialog.worker.count() > 0
    dialog.worker.setCurrentText("sw.new.starter")
    _save(dialog)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
    events = [e for e in store.events() if e.type == "supervision.recorded"]
    assert len(events) == before + 1 and events[-1].payload["worker"] == "sw.new.starter"
    assert events[-1].payload["supervisor"] == "dm.manager"
    labels = [p.label for p in dashboard.figures["supervision_overdue"].parts]
    assert any(label.startswith("sw.new.starter (due") for label in labels)


def test_a_bad_date_is_shown_and_nothing_is_written(
    qtbot, dashboard: MiDashboard, store: EventStore
) -> None:  # type: ignore[no-untyped-def]
    count = store.event_count()
    dialog = dashboard.record_supervision()
    assert dialog is not None
    dialog.next_due.setDate(dialog.held_on.date().addDays(-1))
    _save(dialog)
    assert dialog.isVisible() and "Not saved" in dialog.error.text()
    assert store.event_count() == count


def test_only_permitted_roles_may_record(store: EventStore, clock: FixedClock) -> None:
    load_mi_demo(store, seed=7, events=600, clock=clock)
    officer = MiRecords(
        GuardedStore(store, Actor("cc.officer", Role.CONTACT_OFFICER, "d"), clock), clock
    )
    today = clock.now().astimezone(LONDON).date()
    with pytest.raises(PermissionDenied):
        officer.record_supervision("sw.jones", today, today + timedelta(days=28))
    dm = MiRecords(GuardedStore(store, DM, clock), clock)
    nfa = next(c for c in store.read_model().contacts.values() if c.outcome == "nfa")
    with pytest.raises(ValidationError, match="did not start a statutory assessment"):
        dm.complete_assessment(nfa.contact_id, "x", today)
