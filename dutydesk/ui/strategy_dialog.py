"""The strategy discussion form: when, who attended by agency, which children, what was
decided (single or joint s47, or not), the s47 start, a medical, police protection or an
emergency protection order with times, and the lead social worker.

It checks what it can before anything is sent (an s47 decision needs its start date; the
agencies Working Together expects are named if missing, as a prompt, not a refusal) and
shows a refusal from the service inline without losing what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.directory import PeopleDirectory
from ..domain.route_codes import (
    AGENCIES,
    S47_DECISIONS,
    STRATEGY_DECISION_LABELS,
    STRATEGY_REQUIRED_AGENCIES,
    StrategyDecision,
)
from .form_parts import error_label, line, text_box
from .problems import FieldProblems, Problem

MEDICAL = (
    ("", "Not decided"),
    ("not_needed", "Not needed"),
    ("arranged", "Arranged"),
    ("completed", "Completed"),
)


def _qdatetime(at: datetime) -> QDateTime:
    """The wall-clock time as shown (the zone is the desk's, applied on the way out)."""
    return QDateTime(QDate(at.year, at.month, at.day), QTime(at.hour, at.minute))


def _stamp_edit(name: str, accessible: str, at: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(_qdatetime(at))
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setDisplayFormat("dd/MM/yyyy HH:mm")
    edit.setCalendarPopup(True)
    return edit


def _row(*widgets: QWidget | str) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(QLabel(w) if isinstance(w, str) else w)
    lay.addStretch(1)
    return box


def _aware(edit: QDateTimeEdit, zone: Any) -> datetime:
    d, t = edit.date(), edit.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=zone)


def lead_choices(people: PeopleDirectory, me: str) -> list[tuple[str, str]]:
    """(login, name) of whoever may lead an enquiry: the people who work on contacts, and
    the person recording (the form's first guess), each once."""
    out = [(e.login, e.display_name) for e in people.assignable()]
    if me not in {login for login, _ in out}:
        out.insert(0, (me, people.name_of(me)))
    return out


class AgencyDelegate(QStyledItemDelegate):
    """The agency cell is plain text; editing it opens an editable list of the agencies
    (any other agency may be typed). Qt owns the editor and deletes it when editing ends,
    so no widget outlives its cell (cell widgets did, and crashed a font change)."""

    def createEditor(  # noqa: N802 - Qt name
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.setObjectName("strategyAgencyEditor")
        combo.setAccessibleName(f"Agency of attendee {index.row() + 1}")
        combo.addItems(list(AGENCIES))
        typed = combo.lineEdit()
        if typed is not None:
            typed.setAccessibleName(combo.accessibleName())
        return combo

    def setEditorData(  # noqa: N802 - Qt name
        self, editor: QWidget, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(  # noqa: N802 - Qt name
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText().strip(), Qt.ItemDataRole.EditRole)


class StrategyDialog(QDialog):
    """``submitted`` carries the keyword arguments of
    ``FollowThroughService.record_strategy_discussion`` (besides the contact id)."""

    submitted = Signal(dict)

    def __init__(
        self,
        children: Sequence[tuple[int, str]],
        now: datetime,
        *,
        lead: str = "",
        people: Sequence[tuple[str, str]] = (),
        parent: QWidget | None = None,
    ) -> None:
        """``lead``: the login of the social worker leading (the person recording, by
        default); ``people``: (login, name) from the people directory, offered as the lead
        and shown by name."""
        super().__init__(parent)
        self.setWindowTitle("Strategy discussion")
        self.setAccessibleName("Strategy discussion")
        self.setObjectName("strategyDialog")
        self.zone = now.tzinfo
        lead_name = dict(people).get(lead, lead)
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Record the strategy discussion held because there is reasonable cause "
            "to suspect significant harm (Working Together 2023, chapter 3). The "
            "initial child protection conference falls due 15 working days after "
            "the discussion that starts a section 47 enquiry."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)

        kids = self._build_when_and_who(lay, children, now)
        self._build_attendees(lay, lead_name)
        decided = self._build_decision(now)
        self._build_protection(decided, now)
        self._build_lead_and_summary(decided, people, lead_name)
        lay.addLayout(decided)
        self._build_bottom(lay, kids)
        self.attendees.itemChanged.connect(lambda _item: self.update_prompt())
        self._decision_changed()
        self.update_prompt()
        self.resize(820, 900)

    def _build_when_and_who(
        self, lay: QVBoxLayout, children: Sequence[tuple[int, str]], now: datetime
    ) -> QWidget:
        """When it was held and which children it was about."""
        form = QFormLayout()
        self.held = _stamp_edit("strategyHeld", "Held at", now)
        form.addRow("Held at *", self.held)
        kids = QWidget()
        kid_row = QHBoxLayout(kids)
        kid_row.setContentsMargins(0, 0, 0, 0)
        self.child_boxes: dict[int, QCheckBox] = {}
        for slot, name in children:
            box = QCheckBox(name)
            box.setObjectName(f"strategyChild{slot}")
            box.setChecked(len(children) == 1)
            self.child_boxes[slot] = box
            kid_row.addWidget(box)
        kid_row.addStretch(1)
        form.addRow("Children it was about *", kids)
        lay.addLayout(form)
        return kids

    def _build_attendees(self, lay: QVBoxLayout, lead_name: str) -> None:
        """Who took part, by agency; the agencies Working Together expects are listed first."""
        group = QGroupBox("Who took part")
        glay = QVBoxLayout(group)
        self.attendees = QTableWidget(0, 3)
        self.attendees.setObjectName("strategyAttendees")
        self.attendees.setAccessibleName("Attendees by agency")
        self.attendees.setHorizontalHeaderLabels(["Agency", "Name", "Role"])
        self.attendees.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.attendees.verticalHeader().hide()
        self.attendees.setMinimumHeight(130)
        self.attendees.setMaximumHeight(190)
        self.agency_delegate = AgencyDelegate(self.attendees)
        self.attendees.setItemDelegateForColumn(0, self.agency_delegate)
        # Typing on a cell starts editing it, as a spreadsheet does; Tab moves cell to cell
        # and then on to the buttons under the table.
        self.attendees.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.attendees.setToolTip(
            "Type or press F2 on a cell to change it; the agency cell offers the agencies."
        )
        glay.addWidget(self.attendees)
        buttons = QHBoxLayout()
        add = QPushButton("Add attendee")
        self.add_button = add
        add.setObjectName("strategyAddAttendee")
        add.clicked.connect(lambda: self.add_attendee("", "", ""))
        remove = QPushButton("Remove selected")
        remove.setObjectName("strategyRemoveAttendee")
        remove.clicked.connect(self._remove_attendee)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        glay.addLayout(buttons)
        self.agency_prompt = QLabel()
        self.agency_prompt.setObjectName("strategyAgencyPrompt")
        self.agency_prompt.setWordWrap(True)
        glay.addWidget(self.agency_prompt)
        lay.addWidget(group)
        for agency in STRATEGY_REQUIRED_AGENCIES:
            self.add_attendee(agency, lead_name if agency == AGENCIES[0] else "", "")

    def _build_decision(self, now: datetime) -> QFormLayout:
        """The decision, the s47 start and the medical."""
        decided = QFormLayout()
        self.decision = QComboBox()
        self.decision.setObjectName("strategyDecision")
        self.decision.setAccessibleName("Decision")
        for d in StrategyDecision:
            self.decision.addItem(STRATEGY_DECISION_LABELS[d], d.value)
        self.decision.currentIndexChanged.connect(self._decision_changed)
        decided.addRow("Decision *", self.decision)
        self.s47_start = QDateEdit(QDate(now.year, now.month, now.day))
        self.s47_start.setObjectName("strategyS47Start")
        self.s47_start.setAccessibleName("Section 47 enquiry started on")
        self.s47_start.setDisplayFormat("dd/MM/yyyy")
        self.s47_start.setCalendarPopup(True)
        decided.addRow("s47 enquiry started on", self.s47_start)
        self.medical = QComboBox()
        self.medical.setObjectName("strategyMedical")
        self.medical.setAccessibleName("Medical")
        for value, label in MEDICAL:
            self.medical.addItem(label, value)
        self.medical_at = _stamp_edit("strategyMedicalAt", "Medical at", now)
        decided.addRow("Medical", _row(self.medical, "at", self.medical_at))
        return decided

    def _build_protection(self, decided: QFormLayout, now: datetime) -> None:
        """Immediate protection: police protection, an EPO applied for and granted."""
        self.police = QCheckBox("Police protection (Children Act 1989 s46, up to 72 hours)")
        self.police.setObjectName("strategyPoliceProtection")
        self.police_from = _stamp_edit("strategyPoliceFrom", "Police protection from", now)
        self.police_where = line(
            "strategyPoliceWhere", "Where the child is", "where the child is accommodated"
        )
        decided.addRow("Immediate protection", _row(self.police, "from", self.police_from))
        decided.addRow("Child accommodated at", self.police_where)
        self.epo = QCheckBox("Emergency protection order (s44, up to 8 days)")
        self.epo.setObjectName("strategyEpo")
        self.epo_applied = _stamp_edit("strategyEpoApplied", "EPO applied for at", now)
        decided.addRow("", _row(self.epo, "applied", self.epo_applied))
        # The order's 8 days run from when the court grants it (s45(1)): record the grant
        # here if it is known, or later as the route step "EPO granted".
        self.epo_granted = QCheckBox("Granted")
        self.epo_granted.setObjectName("strategyEpoGranted")
        self.epo_granted_at = _stamp_edit("strategyEpoGrantedAt", "EPO granted at", now)
        self.epo_court = line("strategyEpoCourt", "Court", "court that granted the order")
        decided.addRow("", _row(self.epo_granted, "at", self.epo_granted_at))
        decided.addRow("Court", self.epo_court)

    def _build_lead_and_summary(
        self, decided: QFormLayout, people: Sequence[tuple[str, str]], lead_name: str
    ) -> None:
        """The lead social worker and the summary."""
        # Chosen by name from the people directory (stored as the login), or typed.
        self.lead = QComboBox()
        self.lead.setObjectName("strategyLead")
        self.lead.setAccessibleName("Lead social worker")
        self.lead.setEditable(True)
        self.lead.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for login, name in people:
            self.lead.addItem(name, login)
        self.lead.setCurrentText(lead_name)
        lead_edit = self.lead.lineEdit()
        if lead_edit is not None:
            lead_edit.setPlaceholderText("the social worker leading the enquiry")
            lead_edit.setAccessibleName("Lead social worker")
        decided.addRow("Lead social worker", self.lead)
        self.summary = text_box(
            "strategySummary",
            "Summary of the discussion",
            "What was shared, what each agency will do, by when",
            lines=4,
        )
        decided.addRow("Summary", self.summary)

    def _build_bottom(self, lay: QVBoxLayout, kids: QWidget) -> None:
        """The problems line and the buttons, with their keys."""
        self.error = error_label("strategyError")
        lay.addWidget(self.error)
        # Every problem at once, each under its field (issue 17).
        self.problems = FieldProblems(self.error)
        self.problems.watch("slots", kids, "Children it was about")
        self.problems.watch("attendees", self.attendees, "Who took part")
        self.problems.watch("police_where", self.police_where, "Child accommodated at")
        bar = QDialogButtonBox()
        self.submit_button = bar.addButton(
            "Record discussion", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.submit_button.setObjectName("strategySubmit")
        cancel = bar.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button.clicked.connect(self.try_submit)
        cancel.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.try_submit)
        lay.addWidget(bar)

    # ---- attendees ---------------------------------------------------------------------

    def add_attendee(self, agency: str, name: str, role: str) -> None:
        row = self.attendees.rowCount()
        self.attendees.insertRow(row)
        for col, text in enumerate((agency, name, role)):
            self.attendees.setItem(row, col, QTableWidgetItem(text))
        self.update_prompt()

    def agency_of(self, row: int) -> str:
        """The agency typed or chosen for attendee ``row`` (0-based), or ""."""
        return (self.attendees.item(row, 0) or QTableWidgetItem()).text().strip()

    def _remove_attendee(self) -> None:
        row = self.attendees.currentRow()
        if row >= 0:
            self.attendees.removeRow(row)
            self.update_prompt()

    def attendee_rows(self) -> list[dict[str, str]]:
        out = []
        for row in range(self.attendees.rowCount()):
            agency = self.agency_of(row)
            name = (self.attendees.item(row, 1) or QTableWidgetItem()).text().strip()
            role = (self.attendees.item(row, 2) or QTableWidgetItem()).text().strip()
            if agency:
                out.append(
                    {k: v for k, v in (("agency", agency), ("name", name), ("role", role)) if v}
                )
        return out

    def update_prompt(self) -> None:
        present = {a["agency"].casefold() for a in self.attendee_rows()}
        missing = [a for a in STRATEGY_REQUIRED_AGENCIES if a.casefold() not in present]
        self.agency_prompt.setText(
            "Working Together expects children's social care, the police and health at a "
            f"strategy discussion; not recorded: {', '.join(missing)}. Say why in the "
            "summary."
            if missing
            else "Children's social care, police and health took part."
        )

    # ---- decision ----------------------------------------------------------------------

    def _decision_changed(self) -> None:
        s47 = StrategyDecision(self.decision.currentData()) in S47_DECISIONS
        self.s47_start.setEnabled(s47)

    def values(self) -> dict[str, Any]:
        decision = str(self.decision.currentData())
        out: dict[str, Any] = {
            "slots": [slot for slot, box in self.child_boxes.items() if box.isChecked()],
            "held_at": _aware(self.held, self.zone),
            "attendees": self.attendee_rows(),
            "decision": decision,
        }
        if StrategyDecision(decision) in S47_DECISIONS:
            d = self.s47_start.date()
            out["s47_started_on"] = date(d.year(), d.month(), d.day())
        medical = self.medical.currentData()
        if medical:
            out["medical"] = medical
            if medical in ("arranged", "completed"):
                out["medical_at"] = _aware(self.medical_at, self.zone)
        if self.police.isChecked():
            out["police_protection"] = {
                "started_at": _aware(self.police_from, self.zone),
                "where": self.police_where.text().strip() or None,
            }
        if self.epo.isChecked():
            epo: dict[str, Any] = {"applied_at": _aware(self.epo_applied, self.zone)}
            if self.epo_granted.isChecked():
                epo["granted_at"] = _aware(self.epo_granted_at, self.zone)
            if self.epo_court.text().strip():
                epo["court"] = self.epo_court.text().strip()
            out["epo"] = epo
        lead = self.lead_login()
        if lead:
            out["lead_social_worker"] = lead
        if self.summary.toPlainText().strip():
            out["summary"] = self.summary.toPlainText().strip()
        return out

    def lead_login(self) -> str:
        """The login of the lead chosen by name, or what was typed if nobody listed."""
        typed = self.lead.currentText().strip()
        found = self.lead.findText(typed)
        return str(self.lead.itemData(found)) if typed and found >= 0 else typed

    def problems_found(self) -> list[Problem]:
        """What stops the form being recorded, all of it, in the words of the form. Nothing
        typed is dropped on the way: a name without an agency, or where the child is
        without police protection ticked, is asked about rather than left out."""
        found = []
        if not any(box.isChecked() for box in self.child_boxes.values()):
            found.append(Problem("slots", "tick the child or children the discussion was about"))
        unnamed = []
        for row in range(self.attendees.rowCount()):
            agency = self.agency_of(row)
            typed = any(
                (self.attendees.item(row, col) or QTableWidgetItem()).text().strip()
                for col in (1, 2)
            )
            if typed and not agency:
                unnamed.append(str(row + 1))
        if unnamed:
            rows = " and ".join(
                [", ".join(unnamed[:-1]), unnamed[-1]] if len(unnamed) > 1 else unnamed
            )
            found.append(
                Problem(
                    "attendees",
                    f"say which agency attendee {rows} {'is' if len(unnamed) == 1 else 'are'} from",
                )
            )
        elif not self.attendee_rows():
            found.append(Problem("attendees", "name at least one attendee and their agency"))
        if self.police_where.text().strip() and not self.police.isChecked():
            found.append(
                Problem(
                    "police_where",
                    "tick police protection above, or clear where the child is accommodated",
                )
            )
        return found

    def try_submit(self) -> None:
        found = self.problems_found()
        self.problems.show(found)
        if not found:
            self.submitted.emit(self.values())

    def show_failure(self, message: str, error: BaseException | None = None) -> None:
        self.problems.show_refusal(message, error)
