"""A duty manager goes from a new contact to a recorded decision with the keyboard only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from dutydesk.services.desk import DeskService
from dutydesk.ui.contact_form import ContactForm
from dutydesk.ui.decision_dialog import DecisionDialog

CTRL = Qt.KeyboardModifier.ControlModifier


def focused(window: QWidget) -> QWidget:
    widget = window.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(
    qtbot,
    window: QWidget,
    key: Qt.Key,
    times: int = 1,  # type: ignore[no-untyped-def]
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    for _ in range(times):
        qtbot.keyClick(focused(window), key, modifier)


def tab_and_type(qtbot, window: QWidget, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    press(qtbot, window, Qt.Key.Key_Tab)
    assert focused(window).objectName() == name
    if text:
        qtbot.keyClicks(focused(window), text)


def test_keyboard_only_new_contact_to_recorded_decision(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_N, CTRL)
    form = window._dialog
    assert isinstance(form, ContactForm) and form.isVisible()
    qtbot.waitUntil(form.isActiveWindow)  # the dialog has the keyboard, as on a desktop
    assert focused(form).objectName() == "immediateDanger"  # the question comes first
    press(qtbot, form, Qt.Key.Key_Down)  # "No"
    assert form.danger.currentData() is False
    tab_and_type(qtbot, form, "reporterName", "Ms Ada Teacher")
    tab_and_type(qtbot, form, "reporterRole", "DSL")
    tab_and_type(qtbot, form, "reporterAgency", "St Mary's Primary")
    tab_and_type(qtbot, form, "reporterPhone", "")
    tab_and_type(qtbot, form, "sourceCode", "2")  # keyboard search: "2A Schools"
    assert form.source.currentData() == "2A"
    tab_and_type(qtbot, form, "channel", "")
    tab_and_type(qtbot, form, "child0Given", "Amelie")
    tab_and_type(qtbot, form, "child0Family", "O'Connor-Smith")
    tab_and_type(qtbot, form, "child0Dob", "03/04/2019")
    # The date says she is born: Tab skips "Unborn" (it is a stop while the date is blank).
    tab_and_type(qtbot, form, "child0Sex", "")
    press(qtbot, form, Qt.Key.Key_Down, 2)  # Female
    tab_and_type(qtbot, form, "child0Nhs", "943 476 5919")
    assert form.children_entries[0].nhs_status.text() == "✓ valid"
    tab_and_type(qtbot, form, "addChild", "")
    qtbot.waitUntil(lambda: form.match_note.text() != "Possible matches appear here as you type.")
    if form.matches.count():  # a match is worth a stop: Tab goes to the list
        tab_and_type(qtbot, form, "matchSuggestions", "")
    tab_and_type(qtbot, form, "concern", "Bruise to the cheek; she said dad hit her.")
    tab_and_type(qtbot, form, "risk_injury_reported", "")  # left "not asked"
    tab_and_type(qtbot, form, "risk_disclosure", "y")  # asked and answered on the way
    assert form.risk.widgets["disclosure"].currentData() is True  # type: ignore[attr-defined]
    # The Risk details button is no Tab stop (Alt+R): Tab goes on to the categories.
    tab_and_type(qtbot, form, "categories", "")
    press(qtbot, form, Qt.Key.Key_Down)
    press(qtbot, form, Qt.Key.Key_Space)  # ticks the first factor
    tab_and_type(qtbot, form, "consent", "")
    press(qtbot, form, Qt.Key.Key_Down)  # Given
    press(qtbot, form, Qt.Key.Key_Return, modifier=CTRL)
    assert not form.isVisible(), (form.error.text(), window.status_message.text())

    new_id = window.current_contact_id()
    assert new_id is not None
    contact = service.queries.contact(new_id)
    assert contact is not None and contact.reporter_agency == "St Mary's Primary"
    received = next(
        e for e in service.store.events_for_contact(new_id) if e.type == "contact.received"
    )
    assert received.payload["disclosure"] is True
    assert "injury_reported" not in received.payload  # not asked, not "no"
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == new_id
    )

    if not window.isActiveWindow():  # the window manager hands the keyboard back
        with qtbot.waitActive(window):
            window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_D, CTRL)
    dialog = window._dialog
    assert isinstance(dialog, DecisionDialog) and dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert focused(dialog).objectName() == "decisionOutcome"
    press(qtbot, dialog, Qt.Key.Key_Down, 5)  # strategy discussion / s47
    tab_and_type(qtbot, dialog, "decisionLevel", "")
    press(qtbot, dialog, Qt.Key.Key_Down, 4)
    tab_and_type(qtbot, dialog, "decisionPrimaryNeed", "")
    tab_and_type(qtbot, dialog, "rationale_concerns_and_risks", "Facial bruising, disclosure.")
    tab_and_type(qtbot, dialog, "rationale_strengths_and_protective_factors", "Mum protective.")
    tab_and_type(qtbot, dialog, "rationale_childs_voice", "She said she is scared of dad.")
    tab_and_type(
        qtbot,
        dialog,
        "rationale_consent_and_information_sharing",
        "Shared without consent: risk of significant harm.",
    )
    tab_and_type(
        qtbot,
        dialog,
        "rationale_analysis",
        "Reasonable cause to suspect significant harm; s47 threshold met.",
    )
    tab_and_type(qtbot, dialog, "rationale_feedback_to_referrer", "School told of strategy.")
    tab_and_type(qtbot, dialog, "stepAction", "Strategy discussion with police")
    tab_and_type(qtbot, dialog, "stepOwner", "dm.manager")
    press(qtbot, dialog, Qt.Key.Key_Tab)  # due date (tomorrow by default)
    tab_and_type(qtbot, dialog, "stepAdd", "")
    press(qtbot, dialog, Qt.Key.Key_Space)
    assert dialog.steps.count() == 1
    qtbot.waitUntil(lambda: not dialog.prompts.isVisible())  # voice, consent, own analysis
    press(qtbot, dialog, Qt.Key.Key_Return, modifier=CTRL)
    assert not dialog.isVisible(), dialog.error.text()

    recorded = [
        e for e in service.store.events_for_contact(new_id) if e.type == "decision.recorded"
    ]
    assert len(recorded) == 1
    p = recorded[0].payload
    assert (p["outcome"], p["threshold_level"]) == ("strategy_s47", 4)
    assert p["rationale"]["next_steps"][0]["owner"] == "dm.manager"
    assert new_id not in window.model.ids()  # decided: it leaves the queue
    QApplication.processEvents()
