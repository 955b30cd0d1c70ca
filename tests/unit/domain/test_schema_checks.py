"""Attacks on the shared field checks (``dutydesk.domain.schema``), written from what the
fields are (a UK postcode: letters A-Z and digits 0-9), not from the implementation."""

from __future__ import annotations

from datetime import date

import pytest

from dutydesk.domain import schema_fast
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import CATALOGUE
from dutydesk.domain.schema import Context, postcode

CTX = Context(date(2026, 12, 1))


@pytest.mark.parametrize(
    "value",
    [
        "ＬＳ１ ４ＡＢ",  # fullwidth: str.isalpha() takes the letters
        "LS\uff11 4AB",  # one fullwidth digit
        "LS٤ ٤AB",  # Arabic-Indic digits in the middle (never checked before)
        "ÅS1 4AB",  # a letter outside A-Z
        "ßW1 4AB",  # upper() makes "SS": must not turn into another postcode
        "ıS1 4AB",  # dotless i: upper() makes "I"
        "L!1 4AB",  # punctuation inside
    ],
)
def test_a_postcode_outside_a_z_and_0_9_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError, match="postcode"):
        postcode(value, CTX)
    spec = CATALOGUE["contact.received"]
    child = spec.fields[[f.name for f in spec.fields].index("children")].check
    with pytest.raises(ValidationError) as err:
        child([{"given_name": "A", "postcode": value}], CTX)
    assert err.value.path == "[0].postcode"


@pytest.mark.parametrize(
    "value, normal", [("ls1  4ab", "LS1 4AB"), ("LS14AB", "LS1 4AB"), ("w1a\u00a01aa", "W1A 1AA")]
)
def test_ordinary_postcodes_are_normalised(value: str, normal: str) -> None:
    assert postcode(value, CTX) == normal


# Lone surrogates: JSON's "\udc80" escape (and Python's surrogateescape for undecodable
# command-line bytes) give a str that is not Unicode text: it cannot be written as UTF-8,
# so it cannot be hashed, stored in SQLite or sent to the server. A payload must be
# refused at the boundary, naming the field, whatever carries it.
LONE = ["\udc80", "a\ud800b", "\ud83d", "ok \udfff", "\ud83d\ud83d\ude00"]


@pytest.mark.parametrize("bad", LONE)
@pytest.mark.parametrize(
    "event_type, field, where",
    [
        ("note.added", "text", "text"),  # a long text, kept unstripped
        ("contact.received", "concern", "concern"),
        ("contact.received", "children", "children[0].given_name"),
    ],
)
def test_a_lone_surrogate_in_a_text_field_is_refused_naming_it(
    bad: str, event_type: str, field: str, where: str
) -> None:
    import json

    from dutydesk.domain.events import validate_payload
    from tests.factories import contact_payload

    payload: dict[str, object]
    if event_type == "note.added":
        payload = {"contact_id": "01a1f943-9bc0-7f13-91ca-4dc4edfde401", "text": bad}
    elif field == "children":
        payload = contact_payload(children=[{"given_name": bad}])
    else:
        payload = contact_payload(**{field: bad})
    # as an import's JSON line carries it: the escape, read by json.loads
    line = json.dumps(payload)
    assert "\\ud" in line
    for form in (payload, json.loads(line)):
        with pytest.raises(ValidationError) as err:
            validate_payload(event_type, form, today=CTX.today)
        assert err.value.path == f"{event_type}.{where}", err.value
        assert "Unicode" in err.value.reason


def test_a_surrogate_pair_is_a_character_and_is_kept() -> None:
    from dutydesk.domain.events import validate_payload

    payload = {"contact_id": "01a1f943-9bc0-7f13-91ca-4dc4edfde401", "text": "seen \U0001f600"}
    assert validate_payload("note.added", payload, today=CTX.today)["text"] == "seen 😀"


@pytest.mark.parametrize(
    "reasons",
    [[{"label": "\udc80"}], [{"\udc80": 1}], [{"nested": [{"x": "a\ud800"}]}]],
)
def test_a_lone_surrogate_anywhere_in_a_free_object_is_refused(reasons: list[object]) -> None:
    from dutydesk.domain.events import validate_payload

    payload = {
        "contact_id": "01a1f943-9bc0-7f13-91ca-4dc4edfde401",
        "score": 1,
        "rating": "red",
        "reasons": reasons,
        "policy_version": "p1",
    }
    spec = CATALOGUE["contact.rated"]
    for validate in (
        lambda p: validate_payload("contact.rated", p, today=CTX.today),
        lambda p: schema_fast.validate(spec, p, CTX),
    ):
        with pytest.raises(ValidationError) as err:
            validate(payload)
        assert err.value.path.endswith("reasons[0]"), err.value
        assert "Unicode" in err.value.reason


def test_the_compiled_code_refuses_what_the_reference_refuses() -> None:
    spec = CATALOGUE["note.added"]
    payload = {"contact_id": "01a1f943-9bc0-7f13-91ca-4dc4edfde401", "text": "\udc80"}
    with pytest.raises(ValidationError) as err:
        schema_fast.validate(spec, payload, CTX)
    assert err.value.path == "text"
