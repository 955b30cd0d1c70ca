"""Building blocks shared by the documents: labelled facts, long tables cut into chunks,
a decision's structured rationale, and plain-language labels for codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..domain import codes
from . import fonts
from .page import MARGIN, PAGE, Styles, format_date, para_text

# Long tables are cut into tables of this many rows: reportlab lays out one table at a
# time, and one 10,000-row table took 8.2 s against 3.0 s in chunks of 200 (SETUP-NOTES).
CHUNK_ROWS = 200

GRID = colors.HexColor("#B0B0B0")
HEAD = colors.HexColor("#E4E9F0")
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
# reportlab's default cell padding where a table does not set its own
_DEFAULT_PAD = 6


def cell(value: Any, style: ParagraphStyle, width: float) -> str | Paragraph:
    """A table cell: the text itself when it fits on one line of ``width``, else a
    Paragraph that wraps. Plain text cells are drawn by the table directly: no markup
    parsing, no line breaking. A case log has tens of thousands of cells, most of them a
    word, a date or an id, and Paragraphs were most of its cost (see docs/printing.md).
    The table's style must set the same font, size and leading for the column."""
    text = str(value)
    if "\n" not in text and stringWidth(text, style.fontName, style.fontSize) <= width:
        return text
    return Paragraph(para_text(text), style)


def cell_style(
    col: int | tuple[int, int], style: ParagraphStyle, rows: tuple[int, int] = (0, -1)
) -> list[tuple[Any, ...]]:
    """TableStyle commands that draw plain text cells exactly like ``style``."""
    first, last = (col, col) if isinstance(col, int) else col
    return [
        ("FONTNAME", (first, rows[0]), (last, rows[1]), style.fontName),
        ("FONTSIZE", (first, rows[0]), (last, rows[1]), style.fontSize),
        ("LEADING", (first, rows[0]), (last, rows[1]), style.leading),
    ]


def _inner(width: float, left: float, right: float) -> float:
    return width - left - right


RATIONALE_FIELDS: tuple[tuple[str, str], ...] = (
    ("concerns_and_risks", "Concerns and risks"),
    ("strengths_and_protective_factors", "Strengths and protective factors"),
    ("childs_voice", "The child's voice"),
    ("consent_and_information_sharing", "Consent and information sharing"),
    ("analysis", "Analysis"),
)


def person_text(login: str | None, names: Mapping[str, str]) -> str:
    """Who did something, for a printed page: "Tom Okafor (sw.tom)" for a login the
    people directory names, the login alone otherwise (an auditor still sees the login
    the record holds beside the name)."""
    if not login:
        return ""
    name = (names.get(login) or "").strip()
    return f"{name} ({login})" if name and name != login else login


def person_role_text(login: str | None, role: str | None, names: Mapping[str, str]) -> str:
    """Who did something and in what role: "Tom Okafor (sw.tom, Practitioner)" for a
    login the people directory names, "sw.tom (Practitioner)" otherwise."""
    who = login or ""
    name = (names.get(who) or "").strip()
    if name and name != who:
        return f"{name} ({who}, {role_label(role)})"
    return f"{who} ({role_label(role)})"


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


def facts(
    styles: Styles, rows: Iterable[tuple[str, Any]], *, label_width: float = 42 * mm
) -> Flowable:
    """A two-column table of label and value; empty values are left out."""
    label_room = _inner(label_width, 2, _DEFAULT_PAD)
    value_room = _inner(FRAME_WIDTH - label_width, 2, _DEFAULT_PAD)
    data = [
        [cell(label, styles.cell_bold, label_room), cell(value, styles.cell, value_room)]
        for label, value in rows
        if value not in (None, "", ())
    ]
    if not data:
        return Spacer(0, 0)
    # Explicit widths: a column of plain text cells would otherwise shrink to its text.
    table = Table(data, colWidths=[label_width, FRAME_WIDTH - label_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *cell_style(0, styles.cell_bold),  # else the table selects Helvetica
                *cell_style(1, styles.cell),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def chunked_table(
    styles: Styles,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float | None],
    *,
    size: int = CHUNK_ROWS,
    small_columns: frozenset[int] = frozenset(),
) -> list[Flowable]:
    """A long table as tables of ``size`` rows, each repeating the header on every page.
    ``small_columns`` are set smaller (event ids, which must not wrap)."""
    fixed = sum(w for w in widths if w is not None)
    free = max(FRAME_WIDTH - fixed, 0) / max(1, sum(1 for w in widths if w is None))
    columns = [free if w is None else w for w in widths]  # None shares out what is left
    rooms = [_inner(w, 2, 2) for w in columns]
    head = [cell(h, styles.cell_bold, rooms[i]) for i, h in enumerate(header)]
    out: list[Flowable] = []
    pending: list[list[str | Paragraph]] = []
    per_column = [
        cmd
        for i in range(len(widths))
        for cmd in cell_style(i, styles.cell_small if i in small_columns else styles.cell, (1, -1))
    ]

    def flush() -> None:
        table = Table([head, *pending], colWidths=columns, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    *per_column,
                    *cell_style((0, len(widths) - 1), styles.cell_bold, (0, 0)),
                    ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                    ("GRID", (0, 0), (-1, -1), 0.25, GRID),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        out.append(table)

    for row in rows:
        pending.append(
            [
                cell(v, styles.cell_small if i in small_columns else styles.cell, rooms[i])
                for i, v in enumerate(row)
            ]
        )
        if len(pending) >= size:
            flush()
            pending = []
    if pending or not out:
        if not pending:
            pending = [
                [Paragraph("None in this period.", styles.cell)]
                + [Paragraph("", styles.cell) for _ in header[1:]]
            ]
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
        tables = chunked_table(
            styles,
            ("Action", "Owner", "Due"),
            ((s.get("action", ""), s.get("owner", ""), format_date(s.get("due"))) for s in steps),
            (None, 38 * mm, 26 * mm),
        )
        # Keep the label with the start of its table, never alone at a page foot.
        out.append(KeepTogether([label, tables[0]]))
        out.extend(tables[1:])
    else:
        out.append(KeepTogether([label, Paragraph("<i>None recorded.</i>", styles.body)]))
    feedback = value.get("feedback_to_referrer")
    out.append(Paragraph("Feedback to the referrer", styles.label))
    out.append(Paragraph(para_text(feedback) if feedback else "<i>Not recorded.</i>", styles.body))
    return out


def signature_block(styles: Styles, heading: str = "Signature") -> Flowable:
    rows = [["Name", ""], ["Role", ""], ["Signature", ""], ["Date", ""]]
    table = Table(
        [[Paragraph(a, styles.cell_bold), b] for a, b in rows],
        colWidths=[30 * mm, 90 * mm],
        rowHeights=[9 * mm] * 4,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
            ]
        )
    )
    return KeepTogether([Paragraph(para_text(heading), styles.h2), table])
