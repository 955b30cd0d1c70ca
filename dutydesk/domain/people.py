"""Facts about a child that the desk shows and the rules use: age, unborn, display name."""

from __future__ import annotations

from datetime import date


def age_in_years(dob: date, on: date) -> int:
    """Years at last birthday (Annex A's "Age of Child")."""
    years = on.year - dob.year
    if (on.month, on.day) < (dob.month, dob.day):
        years -= 1
    return years


def age_in_months(dob: date, on: date) -> int:
    months = (on.year - dob.year) * 12 + on.month - dob.month
    if on.day < dob.day:
        months -= 1
    return max(months, 0)


def reported_age_text(
    dob: str | None,
    expected: str | None,
    on: date,
    age_years: int | None = None,
    estimated: bool | None = None,
) -> str:
    """``age_text`` for a child as reported on a contact: "about 6 y" when only an
    approximate age was given, "(est.)" after an estimated date of birth."""
    if not dob and not expected and age_years is not None:
        return f"about {age_years} y"
    text = age_text(dob, expected, on)
    return text + " (est.)" if dob and estimated else text


def age_text(dob: str | None, expected: str | None, on: date) -> str:
    """A short human age: ``unborn``, ``7 wk``, ``5 mo``, ``3 y``."""
    if expected and not dob:
        return "unborn"
    if not dob:
        return "age ?"
    born = date.fromisoformat(dob)
    days = (on - born).days
    if days < 0:
        return "unborn"
    if days < 70:
        return f"{days // 7} wk"
    months = age_in_months(born, on)
    if months < 24:
        return f"{months} mo"
    return f"{age_in_years(born, on)} y"
