"""Issue 13, item 8: consent as practice records it.

Before, consent could be given only on the intake form: nothing recorded consent gathered
later, and nothing let a manager authorise sharing without consent, although the event
catalogue, the projection and the case log knew ``consent.recorded`` and
``consent.overridden``. Now consent can be recorded at any point (given or refused, by
whom; not sought or not required, why), sharing without consent needs a duty manager
and a basis, and both are shown in the detail pane, above the partner checks and in the
case log.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import document_service
from tests.factories import contact_payload, event

MANAGER = Actor("dm.one", Role.DUTY_MANAGER, "test-desk", display_name="Dee One")
WORKER = Actor("sw.tom", Role.PRACTITIONER, "test-desk", display_name="Tom Okafor")
BASIS = "Asking the father would place the children at increased risk of harm."


def contact(store: EventStore, clock: FixedClock) -> str:
    body = contact_payload(consent="not_sought")
    store.append([event("contact.received", body, clock.now(), actor="dm.one")])
    return body["contact_id"]


def test_consent_gathered_later_is_recorded_with_who_gave_it(
    store: EventStore, clock: FixedClock
) -> None:
    cid = contact(store, clock)
    worker = DeskService(store, WORKER, clock)
    worker.record_consent(cid, "given", given_by="Mother, by phone")
    detail = worker.contact_detail(cid)
    assert detail is not None and detail.consent == "given"
    [entry] = detail.consents
    assert (entry.status, entry.given_by, entry.by) == ("given", "Mother, by phone", "sw.tom")


@pytest.mark.parametrize(
    "status, kwargs, field",
    [
        ("given", {}, "given_by"),
        ("refused", {"given_by": "  "}, "given_by"),
        ("not_sought", {}, "basis"),
        ("not_required", {"basis": " "}, "basis"),
        ("maybe", {"given_by": "Mother"}, "status"),
    ],
)
def test_consent_needs_who_or_why(
    store: EventStore, clock: FixedClock, status: str, kwargs: dict[str, str], field: str
) -> None:
    cid = contact(store, clock)
    with pytest.raises(ValidationError) as err:
        DeskService(store, WORKER, clock).record_consent(cid, status, **kwargs)
    assert field in err.value.path
    assert [e.type for e in store.events_for_contact(cid)] == ["contact.received"]


def test_sharing_without_consent_needs_a_manager_and_a_basis(
    store: EventStore, clock: FixedClock
) -> None:
    cid = contact(store, clock)
    with pytest.raises(PermissionDenied):
        DeskService(store, WORKER, clock).share_without_consent(cid, BASIS)
    manager = DeskService(store, MANAGER, clock)
    with pytest.raises(ValidationError, match="basis"):
        manager.share_without_consent(cid, "because")
    assert [e.type for e in store.events_for_contact(cid)] == ["contact.received"]
    manager.share_without_consent(cid, BASIS)
    [shared] = [e for e in store.events_for_contact(cid) if e.type == "consent.overridden"]
    assert shared.payload == {"contact_id": cid, "basis": BASIS, "approver": "dm.one"}
    detail = manager.contact_detail(cid)
    assert detail is not None and detail.consent_overridden
    assert detail.consents[-1].overridden and detail.consents[-1].approver == "dm.one"


def test_shown_in_the_detail_pane_above_partner_checks_and_in_the_case_log(  # type: ignore[no-untyped-def]
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    from dutydesk.ui.main_window import MainWindow
    from dutydesk.ui.tasks import TaskRunner

    cid = contact(store, clock)
    manager = DeskService(store, MANAGER, clock)
    manager.request_partner_check(cid, "Health", "Is the baby registered with a GP?")
    DeskService(store, WORKER, clock).record_consent(cid, "refused", given_by="Father")
    manager.share_without_consent(cid, BASIS)
    window = MainWindow(
        manager, TaskRunner(synchronous=True), demo=False, store_path=tmp_path / "s.sqlite3"
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    window.select_contact(cid)
    qtbot.waitUntil(lambda: window.detail_snapshot is not None, timeout=3000)
    text = window.detail.toPlainText()
    assert "Refused by Father" in text
    assert "shared without consent, authorised by dm.one" in text
    checks = text[text.index("Partner checks") :]
    assert checks.splitlines()[1].startswith("Consent: Refused; shared without consent")
    assert window.actions_by_name["consent"].isEnabled()
    assert window.actions_by_name["share_without_consent"].isEnabled()

    pdf = document_service(store, MANAGER, clock).case_log(contact_id=cid).pdf
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Information shared without consent" in words and "Consent: Refused" in words


def test_a_practitioner_cannot_reach_sharing_without_consent_from_the_window(  # type: ignore[no-untyped-def]
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    from dutydesk.ui.main_window import MainWindow
    from dutydesk.ui.tasks import TaskRunner

    cid = contact(store, clock)
    window = MainWindow(
        DeskService(store, WORKER, clock),
        TaskRunner(synchronous=True),
        demo=False,
        store_path=tmp_path / "s.sqlite3",
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    window.select_contact(cid)
    qtbot.waitUntil(lambda: window.detail_snapshot is not None, timeout=3000)
    assert window.actions_by_name["consent"].isEnabled()
    assert not window.actions_by_name["share_without_consent"].isEnabled()
    window.contact_actions.record_consent()
    dialog = window._dialog
    from PySide6.QtWidgets import QComboBox, QLineEdit

    combo = dialog.findChild(QComboBox, "action_status")
    combo.setCurrentIndex(combo.findData("given"))
    dialog.findChild(QLineEdit, "action_given_by").setText("Mother")
    dialog.try_submit()
    assert [
        e.payload["status"] for e in store.events_for_contact(cid) if e.type == "consent.recorded"
    ] == ["given"]
