"""Small dialogs for the actions on a contact: re-rate with a reason, assign, partner
check request and answer, note, sign-off. Each collects and checks input, emits
``submitted`` with the values, and shows a refusal from the service inline without
losing what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .form_parts import error_label, line, text_box
from .problems import FieldProblems, Problem

PARTNER_AGENCIES = (
    "Police",
    "Health – GP",
    "Health – health visitor",
    "Health – school nurse",
    "Health – hospital",
    "Education – school",
    "Probation",
    "Housing",
    "Adult social care",
    "Another local authority",
)


@dataclass(frozen=True)
class Choice:
    """A field: a text line, a text box, or a list of (value, label) choices."""

    key: str
    label: str
    kind: str = "line"  # line | text | choice | editable
    options: Sequence[tuple[str, str]] = ()
    required: bool = True
    placeholder: str = ""
    initial: str = ""


class ActionDialog(QDialog):
    submitted = Signal(dict)

    def __init__(
        self,
        title: str,
        fields: Sequence[Choice],
        submit_label: str,
        *,
        intro: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setObjectName("actionDialog")
        self.fields = list(fields)
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout()
        for f in self.fields:
            widget = self._widget(f)
            self.widgets[f.key] = widget
            form.addRow(f.label + (" *" if f.required else ""), widget)
        self.error = error_label("actionError")
        self.problems = FieldProblems(self.error, {f.key: f.label for f in self.fields})
        for f in self.fields:
            self.problems.watch(f.key, self.widgets[f.key])
        buttons = QDialogButtonBox()
        self.submit_button = buttons.addButton(submit_label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setObjectName("actionSubmit")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button.clicked.connect(self.try_submit)
        cancel.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.try_submit)
        lay = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setObjectName("actionIntro")
        self.intro.setWordWrap(True)
        self.intro.setVisible(bool(intro))
        lay.addWidget(self.intro)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(520, 300)
        if self.fields:
            self.widgets[self.fields[0].key].setFocus()

    def _widget(self, f: Choice) -> QWidget:
        name = f"action_{f.key}"
        if f.kind == "text":
            box = text_box(name, f.label, f.placeholder, lines=4)
            box.setPlainText(f.initial)
            return box
        if f.kind in ("choice", "editable"):
            combo = QComboBox()
            combo.setObjectName(name)
            combo.setAccessibleName(f.label)
            combo.setEditable(f.kind == "editable")
            typed = combo.lineEdit()
            if typed is not None:
                typed.setAccessibleName(f.label)
            for value, label in f.options:
                combo.addItem(label, value)
            if f.initial:
                combo.setCurrentIndex(max(0, combo.findData(f.initial)))
            return combo
        edit = line(name, f.label, f.placeholder)
        edit.setText(f.initial)
        return edit

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            w = self.widgets[f.key]
            if isinstance(w, QPlainTextEdit):
                out[f.key] = w.toPlainText().strip()
            elif isinstance(w, QComboBox):
                out[f.key] = w.currentText().strip() if w.isEditable() else w.currentData()
            elif isinstance(w, QLineEdit):
                out[f.key] = w.text().strip()
        return out

    def try_submit(self) -> None:
        values = self.values()
        missing = [
            Problem(f.key, "fill this in") for f in self.fields if f.required and not values[f.key]
        ]
        if missing:
            self.problems.show(missing)
            return
        self.problems.clear()
        self.submitted.emit(values)

    def show_failure(self, message: str, error: BaseException | None = None) -> None:
        self.problems.show_refusal(message, error)


RATINGS = (("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("blue", "Blue"))


def rerate_dialog(current: str | None, parent: QWidget | None = None) -> ActionDialog:
    choices = [r for r in RATINGS if r[0] != current]
    return ActionDialog(
        "Change rating",
        [
            Choice("to_rating", "New rating", "choice", choices),
            Choice(
                "reason",
                "Reason",
                "text",
                placeholder="What new information or judgement changes the urgency?",
            ),
        ],
        "Change rating",
        intro=f"Current rating: {(current or 'unrated').upper()}. Lowering a "
        "Red needs a duty manager or senior practitioner.",
        parent=parent,
    )


def assign_dialog(people: Sequence[tuple[str, str]], parent: QWidget | None = None) -> ActionDialog:
    """Pick from the people directory: (login, "Name (login), role") pairs of those whose
    role works on contacts; nothing can be typed in."""
    return ActionDialog(
        "Assign contact",
        [
            Choice("assignee", "Assign to", "choice", people),
        ],
        "Assign",
        parent=parent,
    )


CONSENT_CHOICES = (
    ("given", "Given"),
    ("refused", "Refused"),
    ("not_sought", "Not sought"),
    ("not_required", "Not required"),
)


def consent_dialog(current: str | None, parent: QWidget | None = None) -> ActionDialog:
    """Consent gathered after intake: the answer, who gave or refused it, and the basis
    (why it was not sought, or what was agreed)."""
    now = dict(CONSENT_CHOICES).get(current or "", "not known")
    return ActionDialog(
        "Record consent",
        [
            Choice("status", "Consent", "choice", CONSENT_CHOICES),
            Choice(
                "given_by",
                "Given or refused by",
                required=False,
                placeholder="e.g. mother, the young person",
            ),
            Choice(
                "basis",
                "Basis or what was agreed",
                "text",
                required=False,
                placeholder="Needed when consent was not sought or is not required",
            ),
        ],
        "Record consent",
        intro=f"Consent recorded so far: {now.lower()}.",
        parent=parent,
    )


def share_without_consent_dialog(parent: QWidget | None = None) -> ActionDialog:
    """A duty manager authorises sharing without consent, with the basis in words."""
    return ActionDialog(
        "Share without consent",
        [
            Choice(
                "basis",
                "Basis for sharing without consent",
                "text",
                placeholder="e.g. seeking consent would place the child at increased risk "
                "of significant harm",
            ),
        ],
        "Authorise and record",
        intro=(
            "You are authorising information about this contact to be shared without consent. "
            "You are recorded as the approver; the basis is shown in the record, on partner "
            "checks and in the case log."
        ),
        parent=parent,
    )


def partner_check_dialog(parent: QWidget | None = None, consent: str = "") -> ActionDialog:
    """``consent``: the contact's consent in words, shown first (may this be shared?)."""
    return ActionDialog(
        "Request partner check",
        [
            Choice("agency", "Agency", "editable", [(a, a) for a in PARTNER_AGENCIES]),
            Choice("question", "Question", "text", placeholder="What do you need to know?"),
            Choice(
                "due",
                "Answer needed by (dd/mm/yyyy)",
                required=False,
                placeholder="blank: the contact's response time",
            ),
        ],
        "Record request",
        intro=consent,
        parent=parent,
    )


