import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain import codes
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import (
    CATALOGUE,
    canonical_json,
    check_envelope,
    make_event,
    validate_payload,
)
from tests.factories import contact_payload, event


def test_a_valid_contact_is_normalised(now: datetime) -> None:
    e = event(
        "contact.received",
        contact_payload(
            children=[
                {
                    "given_name": " Zoë\u00a0",
                    "family_name": "Smith-Jones",
                    "date_of_birth": "2020-02-29",
                    "postcode": "ls1  4ab",
                }
            ]
        ),
        now,
    )
    child = e.payload["children"][0]
    assert child["given_name"] == "Zoë"
    assert child["postcode"] == "LS1 4AB"
    assert child["slot"] == 0
    assert e.client_time == now.isoformat()


@pytest.mark.parametrize(
    "change, where, why",
    [
        ({"source_code": "11"}, "contact.received.source_code", "referral source"),
        ({"categories": ["99Z"]}, "contact.received.categories[0]", "assessment factor"),
        ({"children": []}, "contact.received.children", "at least 1"),
        (
            {"children": [{"given_name": "A", "date_of_birth": "2027-01-01"}]},
            "contact.received.children[0].date_of_birth",
            "in the future",
        ),
        (
            {"children": [{"given_name": "A", "nhs_number": "9434765918"}]},
            "contact.received.children[0].nhs_number",
            "check digit",
        ),
        (
            {"children": [{"given_name": "A", "date_of_birth": "31/02/2020"}]},
            "contact.received.children[0].date_of_birth",
            "not a date",
        ),
        ({"children": [{"sex": "a"}]}, "contact.received.children[0]", "needs a name"),
        ({"consent": "maybe"}, "contact.received.consent", "consent status"),
        ({"immediate_danger": "no"}, "contact.received.immediate_danger", "true or false"),
        ({"received_at": "2026-11-26T08:15:00"}, "contact.received.received_at", "time zone"),
        ({"concern": ""}, "contact.received.concern", "required"),
        ({"colour": "blue"}, "contact.received.colour", "unknown field"),
        ({"concern": "x" * 20_001}, "contact.received.concern", "at most 20000"),
    ],
)
def test_bad_contacts_are_refused_naming_the_field(
    now: datetime, change: dict, where: str, why: str
) -> None:
    with pytest.raises(ValidationError, match=why) as err:
        event("contact.received", contact_payload(**change), now)
    assert err.value.path == where


def test_unknown_event_type_is_refused(now: datetime) -> None:
    with pytest.raises(ValidationError, match="unknown event type 'contact.deleted'"):
        validate_payload("contact.deleted", {}, today=now.date())


def test_unknown_role_is_refused(now: datetime) -> None:
    with pytest.raises(ValidationError, match="role"):
        make_event("note.added", {"text": "x"}, actor="a", actor_role="janitor", device="d", at=now)


def test_naive_event_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        make_event(
            "note.added",
            {"text": "x"},
            actor="a",
            actor_role="admin",
            device="d",
            at=datetime(2026, 1, 1),
        )


def test_every_event_type_in_the_design_catalogue_is_known() -> None:
    for kind in (
        "person.registered",
        "person.linked",
        "contact.received",
        "contact.rated",
        "contact.rating_overridden",
        "partner_check.requested",
        "decision.recorded",
        "decision.signed_off",
        "decision.amended",
        "conflict.resolved",
        "record.viewed",
        "document.printed",
        "access.break_glass",
        "handover.noted",
        "supervision.recorded",
    ):
        assert kind in CATALOGUE


def test_code_lists_carry_annex_a_prefixes() -> None:
    assert codes.REFERRAL_SOURCES["6"].annex_a == "q) 6: Police"
    assert codes.REFERRAL_SOURCES["5D"].annex_prefix == "p1)"
    assert len(codes.REFERRAL_SOURCES) == 22
    assert codes.ETHNICITY["NOBT"].annex_prefix == "t)"
    assert codes.Rating.RED.rank < codes.Rating.BLUE.rank


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_canonical_json_is_json_dumps_with_the_canonical_options(value: object) -> None:
    """The encoder made once gives, byte for byte, what ``json.dumps`` gave (stored
    payloads, hashes and the duplicate check depend on it)."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected


def test_check_envelope_keeps_every_field_but_the_payload_it_normalises(now: datetime) -> None:
    """Oracle: the checked event is the one ``dataclasses.replace`` gives with the
    normalised payload (``check_envelope`` builds it positionally since issue 19c), every
    field set to a value of its own so a field out of place fails."""
    import dataclasses

    e = event("contact.received", contact_payload(), now)
    payload = {**e.payload, "children": [{"given_name": " Zoë\u00a0", "postcode": "ls1  4ab"}]}
    pulled = dataclasses.replace(
        e,
        actor="the.actor",
        actor_role="duty_manager",
        device="desk-7",
        payload=payload,
        server_seq=42,
        server_time="2026-11-26T09:00:00.000001Z",
        hash="h" * 64,
        prev_hash="p" * 64,
    )
    clean = validate_payload(e.type, payload, today=now.date())
    checked = check_envelope(pulled)
    assert checked == dataclasses.replace(pulled, payload=clean)
    assert checked.payload["children"][0]["postcode"] == "LS1 4AB"
