"""The permission table: every cell written out, every event type covered, reasons checked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import EVENT_TYPES, Actor
from dutydesk.domain.permissions import (
    EVENT_ACTIONS,
    PERMISSIONS,
    AccessContext,
    Action,
    Restriction,
    allows,
    can_see,
    check_event,
    check_reason,
)
from tests.permission_doc import documented_matrix

NOW = datetime(2026, 11, 26, 9, 30).astimezone()

# The expected table, written out by hand so that a change to PERMISSIONS shows up here
# (and must be mirrored on the server). Columns: CO PR SP DM AU AD.
EXPECTED = {
    "record_contact": "1111 00",
    "link_person": "1111 00",
    "rate": "1111 00",
    "override_rating": "0111 00",
    "lower_red": "0011 00",
    "assign": "0001 00",
    "partner_check": "0111 00",
    "add_note": "1111 00",
    "record_consent": "0111 00",
    "propose_decision": "0111 00",
    "record_decision": "0011 00",
    "sign_off": "0011 00",
    "amend_decision": "0011 00",
    "resolve_conflict": "0001 00",
    "consent_override": "0001 00",
    "handover": "1111 00",
    "supervision": "0011 00",
    "view_record": "1111 10",
    "view_restricted": "0111 10",
    "grant_access": "0000 01",
    "break_glass": "1111 00",
    "print": "1111 10",
    "export": "0011 10",
    "view_audit": "0001 11",
    "administer": "0000 01",
    "take_contact": "0111 00",
    "open_route": "0111 00",
    "strategy_discussion": "0111 00",
    "transfer": "0011 00",
    "accept_transfer": "0111 00",
    "correct_record": "0011 00",
    "follow_up": "1111 00",
}
ROLES = [
    Role.CONTACT_OFFICER,
    Role.PRACTITIONER,
    Role.SENIOR_PRACTITIONER,
    Role.DUTY_MANAGER,
    Role.AUDITOR,
    Role.ADMIN,
]


@pytest.mark.parametrize("action", list(Action))
def test_table_matches_the_written_out_matrix(action: Action) -> None:
    cells = EXPECTED[action.value].replace(" ", "")
    assert [allows(r, action) for r in ROLES] == [c == "1" for c in cells]


def test_table_is_the_matrix_docs_security_md_publishes() -> None:
    """Every action is in the published table, with the same roles as the code's."""
    documented = documented_matrix()
    assert set(documented) == set(Action)
    assert {a: documented[a] for a in Action} == {a: PERMISSIONS[a] for a in Action}


def test_every_event_type_names_an_action() -> None:
    assert set(EVENT_ACTIONS) == set(EVENT_TYPES)
    assert set(PERMISSIONS) == set(Action)


def test_auditors_write_only_view_print_export_events() -> None:
    writable = {t for t, a in EVENT_ACTIONS.items() if allows(Role.AUDITOR, a)}
    assert writable == {"record.viewed", "document.printed", "document.exported"}


def test_refusal_names_who_what_and_who_may() -> None:
    officer = Actor("cc.officer", Role.CONTACT_OFFICER, "desk")
    with pytest.raises(
        PermissionDenied,
        match=r"cc.officer \(Contact officer\) may not "
        r"record decision; allowed: Senior",
    ):
        check_event(officer, "decision.recorded", {}, AccessContext(NOW))


def test_lowering_red_needs_a_decider() -> None:
    prac = Actor("p", Role.PRACTITIONER, "desk")
    check_event(
        prac,
        "contact.rating_overridden",
        {"from_rating": "amber", "to_rating": "red"},
        AccessContext(NOW),
    )
    with pytest.raises(PermissionDenied, match="lower red"):
        check_event(
            prac,
            "contact.rating_overridden",
            {"from_rating": "red", "to_rating": "amber"},
            AccessContext(NOW),
        )


@pytest.mark.parametrize("reason", ["", "   ", "\t\n", "because", None])
def test_break_glass_reason_must_be_real(reason: str | None) -> None:
    with pytest.raises(ValidationError, match="reason"):
        check_reason(reason)


def test_restricted_record_needs_naming_or_fresh_break_glass() -> None:
    dm = Actor("dm", Role.DUTY_MANAGER, "desk")
    r = Restriction("p1", frozenset({"other"}))
    assert not can_see(dm, r, NOW)
    assert can_see(dm, Restriction("p1", frozenset({"dm"})), NOW)
    glass = Restriction("p1", frozenset(), {"dm": NOW - timedelta(hours=1)})
    assert can_see(dm, glass, NOW)
    assert not can_see(dm, glass, NOW + timedelta(hours=9))
    officer = Actor("cc", Role.CONTACT_OFFICER, "desk")
    assert not can_see(officer, Restriction("p1", frozenset({"cc"})), NOW)
    ctx = AccessContext(NOW, {"p1": r})
    with pytest.raises(PermissionDenied, match="restricted record p1"):
        check_event(dm, "note.added", {"person_id": "p1", "text": "x"}, ctx)
    check_event(
        dm,
        "access.break_glass",
        {"person_id": "p1", "reason": "Police strategy call about this child"},
        ctx,
    )