def answer_dialog(
    open_checks: Sequence[tuple[str, str]], parent: QWidget | None = None
) -> ActionDialog:
    return ActionDialog(
        "Record partner answer",
        [
            Choice("check_id", "Check", "choice", open_checks),
            Choice("answered_by", "Answered by", required=False, placeholder="name and agency"),
            Choice(
                "no_trace",
                "Result",
                "choice",
                [("", "Information given"), ("yes", "No trace: they hold nothing")],
            ),
            Choice("answer", "Answer", "text"),
        ],
        "Record answer",
        parent=parent,
    )


def note_dialog(parent: QWidget | None = None) -> ActionDialog:
    return ActionDialog("Add note", [Choice("text", "Note", "text")], "Add note", parent=parent)


def sign_off_dialog(summary: str, parent: QWidget | None = None) -> ActionDialog:
    return ActionDialog(
        "Sign off decision",
        [
            Choice("comment", "Comment", "text", required=False),
        ],
        "Sign off",
        intro=summary,
        parent=parent,
    )


def return_dialog(summary: str, parent: QWidget | None = None) -> ActionDialog:
    return ActionDialog(
        "Return proposal to its author",
        [
            Choice("reason", "Reason", "text"),
        ],
        "Return",
        intro=summary,
        parent=parent,
    )


def handover_dialog(
    parent: QWidget | None = None, current_contact: str | None = None
) -> ActionDialog:
    fields = [
        Choice("shift", "Shift", placeholder="e.g. Night 26 Nov, emergency duty team"),
        Choice("text", "Handover", "text"),
    ]
    if current_contact:
        fields.append(
            Choice(
                "about",
                "Concerns",
                "choice",
                (("current", "The selected contact"), ("", "No particular contact")),
                required=False,
            )
        )
    return ActionDialog("Handover note", fields, "Record handover", parent=parent)
