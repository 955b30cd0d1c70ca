import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.errors import ValidationError
from dutydesk.domain.nhs import is_valid_nhs_number, nhs_check_digit, validate_nhs_number


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_numbers_are_normalised(number: str) -> None:
    assert validate_nhs_number(number) == number.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    "number, why",
    [
        ("9434765918", "check digit"),
        ("943476591", "10 digits"),
        ("94347659190", "10 digits"),
        ("94347A5919", "10 digits"),
        ("1111111111", "placeholder"),
    ],
)
def test_invalid_numbers_say_why(number: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        validate_nhs_number(number)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_computed_check_digit_validates_and_any_other_digit_fails(first: str) -> None:
    check = nhs_check_digit(first)
    if check is None or len(set(first + str(check))) == 1:
        return
    assert is_valid_nhs_number(first + str(check))
    for other in set(range(10)) - {check}:
        assert not is_valid_nhs_number(first + str(other))


def test_is_normal_nhs_number_is_what_the_validator_returns_unchanged() -> None:
    """Issue 19g's bulk check against the validator: random numbers (a tenth valid),
    spaced, hyphenated, placeholder, non-ASCII and short forms."""
    import random

    from dutydesk.domain.nhs import is_normal_nhs_number, nhs_check_digit

    rng = random.Random(19)
    cases = ["0000000000", "4444444444", "123456789", "12345678901", "٤٢٠٢٥٨٧٨١٢", ""]
    for _ in range(20_000):
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        check = nhs_check_digit(nine)
        last = str(check) if check is not None and rng.random() < 0.5 else rng.choice("0123456789")
        number = nine + last
        cases += [number, f"{number[:3]} {number[3:6]} {number[6:]}", number.replace("1", "-")]
    normal = 0
    for raw in cases:
        try:
            same = validate_nhs_number(raw) == raw
        except ValidationError:
            same = False
        assert is_normal_nhs_number(raw) == same, raw
        normal += same
    assert 5_000 < normal < 20_000


# An attacker's forms (from the definition: ten ASCII digits 0-9, Modulus 11): the same
# valid number "4010232137" in digits of other scripts. Python's str.isdigit and int()
# take them; the server (`^[0-9]{10}$`) and every ASCII comparison do not.
NON_ASCII_FORMS = [
    "٤٠١٠٢٣٢١٣٧",  # Arabic-Indic
    "４０１０２３２１３７",  # fullwidth
    "४०१०२३२१३७",  # Devanagari
    "401023213\uff17",  # one fullwidth digit at the end
    "401 023 ２１３７",  # spaced, partly fullwidth
    "943476591\u00b2",  # superscript two: isdigit() is True but int() refuses it
    "\u00b2434765919",
]


@pytest.mark.parametrize("number", NON_ASCII_FORMS)
def test_digits_of_other_scripts_are_refused_not_stored(number: str) -> None:
    with pytest.raises(ValidationError, match="0-9"):
        validate_nhs_number(number)
    assert not is_valid_nhs_number(number)


@pytest.mark.parametrize("number", NON_ASCII_FORMS)
def test_a_payload_with_other_digits_is_refused_naming_the_field(number: str) -> None:
    from datetime import date

    from dutydesk.domain import schema_fast
    from dutydesk.domain.events import CATALOGUE
    from dutydesk.domain.schema import Context

    spec = CATALOGUE["person.registered"]
    payload = {"person_id": "01a1f943-9bc0-7f13-91ca-4dc4edfde401", "nhs_number": number}
    for validate in (spec.validate, lambda p, c: schema_fast.validate(spec, p, c)):
        with pytest.raises(ValidationError) as err:
            validate(payload, Context(date(2026, 12, 1)))
        assert err.value.path == "nhs_number"
