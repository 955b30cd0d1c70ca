"""Actions from the window: decide (manager records, practitioner proposes), sign off,
amend with the original kept, re-rate refusals shown inline, partner checks, handover."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from dutydesk.domain.codes import Role
from dutydesk.services.desk import DeskService
from dutydesk.ui.action_dialogs import ActionDialog
from dutydesk.ui.decision_dialog import DecisionDialog, threshold_labels


def ready(qtbot, window) -> str:  # type: ignore[no-untyped-def]
    cid = window.current_contact_id()
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == cid
    )
    return cid


def fill_decision(dialog: DecisionDialog, analysis: str) -> None:
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("cin_assessment"))
    dialog.level.setCurrentIndex(dialog.level.findData(3))
    dialog.boxes["concerns_and_risks"].setPlainText("Neglect over several weeks.")
    dialog.boxes["analysis"].setPlainText(analysis)


def as_role(service: DeskService, role: Role, login: str) -> DeskService:
    actor = dataclasses.replace(service.actor, role=role, login=login)
    return DeskService(service.store, actor, service.clock)


def test_prompts_help_but_do_not_block(qtbot, make_window, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    cid = ready(qtbot, window)
    window.contact_actions.decide()
    dialog = window._dialog
    concern = window.detail_snapshot.concern
    fill_decision(dialog, concern)
    dialog.update_prompts()
    text = dialog.prompts.text()
    assert "child's voice" in text and "Consent" in text and "word for word" in text
    assert dialog.submit_button.text() == "Record decision"
    dialog.try_submit()
    assert not dialog.isVisible()
    assert service.store.events_for_contact(cid)[-1].type == "decision.recorded"


def test_missing_required_fields_are_named(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    ready(qtbot, window)
    window.contact_actions.decide()
    dialog = window._dialog
    dialog.try_submit()
    assert dialog.isVisible()
    assert "Outcome: choose the outcome" in dialog.error.text()
    assert "Analysis:" in dialog.error.text()


def test_practitioner_proposes_and_manager_signs_off(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    practitioner = as_role(service, Role.PRACTITIONER, "sw.one")
    window = make_window(practitioner)
    cid = ready(qtbot, window)
    assert not window.actions_by_name["assign"].isEnabled()
    window.contact_actions.decide()
    dialog = window._dialog
    assert dialog.submit_button.text() == "Propose for sign-off"
    fill_decision(dialog, "Cumulative neglect; an assessment will show what help is needed.")
    dialog.try_submit()
    assert service.store.events_for_contact(cid)[-1].type == "decision.proposed"
    window.close()

    manager = make_window()
    manager.select_contact(cid)
    ready(qtbot, manager)
    assert manager.actions_by_name["sign_off"].isEnabled()
    manager.contact_actions.sign_off()
    sign = manager._dialog
    assert isinstance(sign, ActionDialog) and "sw.one proposed" in sign.intro.text()
    sign.try_submit()
    assert service.store.events_for_contact(cid)[-1].type == "decision.signed_off"
    assert cid not in manager.model.ids()


def test_amend_keeps_the_original_visible(qtbot, make_window, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    cid = ready(qtbot, window)
    service.decide(
        cid,
        "early_help",
        2,
        {"concerns_and_risks": "Low-level neglect.", "analysis": "Needs met by early help."},
    )
    window.poll()
    assert cid not in window.model.ids()  # decided: it left the queue, the detail stays
    assert window.detail_snapshot is not None and window.detail_snapshot.contact_id == cid
    window.detail_snapshot = service.contact_detail(cid)
    window.contact_actions.amend()
    dialog = window._dialog
    assert isinstance(dialog, DecisionDialog) and dialog.outcome.currentData() == "early_help"
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("cin_assessment"))
    dialog.try_submit()
    assert "Reason for amending: say why" in dialog.error.text()
    dialog.reason.setPlainText("Health visitor reports missed appointments since.")
    dialog.try_submit()
    assert not dialog.isVisible()
    from dutydesk.ui.detail_html import detail_html

    html = detail_html(service.contact_detail(cid), service.clock.now(), threshold_labels())
    assert "As first recorded" in html and "Early help" in html
    assert "Child-in-need assessment" in html


def test_practitioner_lowering_red_is_refused_inline(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    practitioner = as_role(service, Role.PRACTITIONER, "sw.one")
    window = make_window(practitioner)
    red = next(i for i in window.model.all_items() if i.rating == "red")
    window.select_contact(red.contact_id)
    window.contact_actions.rerate()
    dialog = window._dialog
    dialog.widgets["to_rating"].setCurrentIndex(dialog.widgets["to_rating"].findData("green"))
    dialog.widgets["reason"].setPlainText("School says all is well.")
    dialog.try_submit()
    assert dialog.isVisible()
    assert "only a duty manager or senior practitioner" in dialog.error.text()
    assert dialog.widgets["reason"].toPlainText() == "School says all is well."


def test_partner_check_request_and_answer(qtbot, make_window, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    cid = ready(qtbot, window)
    assert not window.actions_by_name["answer_check"].isEnabled()
    window.contact_actions.request_check()
    dialog = window._dialog
    dialog.widgets["question"].setPlainText("Any call-outs to the address?")
    dialog.widgets["due"].setText("31/02/2026")
    dialog.try_submit()
    assert dialog.isVisible() and "not a date" in dialog.error.text()
    due = service.clock.now().date() + timedelta(days=3)
    dialog.widgets["due"].setText(due.strftime("%d/%m/%Y"))
    dialog.try_submit()
    qtbot.waitUntil(lambda: window.actions_by_name["answer_check"].isEnabled())
    asked = [
        e for e in service.store.events_for_contact(cid) if e.type == "partner_check.requested"
    ]
    assert asked[-1].payload["due_at"].startswith(due.isoformat())  # the end of that day
    window.contact_actions.answer_check()
    answer = window._dialog
    answer.widgets["answer"].setPlainText("Two call-outs in June.")
    answer.widgets["no_trace"].setCurrentIndex(answer.widgets["no_trace"].findData("yes"))
    answer.try_submit()
    qtbot.waitUntil(lambda: "Two call-outs in June." in window.detail.toPlainText())
    assert "Police" in window.detail.toPlainText()
    assert service.contact_detail(cid).partner_checks[0].answered_at is not None  # type: ignore[union-attr]
    answered = [
        e for e in service.store.events_for_contact(cid) if e.type == "partner_check.answered"
    ]
    assert answered[-1].payload["no_trace"] is True


def test_handover_shown_at_start_and_acknowledged(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    as_role(service, Role.PRACTITIONER, "edt.worker").note_handover(
        "Night", "Police protection used for one child overnight."
    )
    window = make_window()
    assert window.handover_dock.isVisible()
    assert "1 handover note to acknowledge" in window.handover.summary.text()
    window.handover.ack_button.click()
    assert service.handovers()[0].acknowledged_by == (service.actor.login,)
    assert "All handover notes acknowledged." in window.handover.summary.text()


def test_local_threshold_labels() -> None:
    labels = threshold_labels({"2": "Targeted early help", "9": "ignored", "3": " "})
    assert labels[2] == "Targeted early help" and labels[3] and 9 not in labels
