"""The role -> event type table the desk and the server share."""

from __future__ import annotations

from dutydesk.domain.codes import Role
from dutydesk.domain.event_permissions import ALLOWED, may_record, refusal
from dutydesk.domain.events import EVENT_TYPES


def test_every_catalogued_event_type_has_an_entry() -> None:
    assert set(ALLOWED) == set(EVENT_TYPES)


def test_decisions_and_sign_off_belong_to_managers_and_seniors() -> None:
    for kind in ("decision.recorded", "decision.signed_off", "decision.amended"):
        assert {r for r in Role if may_record(r, kind)} == {
            Role.DUTY_MANAGER,
            Role.SENIOR_PRACTITIONER,
        }
    assert refusal(Role.CONTACT_OFFICER, "decision.recorded", {}) == (
        "the contact_officer role may not record decision.recorded"
    )


def test_auditors_only_view_print_export() -> None:
    assert {k for k in ALLOWED if may_record(Role.AUDITOR, k)} == {
        "record.viewed",
        "document.printed",
        "document.exported",
    }


def test_lowering_red_needs_a_manager() -> None:
    body = {"from_rating": "red", "to_rating": "amber"}
    assert refusal(Role.PRACTITIONER, "contact.rating_overridden", body) == (
        "only a duty manager or senior practitioner may lower a Red rating"
    )
    assert refusal(Role.DUTY_MANAGER, "contact.rating_overridden", body) is None
    assert (
        refusal(
            Role.PRACTITIONER,
            "contact.rating_overridden",
            {"from_rating": "green", "to_rating": "red"},
        )
        is None
    )
