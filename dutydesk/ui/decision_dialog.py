"""The decision dialog: outcome, threshold level, the structured rationale, next steps and
feedback to the referrer, with quality prompts that help rather than block.

A duty manager or senior practitioner records the decision; a practitioner proposes it for
sign-off (the button says which). In amend mode the dialog starts from the decision as it
stands and asks for the reason; the original stays in the record. The dialog only
collects and checks input: it emits ``submitted`` with the fields and the window hands
them to the desk service on the writer thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import OUTCOME_LABELS, PRIMARY_NEED, THRESHOLD_LEVELS, Role
from ..domain.errors import ValidationError
from ..domain.quality import rationale_prompts
from ..domain.wording import human_date, human_datetime
from ..services.snapshots import ContactDetail, DecisionView
from .form_parts import error_label, line, parse_day, text_box
from .problems import FieldProblems, Problem

MANAGER_ROLES = (Role.DUTY_MANAGER, Role.SENIOR_PRACTITIONER)

FIELDS = (
    (
        "concerns_and_risks",
        "Concerns and risks",
        "What is worrying, and how likely and serious is the harm?",
    ),
    (
        "strengths_and_protective_factors",
        "Strengths and protective factors",
        "What is working well; who keeps the child safe?",
    ),
    (
        "childs_voice",
        "The child's voice and lived experience",
        "What has the child said, shown or experienced?",
    ),
    (
        "consent_and_information_sharing",
        "Consent and the basis for sharing information",
        "Was consent sought and given? If not, the basis for sharing.",
    ),
    (
        "analysis",
        "Analysis",
        "What does the information mean for the child, and why does this outcome follow?",
    ),
    ("feedback_to_referrer", "Feedback to the referrer", "What the referrer is told."),
)
REQUIRED = ("concerns_and_risks", "analysis")
# What to do when a required part is empty, in the words of the field's own hint.
MISSING = {
    "reason": "say why the decision is being changed",
    "outcome": "choose the outcome",
    "threshold_level": "choose the threshold level",
    "rationale.concerns_and_risks": "say what is worrying, and how likely and serious the harm is",
    "rationale.analysis": "say what the information means for the child and why this "
    "outcome follows",
}
FIELD_LABELS = {
    "reason": "Reason for amending",
    "outcome": "Outcome",
    "threshold_level": "Threshold level",
    "primary_need": "Primary need",
    "rationale": "Rationale",
    "rationale.next_steps": "Next steps",
    "rationale.next_steps[]": "Next step {n}",
    "next_steps.due": "Next step due date",
    **{f"rationale.{key}": label for key, label, _hint in FIELDS},
}


def threshold_labels(local: Mapping[str, str] | None = None) -> dict[int, str]:
    """The authority's own labels for levels 1-4 (settings), the defaults otherwise."""
    labels = dict(THRESHOLD_LEVELS)
    for key, value in (local or {}).items():
        if str(key) in {"1", "2", "3", "4"} and value.strip():
            labels[int(key)] = value.strip()
    return labels


