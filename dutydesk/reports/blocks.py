"""Building blocks shared by the documents: labelled facts, long tables cut into chunks,
a decision's structured rationale, and plain-language labels for codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..domain import codes
from . import fonts
from .page import Styles, format_date, para_text

# Long tables are cut into tables of this many rows: reportlab lays out one table at a
# time, and one 10,000-row table took 8.2 s against 3.0 s in chunks of 200 (SETUP-NOTES).
CHUNK_ROWS = 200

GRID = colors.HexColor("#B0B0B0")
HEAD = colors.HexColor("#E4E9F0")

RATIONALE_FIELDS: tuple[tuple[str, str], ...] = (
    ("concerns_and_risks", "Concerns and risks"),
    ("strengths_and_protective_factors", "Strengths and protective factors"),
    ("childs_voice", "The child's voice"),
    ("consent_and_information_sharing", "Consent and information sharing"),
    ("analysis", "Analysis"),
)


def role_label(role: str | None) -> str:
    try:
        return codes.ROLE_LABELS[codes.Role(role or "")]
    except ValueError:
        return role or ""


def outcome_label(outcome: str | None) -> str:
    try:
        return codes.OUTCOME_LABELS[codes.Outcome(outcome or "")]
    except ValueError:
        return outcome or ""


def threshold_label(level: Any) -> str:
    try:
        return f"Level {int(level)}: {codes.THRESHOLD_LEVELS[int(level)]}"
    except (TypeError, ValueError, KeyError):
        return str(level)


def source_text(code: str | None) -> str:
    return f"{code}: {codes.source_label(code)}" if code else "not recorded"


def factor_text(code: str) -> str:
    found = codes.ASSESSMENT_FACTORS.get(code)
    return f"{code}: {found.label}" if found else code


def consent_label(status: str | None) -> str:
    return (status or "not recorded").replace("_", " ").capitalize()


def yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def facts(styles: Styles, rows: Iterable[tuple[str, Any]], *,
          label_width: float = 42 * mm) -> Flowable:
    """A two-column table of label and value; empty values are left out."""
    data = [[Paragraph(para_text(label), styles.cell_bold), Paragraph(para_text(value),
                                                                      styles.cell)]
            for label, value in rows if value not in (None, "", ())]
    if not data:
        return Spacer(0, 0)
    table = Table(data, colWidths=[label_width, None], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),  # else the table selects Helvetica
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def chunked_table(styles: Styles, header: Sequence[str], rows: Iterable[Sequence[Any]],
                  widths: Sequence[float | None], *, size: int = CHUNK_ROWS,
                  small_columns: frozenset[int] = frozenset()) -> list[Flowable]:
    """A long table as tables of ``size`` rows, each repeating the header on every page.
    ``small_columns`` are set smaller (event ids, which must not wrap)."""
    head = [Paragraph(para_text(h), styles.cell_bold) for h in header]
    out: list[Flowable] = []
    pending: list[list[Paragraph]] = []

    def flush() -> None:
        table = Table([head, *pending], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD),
            ("GRID", (0, 0), (-1, -1), 0.25, GRID),
            ("TOPPADDING", (0, 0), (-1, -1), 1.2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]))
        out.append(table)

    for row in rows:
        pending.append([Paragraph(para_text(v), styles.cell_small if i in small_columns
                                  else styles.cell) for i, v in enumerate(row)])
        if len(pending) >= size:
            flush()
            pending = []
    if pending or not out:
        if not pending:
            pending = [[Paragraph("None in this period.", styles.cell)] +
                       [Paragraph("", styles.cell) for _ in header[1:]]]
        flush()
    return out


def rationale(styles: Styles, value: Mapping[str, Any]) -> list[Flowable]:
    """Every field of a structured rationale, labelled, in a fixed order."""
    out: list[Flowable] = []
    for key, label in RATIONALE_FIELDS:
        text = value.get(key)
        out.append(Paragraph(para_text(label), styles.label))
        out.append(Paragraph(para_text(text) if text else "<i>Not recorded.</i>", styles.body))
    steps = value.get("next_steps") or []
    label = Paragraph("Next steps", styles.label)
    if steps:
        tables = chunked_table(styles, ("Action", "Owner", "Due"),
                               ((s.get("action", ""), s.get("owner", ""),
                                 format_date(s.get("due"))) for s in steps),
                               (None, 38 * mm, 26 * mm))
        # Keep the label with the start of its table, never alone at a page foot.
        out.append(KeepTogether([label, tables[0]]))
        out.extend(tables[1:])
    else:
        out.append(KeepTogether([label, Paragraph("<i>None recorded.</i>", styles.body)]))
    feedback = value.get("feedback_to_referrer")
    out.append(Paragraph("Feedback to the referrer", styles.label))
    out.append(Paragraph(para_text(feedback) if feedback else "<i>Not recorded.</i>",
                         styles.body))
    return out


def signature_block(styles: Styles, heading: str = "Signature") -> Flowable:
    rows = [["Name", ""], ["Role", ""], ["Signature", ""], ["Date", ""]]
    table = Table([[Paragraph(a, styles.cell_bold), b] for a, b in rows],
                  colWidths=[30 * mm, 90 * mm], rowHeights=[9 * mm] * 4, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
    ]))
    return KeepTogether([Paragraph(para_text(heading), styles.h2), table])
