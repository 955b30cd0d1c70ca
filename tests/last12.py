"""Annex A's own "Number of Referrals in Last 12 Months" per child, read from List 3 so
the tests can compare it with the count recomputed from the imported history. Production
does not read this column: the count is always recomputed (see docs/import.md)."""

from __future__ import annotations

import io

import openpyxl

from dutydesk.intake import hardened
from dutydesk.intake.annex_a import LIST3, _rows, _sheet
from dutydesk.intake.model import LIMITS
from dutydesk.intake.values import clean


def stated_last_12(data: bytes) -> dict[str, int]:
    """The stated count per child. The workbook is checked like an import (size,
    expansion, DTDs) before it is opened."""
    hardened.check_xlsx(data, "Annex A workbook")
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = _sheet(wb, 3)
        out: dict[str, int] = {}
        if ws is None:
            return out
        for r in _rows(ws, "List 3", LIST3, "", LIMITS):
            value = r.get("last12")
            if clean(r.get("child_id")) and isinstance(value, int | float):
                out[clean(r.get("child_id"))] = int(value)
        return out
    finally:
        wb.close()
