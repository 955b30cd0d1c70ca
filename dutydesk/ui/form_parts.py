"""Small widget helpers shared by the dialogs: labelled text boxes that Tab out of,
and an inline error line. Keeps every control named for screen readers and tests."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from ..domain.errors import ValidationError

_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def text_box(
    name: str,
    accessible: str,
    placeholder: str = "",
    *,
    lines: int = 4,
    parent: QWidget | None = None,
) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # keyboard users Tab to the next field, not a tab character
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 12)
    return box


def line(
    name: str, accessible: str, placeholder: str = "", parent: QWidget | None = None
) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    return edit


def error_label(name: str = "formError") -> QLabel:
    """An inline message line; colour from the palette's link colour is avoided on purpose:
    the text itself says what is wrong."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAccessibleName("Problem with the form")
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText("⚠ " + message)
    label.setVisible(bool(message))


def tab_left_to_right(box: QDialogButtonBox) -> None:
    """Tab through a button box's buttons in the order this desktop lays them out (the
    box orders them by role, not by when they were made)."""
    layout = box.layout()
    if layout is not None:
        layout.activate()
    buttons = sorted(box.buttons(), key=lambda b: b.mapTo(box, b.rect().topLeft()).x())
    for first, second in zip(buttons, buttons[1:], strict=False):
        QWidget.setTabOrder(first, second)


def parse_moment(text: str, where: str, zone: Any) -> datetime | None:
    """``dd/mm/yyyy hh:mm`` (or a day alone, read as 12:00) in ``zone``; blank is None;
    nonsense is named."""
    text = text.strip()
    if not text:
        return None
    day_text, _, clock = text.partition(" ")
    day = parse_day(day_text, where)
    if day is None:
        return None
    hour, minute = 12, 0
    if clock.strip():
        found = re.match(r"^(\d{1,2})[:.](\d{2})$", clock.strip())
        if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
            raise ValidationError(f"{clock.strip()!r} is not a time (use hh:mm)", where)
        hour, minute = int(found.group(1)), int(found.group(2))
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=zone)


def parse_day(text: str, where: str) -> str | None:
    """``dd/mm/yyyy`` or ISO ``yyyy-mm-dd`` to ISO; blank is None; nonsense is named."""
    text = text.strip()
    if not text:
        return None
    found = _DAY.match(text)
    try:
        if found:
            d, m, y = (int(g) for g in found.groups())
            return date(y, m, d).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(f"{text!r} is not a date (use dd/mm/yyyy)", where) from None
