"""Figures as text (``dutydesk mi``) and as CSV (every figure and every part of it).

Neither carries personal data: numbers and labels only, never the ids behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..domain.cells import SafeCsvWriter
from .records import Figure, Filters

CSV_HEADINGS = (
    "figure",
    "title",
    "part",
    "value",
    "unit",
    "numerator",
    "denominator",
    "period_from",
    "period_to",
    "office",
    "team",
    "source",
    "note",
)


def _scope(filters: Filters) -> str:
    bits = [f"{filters.date_from} to {filters.date_to}"]
    for name, value in (
        ("office", filters.office),
        ("team", filters.team),
        ("source", filters.source),
    ):
        if value is not None:
            bits.append(f"{name} {value}")
    return ", ".join(bits)


def _value(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if value != int(value) else str(int(value))


def format_text(figures: Sequence[Figure], filters: Filters, *, parts: int = 8) -> str:
    """A plain report: one headline per figure, then its first ``parts`` parts."""
    lines = [f"DutyDesk management information: {_scope(filters)}", ""]
    for fig in figures:
        lines.append(f"{fig.title}: {fig.display()}")
        if fig.note:
            lines.append(f"    {fig.note}")
        for part in fig.parts[:parts]:
            rate = f" ({part.numerator}/{part.denominator})" if part.denominator is not None else ""
            suffix = "%" if fig.parts_unit == "percent" else ""
            lines.append(f"    {part.label:<45} {_value(part.value)}{suffix}{rate}")
        if len(fig.parts) > parts:
            lines.append(f"    … {len(fig.parts) - parts} more (see --csv)")
        lines.append("")
    return "\n".join(lines)


def write_csv(out: TextIO, figures: Sequence[Figure], filters: Filters) -> None:
    """One row per headline (part empty) and one per part."""
    w = SafeCsvWriter(out)
    w.writerow(CSV_HEADINGS)
    scope = (
        filters.date_from.isoformat(),
        filters.date_to.isoformat(),
        filters.office or "",
        filters.team or "",
        filters.source or "",
    )
    for fig in figures:
        w.writerow(
            (
                fig.key,
                fig.title,
                "",
                _value(fig.value),
                fig.unit,
                _opt(fig.numerator),
                _opt(fig.denominator),
                *scope,
                fig.note,
            )
        )
        for part in fig.parts:
            w.writerow(
                (
                    fig.key,
                    fig.title,
                    part.label,
                    _value(part.value),
                    fig.parts_unit,
                    _opt(part.numerator),
                    _opt(part.denominator),
                    *scope,
                    "",
                )
            )


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)
