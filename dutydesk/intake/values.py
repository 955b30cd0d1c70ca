"""Cleaning the values partners write: dates in four styles, Annex A prefixed codes, yes/no.

Each function returns the clean value or raises ``ValueError`` with the rule in words; the
parser turns that into a row error naming the column.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from ..domain import codes
from ..domain.clock import LONDON

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug
_PREFIX = re.compile(r"^\s*[a-z]\d?\)\s*", re.IGNORECASE)
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CODE = re.compile(r"^\s*([0-9]{1,2}[A-Z]?)\s*(?::|$)", re.IGNORECASE)


def clean(value: Any) -> str:
    """A cell as text: non-breaking spaces are spaces, outer space trimmed, None is ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\u00a0", " ")
    # Free text keeps its line breaks; single-line cells lose doubled spaces.
    return text.strip() if "\n" in text else " ".join(text.split())


def parse_date(value: Any) -> date:
    """ISO, dd/mm/yyyy (UK order), an Excel serial number, or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2_958_466:
            raise ValueError("is not a date (Excel serial out of range)")
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = clean(value)
    if re.fullmatch(r"\d{4,5}(\.\d+)?", text):
        return parse_date(float(text))
    iso = _ISO_DAY.match(text)
    if iso:
        # What ``strptime(text[:10], "%Y-%m-%d")`` gives, at a tenth of its cost (a census
        # return holds three dates a referral); an impossible day falls to the loop below.
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    raise ValueError("is not a readable date (use YYYY-MM-DD or DD/MM/YYYY)")


def parse_datetime(value: Any) -> datetime:
    """A date and time; UK local time (Europe/London) when no zone is given."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LONDON)
    text = clean(value)
    try:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M", "%d/%m/%y %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LONDON)
        except ValueError:
            continue
    try:
        return datetime.combine(parse_date(value), time(0, 0), tzinfo=LONDON)
    except ValueError:
        raise ValueError(
            "is not a readable date and time (use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"
        ) from None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LONDON)


def strip_prefix(value: str) -> str:
    """``b) Female`` -> ``Female``; ``q) 6: Police`` -> ``6: Police``."""
    return _PREFIX.sub("", value, count=1).strip()


def source_code(value: Any) -> str:
    """A DfE referral-source code from ``6``, ``q) 6: Police``, ``1b`` or ``Police``."""
    text = strip_prefix(clean(value))
    m = _CODE.match(text)
    code = m.group(1).upper() if m else ""
    if code in codes.REFERRAL_SOURCES:
        return code
    for known in codes.REFERRAL_SOURCES.values():
        if text.casefold() in (known.label.casefold(), codes.SOURCE_SHORT[known.code].casefold()):
            return known.code
    raise ValueError("unknown source code (DfE referral source 1A to 10)")


_SEX_WORDS = {
    "a": "a",
    "male": "a",
    "m": "a",
    "1": "a",
    "boy": "a",
    "b": "b",
    "female": "b",
    "f": "b",
    "2": "b",
    "girl": "b",
    "c": "c",
    "not stated": "c",
    "not stated/recorded": "c",
    "unborn": "c",
    "0": "c",
    "9": "c",
    "u": "c",
    "unknown": "c",
    "d": "d",
    "neither": "d",
}


def sex_code(value: Any) -> str:
    """Annex A letters from ``Female``, ``b) Female``, ``F``, CIN ``1``/``2``."""
    text = clean(value).casefold()
    if text in _SEX_WORDS:
        return _SEX_WORDS[text]
    stripped = strip_prefix(text)
    if stripped in _SEX_WORDS:
        return _SEX_WORDS[stripped]
    raise ValueError("is not a known sex (male, female, not stated, neither)")


def ethnicity_code(value: Any) -> str:
    text = strip_prefix(clean(value)).upper().split(":")[0].strip()
    if text in codes.ETHNICITY:
        return text
    raise ValueError("is not a known ethnicity code (CBDS, e.g. WBRI)")


_TRUE = {"yes", "y", "true", "1", "a) yes", "t"}
_FALSE = {"no", "n", "false", "0", "b) no", "f"}


def yes_no(value: Any) -> bool:
    text = clean(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("is not yes or no")
