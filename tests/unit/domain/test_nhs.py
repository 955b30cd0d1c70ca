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
