"""NHS number validation (Modulus 11 check digit)."""

from __future__ import annotations

from .errors import ValidationError


def normalise_nhs_number(raw: str) -> str:
    """Strip spaces and hyphens; the stored form is ten digits."""
    return "".join(ch for ch in raw if ch not in " -\u00a0")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can start with them."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def validate_nhs_number(raw: str) -> str:
    """Return the normalised number or raise ValidationError saying why it is not valid."""
    digits = normalise_nhs_number(raw)
    if not digits.isascii():
        # Python's isdigit()/int() take Arabic-Indic, fullwidth, Devanagari (and isdigit()
        # superscript) digits; the number is defined in 0-9, the server checks ^[0-9]{10}$
        # and matching compares ASCII: another script's digits would be another child.
        raise ValidationError(f"NHS number must be 10 digits 0-9, got {raw!r}")
    if len(digits) != 10 or not digits.isdigit():
        raise ValidationError(f"NHS number must be 10 digits, got {raw!r}")
    if len(set(digits)) == 1:
        raise ValidationError(f"NHS number {raw!r} is a placeholder (all digits the same)")
    expected = nhs_check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        raise ValidationError(f"NHS number {raw!r} fails the check digit")
    return digits


def is_normal_nhs_number(raw: str) -> bool:
    """True when ``raw`` is ten ASCII digits that pass every check: exactly the numbers
    ``validate_nhs_number`` returns unchanged (tested against it). For bulk
    checks (a pull re-validates every number it receives); False says nothing more: ask
    the validator."""
    if len(raw) != 10 or not raw.isascii() or not raw.isdigit() or raw == raw[0] * 10:
        return False
    d = raw.encode("ascii")  # code points: digit + 48; the weights 10..2 add up to 54
    total = (
        (d[0] * 10 + d[1] * 9 + d[2] * 8 + d[3] * 7 + d[4] * 6 + d[5] * 5 + d[6] * 4 + d[7] * 3)
        + d[8] * 2
        - 48 * 54
    )
    check = 11 - total % 11
    return (0 if check == 11 else check) == d[9] - 48


def is_valid_nhs_number(raw: str) -> bool:
    try:
        validate_nhs_number(raw)
    except ValidationError:
        return False
    return True
