"""Who may print what: print/export permissions, restricted children refused in case logs
and letters, redacted (not refused) in a duty log that still verifies."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.events import Actor
from dutydesk.reports.letters import Audience
from dutydesk.reports.verify import Verdict
from dutydesk.services.audit import AuditService
from dutydesk.services.documents import DocumentService
from dutydesk.services.guard import GuardedStore, RestrictedRecord
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import document_service, keys_in
from tests.integration.reports.conftest import page_texts
from tests.report_cases import Case

DM = Actor("dm.manager", Role.DUTY_MANAGER, "desk")
NAMED = Actor("sp.senior", Role.SENIOR_PRACTITIONER, "desk")


def _documents(store: EventStore, actor: Actor, clock: FixedClock) -> DocumentService:
    return document_service(store, actor, clock)


def _restrict(store: EventStore, clock: FixedClock, person_id: str) -> None:
    admin = Actor("ad.min", Role.ADMIN, "desk")
    AuditService(GuardedStore(store, admin, clock)).restrict(
        person_id, [NAMED.login], "child of a staff member"
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page_texts(pdf))


def test_print_needs_the_print_permission(store: EventStore, case: Case, clock) -> None:  # type: ignore[no-untyped-def]
    admin = _documents(store, Actor("ad.min", Role.ADMIN, "desk"), clock)
    with pytest.raises(PermissionDenied, match="may not print"):
        admin.case_log(person_id=case.person_id)
    with pytest.raises(PermissionDenied, match="may not print"):
        admin.letter(case.contact_ids[1], Audience.FAMILY)
    with pytest.raises(PermissionDenied, match="may not print"):
        admin.duty_log(clock.now().date(), clock.now().date(), office="Leeds North")


def test_export_needs_the_export_permission_before_any_file(
    store: EventStore,
    case: Case,  # type: ignore[no-untyped-def]
    clock,
    tmp_path: Path,
) -> None:
    officer = _documents(store, Actor("co.officer", Role.CONTACT_OFFICER, "desk"), clock)
    doc = officer.case_log(person_id=case.person_id)  # contact officers may print
    printed, _ = officer.record_printed(doc)
    assert printed.type == "document.printed"
    target = tmp_path / "out" / "log.pdf"
    with pytest.raises(PermissionDenied, match="may not export"):
        officer.export_to_file(doc, target)
    assert not target.parent.exists()  # not even the temporary file
    with pytest.raises(PermissionDenied, match="may not export"):
        officer.record_exported(doc, target)
    assert not [e for e in store.events() if e.type == "document.exported"]


def test_restricted_child_case_log_and_letter_are_refused(
    store: EventStore,
    case: Case,  # type: ignore[no-untyped-def]
    clock,
) -> None:
    _restrict(store, clock, case.person_id)
    dm = _documents(store, DM, clock)
    with pytest.raises(RestrictedRecord, match="is restricted; dm.manager is not named"):
        dm.case_log(person_id=case.person_id)
    for cid in case.contact_ids:
        with pytest.raises(RestrictedRecord, match="cannot be printed"):
            dm.case_log(contact_id=cid)
        with pytest.raises(RestrictedRecord):
            dm.letter(cid, Audience.REFERRER)
    named = _documents(store, NAMED, clock)
    assert "Siobhán" in _text(named.case_log(person_id=case.person_id).pdf)
    named.letter(case.contact_ids[1], Audience.FAMILY)
    # break the glass with a reason: the manager may print for the next hours
    AuditService(GuardedStore(store, DM, clock)).break_glass(
        case.person_id, "Police called tonight: child reported missing"
    )
    assert dm.case_log(person_id=case.person_id).event_ids


def test_a_restricted_sibling_keeps_the_shared_contact_out(
    store: EventStore,
    case: Case,  # type: ignore[no-untyped-def]
    clock,
) -> None:
    _restrict(store, clock, case.sibling_id)  # Zoë is on the first contact only
    dm = _documents(store, DM, clock)
    with pytest.raises(RestrictedRecord, match=case.contact_ids[0]):
        dm.case_log(person_id=case.person_id)
    with pytest.raises(RestrictedRecord):
        dm.letter(case.contact_ids[0], Audience.FAMILY)
    assert "CONCERN-B" in _text(dm.case_log(contact_id=case.contact_ids[1]).pdf)


def test_duty_log_redacts_a_restricted_childs_row_and_still_verifies(  # type: ignore[no-untyped-def]
    store: EventStore, case: Case, clock, now: datetime
) -> None:
    day = (now - timedelta(days=30)).date()
    _restrict(store, clock, case.person_id)
    dm = _documents(store, DM, clock)
    doc = dm.duty_log(day, day, office="Leeds North")
    text = _text(doc.pdf)
    assert "Restricted record" in text
    assert "Siobhán" not in text and "Wiśniewski" not in text and "CONCERN-A" not in text
    assert "Contacts received (1)" in text  # the row is still counted and listed
    dm.record_printed(doc)
    assert dm.verify(doc.pdf).verdict is Verdict.MATCHES
    exported, _ = dm.record_exported(doc, "/tmp/duty.pdf")  # no child on the event: allowed
    assert exported.payload["event_ids"] == list(doc.event_ids)
    full = _documents(store, NAMED, clock).duty_log(day, day, office="Leeds North")
    assert "CONCERN-A" in _text(full.pdf) and "Restricted record" not in _text(full.pdf)
    assert full.digest == doc.digest  # the same events behind both: redaction is display only


def test_print_command_refuses_by_name_and_writes_nothing(  # type: ignore[no-untyped-def]
    tmp_path: Path, now: datetime, capsys: pytest.CaptureFixture[str], clock
) -> None:
    from dutydesk.cli import main
    from tests.factories import cli_store
    from tests.report_cases import stored_case

    data_dir = tmp_path / "data"
    store = cli_store(data_dir, demo=True)
    case = stored_case(store, now)
    _restrict(store, clock, case.person_id)
    store.close()
    keys_in(data_dir, "co.officer", "sp.senior")
    out = tmp_path / "log.pdf"
    assert (
        main(
            [
                "print",
                "case-log",
                "--person",
                case.person_id,
                "-o",
                str(out),
                "--data-dir",
                str(data_dir),
                "--demo",
                "--as",
                "cc.officer",
            ]
        )
        == 1
    )
    assert "is restricted" in capsys.readouterr().err and not out.exists()
    assert (
        main(
            [
                "print",
                "case-log",
                "--contact",
                case.contact_ids[1],
                "-o",
                str(out),
                "--data-dir",
                str(data_dir),
                "--demo",
                "--as",
                "sp.senior",
            ]
        )
        == 0
    )
    assert out.exists()
