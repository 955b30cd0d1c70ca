"""Small widget helpers shared by the dialogs: labelled text boxes that Tab out of,
and an inline error line. Keeps every control named for screen readers and tests."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget


def text_box(name: str, accessible: str, placeholder: str = "", *, lines: int = 4,
             parent: QWidget | None = None) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # keyboard users Tab to the next field, not a tab character
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 12)
    return box


def line(name: str, accessible: str, placeholder: str = "",
         parent: QWidget | None = None) -> QLineEdit:
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
