"""Issue 13, item 7: documents and the audit show people by name, not by login.

Before, the printed case log's "by" lines, its audit trail, the duty log's "Decided by"
and the referrer letter's signature showed the login ("sp.senior"), and the audit CSV
had no name at all. Now each shows the name from the people directory with the login
beside it where an auditor needs it ("Sunita Rao (sp.senior, Senior practitioner)");
the letter, which leaves the service, names the person only. A login the directory
does not list still prints as the login, and the printed PDF still verifies against
the record.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.reports.letters import Audience
from dutydesk.reports.verify import Verdict
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.documents import DocumentService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import keys_in
from tests.factories import TEST_PASSWORD, add_account, cli_store, contact_payload, event
from tests.integration.reports.conftest import page_texts
from tests.report_cases import Case

NAMES = {
    "sw.practitioner": ("Tom Okafor", Role.PRACTITIONER),
    "sp.senior": ("Sunita Rao", Role.SENIOR_PRACTITIONER),
    "dm.manager": ("Dan Manager", Role.DUTY_MANAGER),
    "cc.officer": ("Chloe Officer", Role.CONTACT_OFFICER),
}


def _flat(pdf: bytes) -> str:
    return " ".join(" ".join(page_texts(pdf)).split())


@pytest.fixture
def named(store: EventStore, clock: FixedClock, case: Case) -> Case:
    """The case's people as local accounts: the desk's people directory."""
    for login, (name, role) in NAMES.items():
        add_account(store, clock, login, role, name)
    store.append(
        [
            event(
                "contact.assigned",
                {"contact_id": case.contact_ids[1], "assignee": "sw.practitioner"},
                clock.now() - timedelta(days=1),
            )
        ]
    )
    return case


def test_the_case_log_shows_who_did_what_by_name_with_the_login(
    documents: DocumentService, named: Case
) -> None:
    doc = documents.case_log(person_id=named.person_id)
    text = _flat(doc.pdf)
    for line in (
        "Decided by Tom Okafor (sw.practitioner, Practitioner)",  # the proposal
        "Decided by Sunita Rao (sp.senior, Senior practitioner)",
        "Signed off by Dan Manager (dm.manager, Duty manager)",
        "Requested by Tom Okafor (sw.practitioner, Practitioner)",
        "Assigned to Tom Okafor (sw.practitioner) by Dan Manager (dm.manager, Duty manager)",
    ):
        assert line in text, line
    # the audit trail at the end names everyone too: no bare "login (Role)" left
    assert "sw.practitioner (Practitioner)" not in text
    assert "sp.senior (Senior practitioner)" not in text
    assert "cc.officer (Contact officer)" not in text
    documents.record_printed(doc)  # the record of the file leaving DutyDesk
    assert documents.verify(doc.pdf).verdict is Verdict.MATCHES


def test_a_login_the_directory_does_not_list_prints_as_the_login(
    documents: DocumentService, case: Case
) -> None:
    text = _flat(documents.case_log(person_id=case.person_id).pdf)
    assert "Decided by sp.senior (Senior practitioner)" in text


def test_the_duty_log_names_who_decided(documents: DocumentService, named: Case) -> None:
    first = documents.clock.now().date() - timedelta(days=2)
    text = _flat(documents.duty_log(first, first, office="Leeds North").pdf)
    assert "Sunita Rao (sp.senior, Senior practitioner)" in text
    assert "sp.senior (Senior practitioner)" not in text


def test_the_referrer_letter_is_signed_with_the_deciders_name(
    documents: DocumentService, named: Case
) -> None:
    text = _flat(documents.letter(named.contact_ids[1], Audience.REFERRER).pdf)
    assert "Sunita Rao, on behalf of" in text
    assert "sp.senior" not in text  # a letter leaving the service shows no login


def test_the_audit_csv_has_each_actors_name_beside_the_login(
    store: EventStore, clock: FixedClock, named: Case
) -> None:
    auditor = Actor("au.ann", Role.AUDITOR, "test-desk")
    names = {login: name for login, (name, _) in NAMES.items()}
    out = io.StringIO()
    AuditService(GuardedStore(store, auditor, clock), names).export_csv(
        AuditFilter(contact_id=named.contact_ids[1]), out
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows and {(r["actor"], r["actor_name"]) for r in rows} >= {
        ("sp.senior", "Sunita Rao"),
        ("cc.officer", "Chloe Officer"),
        ("sw.practitioner", "Tom Okafor"),
    }


def test_audit_export_and_print_from_the_command_line_show_names(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands sign in and name people from the desk's own directory: `audit
    export` (CSV), `audit list` and `print case-log` (a demo store with its demo users)."""
    real = tmp_path / "real"
    store = cli_store(real)
    add_account(store, clock, "sw.khan", Role.PRACTITIONER, "Sam Khan")
    add_account(store, clock, "au.jones", Role.AUDITOR, "Ann Jones")
    store.append(
        [event("note.added", {"text": "x"}, clock.now(), actor="sw.khan", role=Role.PRACTITIONER)]
    )
    store.close()
    keys_in(real, "au.jones")  # exports are signed with the auditor's key
    out = tmp_path / "audit.csv"
    monkeypatch.setattr("sys.stdin", io.StringIO(TEST_PASSWORD + "\n"))
    assert (
        main(
            [
                "audit",
                "export",
                "--data-dir",
                str(real),
                "--as",
                "au.jones",
                "--password-stdin",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert ("sw.khan", "Sam Khan") in {(r["actor"], r["actor_name"]) for r in rows}

    demo = tmp_path / "demo"
    store = cli_store(demo, demo=True)
    body = contact_payload()
    store.append(
        [
            event(
                "contact.received", body, clock.now(), actor="cc.officer", role=Role.CONTACT_OFFICER
            ),
            event(
                "contact.assigned",
                {"contact_id": body["contact_id"], "assignee": "sw.practitioner"},
                clock.now(),
            ),
        ]
    )
    store.close()
    pdf = tmp_path / "log.pdf"
    args = ["print", "case-log", "--contact", body["contact_id"], "-o", str(pdf)]
    assert main([*args, "--data-dir", str(demo), "--demo", "--as", "dm.manager"]) == 0
    text = _flat(pdf.read_bytes())
    assert "Assigned to Tom Practitioner (sw.practitioner) by Dan Manager (dm.manager" in text


def test_the_case_log_names_the_lead_social_worker_of_a_strategy_discussion() -> None:
    """The strategy discussion rows printed the lead's login ("sw.practitioner")."""
    from dutydesk.domain.timescales import OfficeHours
    from dutydesk.reports.blocks import person_text
    from dutydesk.reports.caselog import _discussion_rows

    names = {login: name for login, (name, _role) in NAMES.items()}
    payload = {"held_at": "2026-11-26T10:00:00+00:00", "lead_social_worker": "sw.practitioner"}
    rows = _discussion_rows(payload, OfficeHours(), lambda login: person_text(login, names))
    assert ("Lead social worker", "Tom Okafor (sw.practitioner)") in rows
    typed = {**payload, "lead_social_worker": "Sam from the locality team"}  # nobody listed
    assert ("Lead social worker", "Sam from the locality team") in _discussion_rows(
        typed, OfficeHours(), lambda login: person_text(login, names)
    )
