"""Cleaning partner values: dates in several styles, prefixed codes, the 12-month count."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.referrals import referrals_in_last_12_months
from dutydesk.intake.model import FileRefused
from dutydesk.intake.text import decode
from dutydesk.intake.values import clean, parse_date, sex_code, source_code, yes_no


@pytest.mark.parametrize(
    "raw",
    [
        "2019-04-03",
        "03/04/2019",
        "3/4/2019",
        43558,
        "43558",
        datetime(2019, 4, 3, 0, 0),
        "2019-04-03T00:00:00",
    ],
)
def test_dates(raw: object) -> None:
    assert parse_date(raw) == date(2019, 4, 3)


@pytest.mark.parametrize("raw", ["yesterday", "31/02/2020", "", -5])
def test_unreadable_dates(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_annex_a_messy_values() -> None:
    assert sex_code("Female") == sex_code("b) Female") == sex_code("F") == "b"
    assert sex_code("1") == sex_code("a) Male") == "a"
    assert source_code("q) 6: Police") == "6"
    assert source_code("j) 3D: Health services") == "3D"
    assert source_code("Police") == "6"
    with pytest.raises(ValueError, match="unknown source code"):
        source_code("Z9")
    assert clean("Dustin\xa0Hazlett ") == "Dustin Hazlett"
    assert yes_no("a) Yes") is True and yes_no("No") is False


def test_referrals_in_last_12_months_counts_before_the_latest() -> None:
    days = [date(2019, 12, 1), date(2019, 6, 1), date(2018, 12, 1), date(2018, 11, 30)]
    assert referrals_in_last_12_months(days) == 2
    assert referrals_in_last_12_months([date(2020, 1, 1)]) == 0
    assert referrals_in_last_12_months([]) == 0


def test_decoding() -> None:
    assert decode("Siobhán".encode(), "f") == ("Siobhán", "utf-8")
    assert decode(b"\xef\xbb\xbfSe\xc3\xa1n", "f") == ("Seán", "utf-8-sig")
    assert decode("Seán".encode("cp1252"), "f") == ("Seán", "cp1252")
    with pytest.raises(FileRefused, match="byte 1"):
        decode(b"a\x81\xff\xfe", "f")


def _parse_date_by_formats(text: str) -> date | None:
    """``parse_date``'s text formats, strptime only (the reference for its ISO fast path)."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    return None


@given(
    st.text(alphabet="0123456789-/. T:٣", max_size=14)
    | st.dates().map(date.isoformat)
    | st.builds(
        lambda y, m, d, tail: f"{y:04d}-{m:02d}-{d:02d}{tail}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", "T00:00:00", "x", " 12:00", "-1"]),
    )
)
def test_parse_date_reads_text_as_the_strptime_formats_do(text: str) -> None:
    expected = _parse_date_by_formats(" ".join(text.split()))
    if re.fullmatch(r"\d{4,5}(\.\d+)?", " ".join(text.split())):
        return  # an Excel serial number, read before the formats
    if expected is None:
        with pytest.raises(ValueError, match="is not a readable date"):
            parse_date(text)
    else:
        assert parse_date(text) == expected
