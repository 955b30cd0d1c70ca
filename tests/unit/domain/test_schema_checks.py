"""Attacks on the shared field checks (``dutydesk.domain.schema``), written from what the
fields are (a UK postcode: letters A-Z and digits 0-9), not from the implementation."""

from __future__ import annotations

from datetime import date

import pytest

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