class DecisionDialog(QDialog):
    submitted = Signal(dict)

    def __init__(
        self,
        contact: ContactDetail,
        role: Role,
        *,
        labels: Mapping[int, str],
        amend: DecisionView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.contact = contact
        self.amending = amend
        self.setObjectName("decisionDialog")
        self.setWindowTitle("Amend decision" if amend else "Decision")
        self.setAccessibleName(self.windowTitle())
        self.manager = role in MANAGER_ROLES

        form = self._build_choices(labels, amend)
        self._build_rationale(form)
        self._build_feedback()
        self._build_layout(form, contact, amend)
        self._prompt_timer = QTimer(self)
        self._prompt_timer.setSingleShot(True)
        self._prompt_timer.setInterval(250)
        self._prompt_timer.timeout.connect(self.update_prompts)
        if amend is not None:
            self._fill(amend)
        self.resize(760, 820)
        self.update_prompts()
        (self.reason if amend is not None else self.outcome).setFocus()

    def _build_choices(self, labels: Mapping[int, str], amend: DecisionView | None) -> QFormLayout:
        """The amendment reason (when amending), outcome, threshold level and primary need."""
        form = QFormLayout()
        self.reason = text_box(
            "amendReason", "Reason for the amendment", "Why is the decision being changed?", lines=2
        )
        if amend is not None:
            form.addRow("Reason for amending *", self.reason)
        self.outcome = QComboBox()
        self.outcome.setObjectName("decisionOutcome")
        self.outcome.setAccessibleName("Outcome")
        self.outcome.addItem("— choose the outcome —", "")
        for code, label in OUTCOME_LABELS.items():
            self.outcome.addItem(label, code.value)
        form.addRow("&Outcome *", self.outcome)
        self.level = QComboBox()
        self.level.setObjectName("decisionLevel")
        self.level.setAccessibleName("Threshold level")
        self.level.addItem("— choose the level —", 0)
        for level, label in sorted(labels.items()):
            self.level.addItem(f"{level} — {label}", level)
        form.addRow("Threshold &level *", self.level)
        self.need = QComboBox()
        self.need.setObjectName("decisionPrimaryNeed")
        self.need.setAccessibleName("Primary need (optional)")
        self.need.addItem("— not stated —", "")
        for need in PRIMARY_NEED.values():
            self.need.addItem(f"{need.code} {need.label}", need.code)
        form.addRow("Primary need", self.need)
        return form

    def _build_rationale(self, form: QFormLayout) -> None:
        """The rationale, a box for each part, and the next steps."""
        self.boxes: dict[str, Any] = {}
        for key, label, hint in FIELDS:
            box = text_box(f"rationale_{key}", label, hint, lines=3 if key != "analysis" else 4)
            box.textChanged.connect(self._schedule_prompts)
            self.boxes[key] = box
            form.addRow(label + (" *" if key in REQUIRED else ""), box)

        form.addRow(self._steps_group())

    def _build_feedback(self) -> None:
        """The quality prompts and the problems line, each problem under its field."""
        self.prompts = QLabel()
        self.prompts.setObjectName("qualityPrompts")
        self.prompts.setAccessibleName("Suggestions for the rationale")
        self.prompts.setWordWrap(True)
        self.prompts.setTextFormat(Qt.TextFormat.PlainText)
        self.error = error_label("decisionError")
        self.problems_shown = FieldProblems(self.error, FIELD_LABELS)
        for path, widget in (
            ("reason", self.reason),
            ("outcome", self.outcome),
            ("threshold_level", self.level),
            ("primary_need", self.need),
            ("rationale.next_steps", self.step_action),
            ("next_steps.due", self.step_due),
            *((f"rationale.{key}", box) for key, box in self.boxes.items()),
        ):
            self.problems_shown.watch(path, widget)

    def _build_layout(
        self, form: QFormLayout, contact: ContactDetail, amend: DecisionView | None
    ) -> None:
        """The heading, the scrolling form and the buttons, with their keys."""
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)

        buttons = QDialogButtonBox()
        label = (
            "Record amendment"
            if amend
            else "Record decision"
            if self.manager
            else "Propose for sign-off"
        )
        self.submit_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setObjectName("decisionSubmit")
        self.submit_button.setToolTip(label + " (Ctrl+Enter)")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("decisionCancel")
        self.submit_button.clicked.connect(self.try_submit)
        cancel.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.try_submit)

        head = QLabel(
            f"Contact received {human_datetime(contact.received_at)} — "
            + ", ".join(c.name for c in contact.children)
        )
        head.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.prompts)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _steps_group(self) -> QGroupBox:
        group = QGroupBox("Next steps (action, owner, due date)")
        self.step_action = line(
            "stepAction", "Next step action", "e.g. Strategy discussion with police"
        )
        self.step_owner = line("stepOwner", "Next step owner", "who")
        # A typed date: one Tab stop (a QDateEdit spends Tab on its day/month/year parts).
        self.step_due = line("stepDue", "Next step due date", "dd/mm/yyyy")
        self.step_due.setText(QDate.currentDate().addDays(1).toString("dd/MM/yyyy"))
        self.step_due.setMaximumWidth(110)
        add = QPushButton("&Add step")
        add.setObjectName("stepAdd")
        add.setAccessibleName("Add next step")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_step)
        self.step_action.returnPressed.connect(self.add_step)
        self.steps = QListWidget()
        self.steps.setObjectName("stepList")
        self.steps.setAccessibleName("Next steps")
        self.steps.setMaximumHeight(90)
        remove = QPushButton("Remove step")
        remove.setObjectName("stepRemove")
        remove.setAutoDefault(False)
        remove.clicked.connect(lambda: self.steps.takeItem(self.steps.currentRow()))
        row = QHBoxLayout()
        row.addWidget(self.step_action, 3)
        row.addWidget(self.step_owner, 1)
        row.addWidget(self.step_due)
        row.addWidget(add)
        lay = QVBoxLayout(group)
        lay.addLayout(row)
        lay.addWidget(self.steps)
        lay.addWidget(remove, 0, Qt.AlignmentFlag.AlignRight)
        return group

    def _step_problem(self) -> Problem | None:
        try:
            parse_day(self.step_due.text(), "next_steps.due")
        except ValidationError:
            return Problem(
                "next_steps.due",
                f"“{self.step_due.text().strip()}” is not a date: type it as dd/mm/yyyy",
            )
        return None

    def add_step(self) -> None:
        action = self.step_action.text().strip()
        if not action:
            return
        problem = self._step_problem()
        if problem is not None:
            self.problems_shown.show([problem])
            return
        self.problems_shown.clear()
        due = parse_day(self.step_due.text(), "next_steps.due")
        step: dict[str, str] = {"action": action}
        if self.step_owner.text().strip():
            step["owner"] = self.step_owner.text().strip()
        if due:
            step["due"] = due
        item = QListWidgetItem(
            f"{action} — {step.get('owner', 'no owner')} — by {human_date(due, missing='no date')}"
        )
        item.setData(Qt.ItemDataRole.UserRole, step)
        self.steps.addItem(item)
        self.step_action.clear()
        self.step_owner.clear()
        self.step_action.setFocus()

    def _fill(self, decision: DecisionView) -> None:
        self.outcome.setCurrentIndex(max(0, self.outcome.findData(decision.outcome)))
        self.level.setCurrentIndex(max(0, self.level.findData(decision.threshold_level)))
        for key, box in self.boxes.items():
            box.setPlainText(str(decision.rationale.get(key) or ""))
        for step in decision.rationale.get("next_steps") or []:
            item = QListWidgetItem(
                f"{step.get('action')} — {step.get('owner', 'no owner')}"
                f" — by {human_date(step.get('due'))}"
            )
            item.setData(Qt.ItemDataRole.UserRole, dict(step))
            self.steps.addItem(item)

    # ---- values ---------------------------------------------------------------------

    def rationale(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, box in self.boxes.items():
            text = box.toPlainText().strip()
            if text:
                out[key] = text
        steps = [
            self.steps.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.steps.count())
        ]
        if steps:
            out["next_steps"] = steps
        return out

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "outcome": self.outcome.currentData(),
            "threshold_level": self.level.currentData(),
            "rationale": self.rationale(),
        }
        if self.need.currentData():
            out["primary_need"] = self.need.currentData()
        if self.amending is not None:
            out["decision_id"] = self.amending.decision_id
            out["reason"] = self.reason.toPlainText().strip()
        return out

    def problems(self) -> list[Problem]:
        """What must be put right before the decision can be recorded (blocking)."""
        v = self.values()
        missing = []
        if self.amending is not None and not v["reason"]:
            missing.append("reason")
        if not v["outcome"]:
            missing.append("outcome")
        if not v["threshold_level"]:
            missing.append("threshold_level")
        missing += [f"rationale.{key}" for key in REQUIRED if key not in v["rationale"]]
        found = [Problem(path, MISSING[path]) for path in missing]
        if self.step_action.text().strip():  # typed, not added: the due date is wrong
            found.append(
                self._step_problem()
                or Problem("rationale.next_steps", "press Add step, or clear the step you typed")
            )
        return found

    def _schedule_prompts(self) -> None:
        self._prompt_timer.start()

    def update_prompts(self) -> None:
        prompts = rationale_prompts(self.rationale(), concern=self.contact.concern)
        self.prompts.setText("\n".join("▸ Suggestion: " + p.text for p in prompts))
        self.prompts.setVisible(bool(prompts))

    def try_submit(self) -> None:
        if self.step_action.text().strip():
            self.add_step()  # a next step typed but not added goes in, never dropped
        found = self.problems()
        if found:
            self.problems_shown.show(found)
            return
        self.problems_shown.clear()
        self.submitted.emit(self.values())

    def show_failure(self, message: str, error: BaseException | None = None) -> None:
        """The service refused (permission, validation): say so and keep what was typed."""
        self.problems_shown.show_refusal(
            message, error, kept="Nothing was recorded; what you typed is still here."
        )
