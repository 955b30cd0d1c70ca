"""Spreadsheet cells that cannot run: every text written to a CSV or XLSX export passes here.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or their full-width forms,
which spreadsheet programs also accept), a tab or a carriage return can be read as a
formula by Excel or LibreOffice (``=HYPERLINK(...)`` from an imported "Allocated Team"
cell would be live). Such text is written with a leading apostrophe, the OWASP
recommendation: the spreadsheet shows it as text and the apostrophe shows that it was
neutralised. Numbers and dates the application computes are left alone (an age of ``-1``
is a number, not text). XLSX writers also store every text cell as a string, never as a
formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def is_risky(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_STARTS


def neutral(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell: risky text gets a leading apostrophe."""
    if isinstance(value, str) and is_risky(value):
        return "'" + value
    return value


def neutral_row(row: Iterable[Any]) -> list[Any]:
    return [neutral(v) for v in row]


class SafeCsvWriter:
    """``csv.writer`` that neutralises every text cell (headings included)."""

    def __init__(self, out: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(neutral_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` that neutralises every text cell and every heading."""

    def __init__(self, out: TextIO, columns: Iterable[str]) -> None:
        self.columns = list(columns)
        self._writer = SafeCsvWriter(out)

    def writeheader(self) -> None:
        self._writer.writerow(self.columns)

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self._writer.writerow(row.get(c, "") for c in self.columns)
