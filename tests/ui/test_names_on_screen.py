"""Issue 13, item 7 in the window: people are shown by name wherever the window says who
did something, and a change to the people directory shows without a restart.

Before, the handover notes listed who wrote and who acknowledged them by login, the
sign-off and return dialogs said "sw.one proposed", and a shared-mode desk kept the names
it read at sign-in. Now those name the person from the directory (login beside it), and
when sync reports that the directory changed the queue, handover notes and detail pane
are shown again with the names as they are now.
"""

from __future__ import annotations

from dutydesk.domain.codes import Role
from dutydesk.services.desk import DeskService
from dutydesk.services.directory import LiveDirectory
from dutydesk.ui.action_dialogs import ActionDialog
from dutydesk.ui.queue_model import WITH
from tests.ui.test_actions import ready

ROWS = [
    ("dm.manager", "Dan Manager", "duty_manager"),
    ("sw.one", "Sam One", "practitioner"),
]
RATIONALE = {
    "concerns_and_risks": "Neglect over several weeks.",
    "analysis": "Low-level needs; a universal service can meet them.",
}
REASON = "Three police notifications this year are not weighed; look again at the history."


def _desk(service: DeskService, live: LiveDirectory, login: str, role: Role) -> DeskService:
    from dataclasses import replace

    actor = replace(service.actor, login=login, role=role)
    return DeskService(service.store, actor, service.clock, directory=live)


def test_a_renamed_person_shows_in_the_queue_handover_and_detail_without_a_restart(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    live = LiveDirectory(ROWS)
    manager = _desk(service, live, "dm.manager", Role.DUTY_MANAGER)
    worker = _desk(service, live, "sw.one", Role.PRACTITIONER)
    cid = manager.queue()[0].contact_id
    manager.assign(cid, "sw.one")
    manager.note_handover("night", "Watch the Red ones.")
    worker.acknowledge_handover(manager.handovers()[0].handover_id)

    window = make_window(manager)
    window.select_contact(cid)
    ready(qtbot, window)

    def with_cell() -> str:
        return str(window.model.index(window.model.row_of(cid), WITH).data())

    assert with_cell() == "Sam One"
    assert "with Sam One (sw.one)" in window.detail.toPlainText()
    listed = [window.handover.list.item(i).text() for i in range(window.handover.list.count())]
    assert any("Dan Manager (dm.manager)" in t for t in listed)
    window.handover.list.setCurrentRow(0)
    assert "Acknowledged by: Sam One (sw.one)" in window.handover.text.toPlainText()

    # The administrator renames sw.one on the server; sync hands the desk the new rows.
    assert live.replace([ROWS[0], ("sw.one", "Samira Osei", "practitioner")])
    assert not live.replace([ROWS[0], ("sw.one", "Samira Osei", "practitioner")])  # same
    window.people_changed()
    qtbot.waitUntil(lambda: with_cell() == "Samira Osei")
    qtbot.waitUntil(lambda: "with Samira Osei (sw.one)" in window.detail.toPlainText())
    window.handover.list.setCurrentRow(0)
    assert "Acknowledged by: Samira Osei (sw.one)" in window.handover.text.toPlainText()


def test_sign_off_and_return_name_the_proposals_author(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    live = LiveDirectory(ROWS)
    manager = _desk(service, live, "dm.manager", Role.DUTY_MANAGER)
    worker = _desk(service, live, "sw.one", Role.PRACTITIONER)
    cid = worker.queue()[0].contact_id
    worker.decide(cid, "nfa", 1, RATIONALE)

    window = make_window(manager)
    window.select_contact(cid)
    ready(qtbot, window)
    window.contact_actions.sign_off()
    dialog = window._dialog
    assert isinstance(dialog, ActionDialog) and "Sam One (sw.one) proposed" in dialog.intro.text()
    dialog.reject()
    window.contact_actions.return_proposal()
    dialog = window._dialog
    assert isinstance(dialog, ActionDialog) and "Sam One (sw.one) proposed" in dialog.intro.text()
    dialog.widgets["reason"].setPlainText(REASON)
    dialog.try_submit()
    assert "Proposal returned to Sam One (sw.one)" in window.status_message.text()
