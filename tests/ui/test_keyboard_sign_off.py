"""From the queue to a signed-off decision with the keyboard only: a practitioner moves
down the queue, proposes a decision, and a duty manager finds it and signs it off."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.ui.action_dialogs import ActionDialog
from dutydesk.ui.decision_dialog import DecisionDialog
from tests.ui.test_keyboard_flow import CTRL, focused, press, tab_and_type

SHIFT = Qt.KeyboardModifier.ShiftModifier


def activate(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    if not window.isActiveWindow():
        with qtbot.waitActive(window):
            window.activateWindow()


def test_keyboard_only_from_the_queue_to_a_signed_off_decision(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    practitioner = DeskService(
        service.store, Actor(login="sw.one", role=Role.PRACTITIONER, device="t"), service.clock
    )
    window = make_window(practitioner)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_1, CTRL)  # go to the queue
    assert focused(window) is window.table
    for _ in range(3):
        qtbot.keyClick(focused(window), Qt.Key.Key_J)  # next contact, three times
    chosen = window.current_contact_id()
    assert chosen == window.model.ids()[3]
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == chosen
    )
    qtbot.keyClick(focused(window), Qt.Key.Key_D, CTRL)
    dialog = window._dialog
    assert isinstance(dialog, DecisionDialog)
    qtbot.waitUntil(dialog.isActiveWindow)
    assert focused(dialog).objectName() == "decisionOutcome"
    press(qtbot, dialog, Qt.Key.Key_Down, 4)  # child-in-need assessment
    tab_and_type(qtbot, dialog, "decisionLevel", "")
    press(qtbot, dialog, Qt.Key.Key_Down, 3)
    tab_and_type(qtbot, dialog, "decisionPrimaryNeed", "")
    tab_and_type(qtbot, dialog, "rationale_concerns_and_risks", "Neglect over several weeks.")
    tab_and_type(qtbot, dialog, "rationale_strengths_and_protective_factors", "")
    tab_and_type(qtbot, dialog, "rationale_childs_voice", "")
    tab_and_type(qtbot, dialog, "rationale_consent_and_information_sharing", "")
    tab_and_type(
        qtbot, dialog, "rationale_analysis", "An assessment will show what help the family needs."
    )
    tab_and_type(qtbot, dialog, "rationale_feedback_to_referrer", "")
    tab_and_type(qtbot, dialog, "stepAction", "Home visit with the health visitor")
    # Not added with "Add step": recording the decision takes the typed step along.
    press(qtbot, dialog, Qt.Key.Key_Return, modifier=CTRL)
    assert not dialog.isVisible(), dialog.error.text()
    proposed = [
        e for e in service.store.events_for_contact(chosen) if e.type == "decision.proposed"
    ]
    assert len(proposed) == 1
    assert proposed[0].payload["outcome"] == "cin_assessment"
    assert (
        proposed[0].payload["rationale"]["next_steps"][0]["action"]
        == "Home visit with the health visitor"
    )
    window.close()

    manager = make_window()  # the duty manager's desk
    activate(qtbot, manager)
    qtbot.keyClick(manager, Qt.Key.Key_F, CTRL)  # find in queue
    assert focused(manager) is manager.search
    qtbot.keyClicks(manager.search, "awaiting")  # the status is searchable
    assert manager.model.ids() == [chosen]
    qtbot.keyClick(manager.search, Qt.Key.Key_1, CTRL)
    assert focused(manager) is manager.table and manager.current_contact_id() == chosen
    qtbot.waitUntil(lambda: manager.actions_by_name["sign_off"].isEnabled())
    qtbot.keyClick(focused(manager), Qt.Key.Key_S, CTRL | SHIFT)
    sign = manager._dialog
    assert isinstance(sign, ActionDialog) and "sw.one proposed" in sign.intro.text()
    qtbot.waitUntil(sign.isActiveWindow)
    qtbot.keyClicks(focused(sign), "Agreed: assessment by the locality team.")
    press(qtbot, sign, Qt.Key.Key_Return, modifier=CTRL)
    assert not sign.isVisible(), sign.error.text()
    events = [e.type for e in service.store.events_for_contact(chosen)]
    assert events[-1] == "decision.signed_off"
    assert chosen not in manager.model.ids()
    QApplication.processEvents()
