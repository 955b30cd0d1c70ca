"""Issue 13, item 6 in the window: Decide is off once a decision stands (Amend takes
over); a manager returns a proposal with a reason and the practitioner sees it."""

from __future__ import annotations

from dutydesk.domain.codes import Role
from dutydesk.services.desk import DeskService
from dutydesk.ui.action_dialogs import ActionDialog
from dutydesk.ui.queue_model import STATUS
from tests.ui.test_actions import as_role, ready

RATIONALE = {
    "concerns_and_risks": "Neglect over several weeks.",
    "analysis": "Low-level needs; a universal service can meet them.",
}
REASON = "Three police notifications this year are not weighed; look again at the history."


def test_decide_becomes_amend_once_a_decision_is_recorded(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    window = make_window()
    cid = ready(qtbot, window)
    assert window.actions_by_name["decide"].isEnabled()
    assert not window.actions_by_name["amend"].isEnabled()
    service.decide(cid, "strategy_s47", 4, RATIONALE)
    window.select_contact(cid)
    window.detail_snapshot = service.contact_detail(cid)
    window._update_actions()
    assert not window.actions_by_name["decide"].isEnabled()
    assert window.actions_by_name["amend"].isEnabled()


def test_a_manager_returns_a_proposal_and_the_practitioner_sees_why(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    practitioner = as_role(service, Role.PRACTITIONER, "sw.one")
    cid = practitioner.queue()[0].contact_id
    practitioner.decide(cid, "nfa", 1, RATIONALE)

    manager = make_window()
    manager.select_contact(cid)
    ready(qtbot, manager)
    assert manager.actions_by_name["return_proposal"].isEnabled()
    assert manager.actions_by_name["sign_off"].isEnabled()
    assert not manager.actions_by_name["decide"].isEnabled()
    manager.contact_actions.return_proposal()
    dialog = manager._dialog
    assert isinstance(dialog, ActionDialog) and "sw.one proposed" in dialog.intro.text()
    dialog.try_submit()
    assert dialog.isVisible() and "reason" in dialog.error.text().lower()  # required
    dialog.widgets["reason"].setPlainText(REASON)
    dialog.try_submit()
    assert not dialog.isVisible()
    assert service.store.events_for_contact(cid)[-1].type == "decision.returned"
    assert "Proposal returned to sw.one" in manager.status_message.text()
    manager.close()

    window = make_window(practitioner)
    window.select_contact(cid)
    ready(qtbot, window)
    qtbot.waitUntil(lambda: REASON in window.detail.toPlainText())
    text = window.detail.toPlainText()
    assert "Returned by dm.manager" in text and "Returned to its author" in text
    assert window.actions_by_name["decide"].isEnabled()  # proposes again
    assert not window.actions_by_name["return_proposal"].isEnabled()
    item = window.model.item(window.model.row_of(cid))
    assert item is not None and item.status == "in_progress"


def test_a_returned_proposal_reads_returned_in_the_queue(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    """(issue 17) The queue said only "In progress": the practitioner could not see at a
    glance which of their contacts a manager had sent back."""
    practitioner = as_role(service, Role.PRACTITIONER, "sw.one")
    cid = practitioner.queue()[0].contact_id
    practitioner.decide(cid, "nfa", 1, RATIONALE)
    window = make_window(practitioner)
    ready(qtbot, window)

    def status() -> str:
        return str(window.model.index(window.model.row_of(cid), STATUS).data())

    assert status() == "Awaiting sign-off"
    decision_id = service.contact_detail(cid).decisions[-1].decision_id  # type: ignore[union-attr]
    service.return_proposal(cid, decision_id, REASON)
    window.poll()  # the live update, as from another desk
    qtbot.waitUntil(lambda: status() == "Returned")
    assert next(i for i in practitioner.queue() if i.contact_id == cid).returned
    window.search.setText("returned")  # the search box finds them too
    qtbot.waitUntil(lambda: window.model.ids() == [cid])
    window.search.setText("")
    practitioner.decide(cid, "early_help", 2, RATIONALE)  # proposes again
    window.poll()
    qtbot.waitUntil(lambda: status() == "Awaiting sign-off")
