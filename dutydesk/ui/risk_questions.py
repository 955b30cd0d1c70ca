"""The entry form's risk questions, built from the factor catalogue (domain/triage/factors.py).

Every question starts as "— not asked —", which is kept apart from "No" all the way to
the printed case log. Injury and disclosure are asked on one visible line (the policy's
hard rules depend on them); the other questions (injury details, domestic abuse, the
child's own risk, carers' capacity, an unborn baby, FGM and forced marriage) sit in a
"Risk details" section that is collapsed for a simple contact and opens with Alt+R, or by
itself when an injury is reported. Yes/No boxes answer to the keyboard: Y, N, or Home for
"not asked".

Tab stops on the two questions, never on the Risk details button (a simple contact does
not need it; Alt+R opens and closes it, the button and the line beside it say so, and the
form's F1 list names it); once open, Tab goes through every detail question.

``read_birth`` lets the date-of-birth box take an approximate age ("about 6") or an
estimated date ("~20/07/2026") without another field to tab through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..domain.triage import factors as catalogue

NOT_ASKED = "— not asked —"
# Shown on their own line, always visible; immediate danger has its own first question.
HEADLINE = ("injury_reported", "disclosure")
HEADLINE_LABELS = {
    "injury_reported": "In&jury, mark or bruise?",
    "disclosure": "Child &disclosed harm?",
}
ASKED_ELSEWHERE = frozenset({"immediate_danger"})


def _answer_box(factor: catalogue.Factor) -> QWidget:
    if factor.kind == catalogue.COUNT:
        spin = QSpinBox()
        spin.setRange(-1, factor.maximum)
        spin.setSpecialValueText(NOT_ASKED)
        spin.setValue(-1)
        widget: QWidget = spin
    else:
        combo = QComboBox()
        combo.addItem(NOT_ASKED, None)
        if factor.kind == catalogue.YES_NO:
            combo.addItem("No", False)
            combo.addItem("Yes", True)
        elif factor.kind == catalogue.CHOICE:
            for value, label in factor.choices:
                combo.addItem(label, value)
        else:  # CHILD: filled by set_children
            combo.addItem("Child 1", 0)
        widget = combo
    widget.setObjectName(f"risk_{factor.name}")
    widget.setAccessibleName(factor.question)
    widget.setToolTip(factor.help)
    return widget


def answer_of(widget: QWidget) -> Any:
    """The widget's answer; ``None`` when not asked."""
    if isinstance(widget, QSpinBox):
        return None if widget.value() < 0 else widget.value()
    assert isinstance(widget, QComboBox)
    return widget.currentData()


def set_answer(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QSpinBox):
        widget.setValue(-1 if value is None else int(value))
        return
    assert isinstance(widget, QComboBox)
    for i in range(widget.count()):
        data = widget.itemData(i)
        if data is value or (data == value and type(data) is type(value)):
            widget.setCurrentIndex(i)
            return
    widget.setCurrentIndex(0)


