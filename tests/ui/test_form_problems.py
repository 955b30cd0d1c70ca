"""Forms show every problem at once, next to its field, in a duty worker's words (never
an internal path like "contact.received.children"), and nothing typed is dropped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget

from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.ui.contact_form import ContactForm
from dutydesk.ui.decision_dialog import DecisionDialog
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.problems import describe, plain_reason
from dutydesk.ui.strategy_dialog import StrategyDialog
from tests.factories import draft_store
from tests.ui.accessibility_walk import out_of_reading_order, unnamed_controls

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
INTERNAL = ("children[", "contact.received", "_", "item(s)", "YYYY")


def line_under(field: QWidget) -> QLabel:
    """The problem line shown right under ``field`` (by position on screen)."""
    window = field.window()
    below = field.mapTo(window, field.rect().bottomLeft()).y()
    lines = [
        w
        for w in window.findChildren(QLabel)
        if w.objectName().startswith("problem_") and w.isVisible()
    ]
    near = [w for w in lines if 0 <= w.mapTo(window, w.rect().topLeft()).y() - below < 40]
    assert near, f"no problem shown under {field.objectName()}"
    return near[0]


def test_every_problem_of_the_contact_form_shows_at_once_beside_its_field(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path
) -> None:
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.resize(820, 4000)  # tall enough that every field is on screen
    form.show()
    child = form.children_entries[0]
    child.given.setText("Amelie")
    child.dob.setText("31/02/2019")
    child.nhs.setText("943 476 5918")
    got: list[dict] = []
    form.submitted.connect(got.append)
    form.try_submit()
    QApplication.processEvents()
    assert got == []
    summary = form.error.text()
    for expected in (
        "Immediate danger: answer this question first",
        "Source: choose where the contact came from",
        "Child 1 date of birth: “31/02/2019” is not a date: type it as dd/mm/yyyy",
        "Child 1 NHS number: fails the check digit",
        "Concern: say what has happened",
        "Consent: say whether consent",
    ):
        assert expected in summary, summary
    assert "6 problems" in summary
    assert not any(word in summary for word in INTERNAL), summary
    for field, words in (
        (form.danger, "Answer this question"),
        (form.source, "Choose where"),
        (child.dob, "is not a date"),
        (child.nhs, "check digit"),
        (form.concern, "Say what has happened"),
        (form.consent, "Say whether consent"),
    ):
        assert words in line_under(field).text()
        assert "Problem" in field.accessibleDescription()
    assert form.focusWidget() is form.danger  # the first one to put right
    assert child.given.text() == "Amelie" and child.dob.text() == "31/02/2019"

    form.danger.setCurrentIndex(1)
    form.source.setCurrentIndex(form.source.findData("2A"))
    child.dob.setText("03/04/2019")
    child.nhs.setText("943 476 5919")
    form.concern.setPlainText("Bruise to the cheek.")
    form.consent.setCurrentIndex(form.consent.findData("given"))
    form.try_submit()
    assert got and not form.error.isVisible()
    assert not [
        w
        for w in form.findChildren(QLabel)
        if w.objectName().startswith("problem_") and w.isVisible()
    ]


def test_a_refusal_from_the_rules_is_worded_for_people_at_its_field(
    qtbot,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.resize(820, 4000)
    form.show()
    error = ValidationError("needs at least 1 item(s)", "contact.received.children")
    form.show_failure(MainWindow.describe(error), error)
    QApplication.processEvents()
    text = form.error.text()
    assert "Children: add at least one child" in text and "still here" in text
    assert "contact.received" not in text and "item(s)" not in text
    assert "Add at least one child" in line_under(form.add_child_button).text()
    nested = ValidationError(
        "'2019-02-31' is not a date (YYYY-MM-DD)", "contact.received.children[1].date_of_birth"
    )
    form.add_child()
    form.show_failure("", nested)
    assert (
        "Child 2 date of birth: “2019-02-31” is not a date: type it as dd/mm/yyyy"
        in form.error.text()
    )


def test_status_bar_words_for_a_refusal() -> None:
    error = ValidationError("needs at least 1 item(s)", "contact.received.children")
    assert MainWindow.describe(error) == "Children: add at least one"
    assert (
        describe(
            ValidationError(
                "is 2001 characters long; at most 2000 allowed",
                "decision.recorded.rationale.analysis",
            )
        )
        == "Analysis: is too long: 2001 characters, at most 2000 fit"
    )
    assert plain_reason("is required") == "fill this in"


def test_a_typed_next_step_is_never_dropped(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    qtbot.waitUntil(lambda: window.detail_snapshot is not None)
    window.contact_actions.decide()
    dialog = window._dialog
    assert isinstance(dialog, DecisionDialog)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("cin_assessment"))
    dialog.level.setCurrentIndex(dialog.level.findData(3))
    dialog.boxes["concerns_and_risks"].setPlainText("Neglect over several weeks.")
    dialog.boxes["analysis"].setPlainText("An assessment will show what help is needed.")
    dialog.step_action.setText("Visit the family with the health visitor")
    dialog.step_due.setText("32/13/2026")  # typed wrong: the step must not vanish
    sent: list[dict] = []
    dialog.submitted.disconnect()
    dialog.submitted.connect(sent.append)
    dialog.try_submit()
    assert sent == [] and dialog.step_action.text() == "Visit the family with the health visitor"
    assert "Next step due date: “32/13/2026” is not a date" in dialog.error.text()
    assert "is not a date" in line_under(dialog.step_due).text()
    dialog.step_due.setText("03/12/2026")
    dialog.try_submit()  # "Add step" never pressed: the step still goes in
    assert sent and sent[0]["rationale"]["next_steps"] == [
        {"action": "Visit the family with the health visitor", "due": "2026-12-03"}
    ]


def test_the_strategy_form_shows_every_problem_and_drops_nothing_typed(  # type: ignore[no-untyped-def]
    qtbot,
) -> None:
    """It refused one problem at a time, and an attendee typed without an agency was
    left out of the record without a word."""
    dialog = StrategyDialog([(0, "Mateusz Khan"), (1, "Leo Khan")], NOW, lead="dm.manager")
    qtbot.addWidget(dialog)
    dialog.resize(820, 1200)
    dialog.show()
    dialog.add_attendee("", "Dr Okafor", "Named doctor")  # agency not chosen
    dialog.police_where.setText("with her grandmother")  # police protection not ticked
    sent: list[dict] = []
    dialog.submitted.connect(sent.append)
    dialog.try_submit()
    QApplication.processEvents()
    assert sent == []
    summary = dialog.error.text()
    assert "3 problems" in summary, summary
    for expected in (
        "Children it was about: tick the child or children",
        "Who took part: say which agency attendee 4 is from",
        "Child accommodated at: tick police protection above",
    ):
        assert expected in summary, summary
    assert "Tick the child" in line_under(dialog.child_boxes[1].parentWidget()).text()
    assert "attendee 4" in line_under(dialog.attendees).text()
    assert "police protection" in line_under(dialog.police_where).text()
    assert dialog.attendees.item(3, 1).text() == "Dr Okafor"  # still there
    assert dialog.police_where.text() == "with her grandmother"

    dialog.child_boxes[0].setChecked(True)
    dialog.attendees.item(3, 0).setText("Health")
    dialog.police.setChecked(True)
    dialog.try_submit()
    assert sent and not dialog.error.isVisible()
    assert {"agency": "Health", "name": "Dr Okafor", "role": "Named doctor"} in sent[0]["attendees"]
    assert sent[0]["police_protection"]["where"] == "with her grandmother"


def test_the_strategy_form_is_named_and_tabs_in_reading_order(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = StrategyDialog([(0, "Mateusz Khan"), (1, "Leo Khan")], NOW, lead="dm.manager")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_attendee("Education", "Ms Hollins", "DSL")  # added later: still read in turn
    QApplication.processEvents()
    assert unnamed_controls(dialog) == []
    assert out_of_reading_order(dialog) == []


def test_the_strategy_form_agency_is_chosen_from_the_keyboard_without_cell_widgets(  # type: ignore[no-untyped-def]
    qtbot,
) -> None:
    """The agency cells were combo boxes set into the table, which a font change walked
    after they had gone (a crash). Now each cell is text; F2 opens the agencies to choose
    from, Qt owns that editor, and Enter puts the choice in the cell."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractItemView

    dialog = StrategyDialog([(0, "Mateusz Khan")], NOW, lead="dm.manager")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_attendee("", "Ms Hollins", "DSL")
    table = dialog.attendees
    assert all(table.indexWidget(table.model().index(r, 0)) is None for r in range(4))
    assert [dialog.agency_of(r) for r in range(3)] == [
        "Children's social care",
        "Police",
        "Health",
    ]
    table.setFocus()
    table.setCurrentCell(3, 0)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    assert table.state() == QAbstractItemView.State.EditingState
    editor = table.focusWidget()
    assert isinstance(editor, QComboBox) and editor.isEditable()
    assert editor.accessibleName() == "Agency of attendee 4"
    assert "Education" in [editor.itemText(i) for i in range(editor.count())]
    editor.setCurrentText("Education")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()  # the delegate commits and closes on the next turn
    assert table.state() != QAbstractItemView.State.EditingState
    assert dialog.agency_of(3) == "Education"
    assert {"agency": "Education", "name": "Ms Hollins", "role": "DSL"} in dialog.attendee_rows()
    # any agency may be typed, and the prompt follows what the cells say
    table.item(2, 0).setText("")
    assert "not recorded: Health" in dialog.agency_prompt.text()
    table.item(2, 0).setText("health")
    assert "took part" in dialog.agency_prompt.text()