class RiskQuestions(QWidget):
    """Injury and disclosure on one line, then the collapsible risk details."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("riskQuestions")
        self.widgets: dict[str, QWidget] = {}
        for factor in catalogue.FACTORS:
            if factor.name in ASKED_ELSEWHERE:
                continue
            box = _answer_box(factor)
            self.widgets[factor.name] = box
            if isinstance(box, QSpinBox):
                box.valueChanged.connect(self.changed)
            else:
                assert isinstance(box, QComboBox)
                box.currentIndexChanged.connect(self.changed)

        headline = self._build_headline()
        top = self._build_toggle()
        self._build_panel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(headline)
        lay.addLayout(top)
        lay.addWidget(self.panel)
        self._shown(False)
        self.widgets["injury_reported"].currentIndexChanged.connect(  # type: ignore[attr-defined]
            self._injury_changed
        )
        self.changed.connect(self._summarise)

    def _build_headline(self) -> QHBoxLayout:
        """Injury and disclosure, always in sight."""
        headline = QHBoxLayout()
        for name in HEADLINE:
            label = QLabel(HEADLINE_LABELS[name])
            label.setToolTip(catalogue.BY_NAME[name].question)
            label.setBuddy(self.widgets[name])
            headline.addWidget(label)
            headline.addWidget(self.widgets[name])
        headline.addStretch(1)
        return headline

    def _build_toggle(self) -> QHBoxLayout:
        """The button that opens the details, and the summary of what is answered."""
        self.toggle = QPushButton()
        self.toggle.setObjectName("riskDetailsToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoDefault(False)
        # Off the Tab path (a simple contact has no use for it); Alt+R and the mouse reach it.
        self.toggle.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.toggle.setToolTip("Open or close the risk details (Alt+R)")
        self.toggle.setAccessibleName(
            "Risk details: injury, domestic abuse, the child's own "
            "risk, carers, unborn baby, FGM and forced marriage"
        )
        self.toggle.toggled.connect(self._shown)
        self.summary = QLabel()
        self.summary.setObjectName("riskSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.toggle)
        top.addWidget(self.summary, 1)
        return top

    def _build_panel(self) -> None:
        """The other questions, grouped as the catalogue groups them; closed at first."""
        self.panel = QWidget()
        self.panel.setObjectName("riskDetails")
        form = QFormLayout(self.panel)
        for group, title in catalogue.GROUPS.items():
            names = [
                f.name
                for f in catalogue.FACTORS
                if f.group == group and f.name in self.widgets and f.name not in HEADLINE
            ]
            if not names:
                continue
            heading = QLabel(f"<b>{title}</b>")
            heading.setObjectName(f"riskGroup_{group}")
            form.addRow(heading)
            for name in names:
                form.addRow(catalogue.BY_NAME[name].question, self.widgets[name])
        self.panel.hide()

    # ---- structure ------------------------------------------------------------------

    def _shown(self, on: bool) -> None:
        self.panel.setVisible(on)
        self.toggle.setText("▾ Hide &risk details" if on else "▸ &Risk details")
        self._summarise()

    def expand(self, on: bool = True) -> None:
        self.toggle.setChecked(on)

    def _injury_changed(self) -> None:
        if answer_of(self.widgets["injury_reported"]) is True:
            self.expand()

    def _summarise(self) -> None:
        n = sum(
            1
            for name, w in self.widgets.items()
            if name not in HEADLINE and answer_of(w) is not None
        )
        what = (
            "injury details, domestic abuse, the child's own risk, carers, unborn "
            "baby, FGM and forced marriage"
        )
        keys = "Alt+R " + ("closes" if self.toggle.isChecked() else "opens")
        self.summary.setText(f"{keys}: {what} ({n} answered)" if n else f"{keys}: {what}")

    def set_children(self, count: int) -> None:
        """Offer child 1 .. ``count`` for "which child is injured" (keeps the answer)."""
        box = self.widgets["injury_child"]
        assert isinstance(box, QComboBox)
        keep = box.currentData()
        box.blockSignals(True)
        box.clear()
        box.addItem(NOT_ASKED, None)
        for slot in range(max(1, count)):
            box.addItem(f"Child {slot + 1}", slot)
        box.blockSignals(False)
        set_answer(box, keep)

    def tab_chain(self) -> list[QWidget]:
        """Top to bottom: the headline answers, the toggle (never a Tab stop: Alt+R), then
        the details (skipped by Tab while the section is closed)."""
        rest = [
            self.widgets[f.name]
            for f in catalogue.FACTORS
            if f.name in self.widgets and f.name not in HEADLINE
        ]
        return [*(self.widgets[n] for n in HEADLINE), self.toggle, *rest]

    # ---- values ---------------------------------------------------------------------

    def answers(self) -> dict[str, Any]:
        """Asked questions only, by fact name."""
        out = {}
        for name, widget in self.widgets.items():
            value = answer_of(widget)
            if value is not None:
                out[name] = value
        return out

    def apply(self, payload: dict[str, Any]) -> None:
        """Write the answers into a ``contact.received`` payload at the catalogue's paths."""
        for name, value in self.answers().items():
            path = catalogue.BY_NAME[name].path
            node = payload
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value

    def to_draft(self) -> dict[str, Any]:
        return {**self.answers(), "_open": self.toggle.isChecked()}

    def restore(self, data: Mapping[str, Any]) -> None:
        for name, widget in self.widgets.items():
            set_answer(widget, data.get(name))
        self.expand(bool(data.get("_open")))


_ABOUT = re.compile(
    r"^\s*(?:about|approx\.?|around|c\.|~)?\s*(\d{1,2})\s*"
    r"(?:y|yr|yrs|year|years)?(?:\s*old)?\s*$",
    re.IGNORECASE,
)
_GUESS = re.compile(
    r"^\s*(?:~|about|approx\.?|around|c\.)\s*(.+?)\s*$|^\s*(.+?)\s*\?\s*$", re.IGNORECASE
)


def read_birth(text: str) -> tuple[str, bool, int | None]:
    """How the date-of-birth box was filled in: ``(date text, estimated, approx years)``.

    "6", "6y", "about 6" or "~6 years" is an approximate age of 6 when no date is known;
    "~20/07/2026", "about 20/07/2026" or "20/07/2026?" is an estimated date of birth.
    Typing into the one box keeps a simple contact as short as before."""
    found = _ABOUT.match(text)
    if found and "/" not in text and "-" not in text:
        return "", False, int(found.group(1))
    guess = _GUESS.match(text)
    if guess and any(ch.isdigit() for ch in text):
        return (guess.group(1) or guess.group(2) or "").strip(), True, None
    return text, False, None
