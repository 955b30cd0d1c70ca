"""The contact entry form for contact centre staff.

The immediate-danger question comes first: "yes" means the contact goes to the top of the
queue as Red the moment it is saved (``DeskService.record_contact`` applies triage's intake
rule in the same transaction). Then the reporter and source, the children (with an inline NHS number
check and match suggestions as they type), the concern, DfE categories and consent.

Keyboard-first: Tab stops only where a simple contact may need to type. The empty
"Possible matches" list, the "Unborn" box of a child whose date or age says they are
born, and the Risk details button are reached otherwise (the list as soon as it holds a
match; "Unborn" when the date is blank, in the future or within the last month; the
button with Alt+R). ``FORM_KEYS`` lists the form's keys; F1 shows them.

Nothing typed is lost: every change is saved as a local draft (``DraftStore``) and the
draft is offered back after a crash or a closed form; it is discarded only once the
contact is stored. ``set_match_provider`` lets the matching module replace the default
exact look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import (
    ASSESSMENT_FACTORS,
    LEGACY_FACTORS,
    REFERRAL_SOURCES,
    SEX,
    Channel,
    ConsentStatus,
)
from ..domain.errors import ValidationError
from ..domain.ids import new_id
from ..domain.nhs import is_valid_nhs_number, normalise_nhs_number, validate_nhs_number
from ..domain.wording import human_datetime, plural
from ..services.drafts import Draft, DraftError, DraftStore
from ..services.snapshots import MatchSuggestion
from .form_parts import error_label, line, parse_day, tab_left_to_right, text_box
from .problems import FieldProblems, Problem
from .risk_questions import RiskQuestions, read_birth

DRAFT_KIND = "contact"
# How the form names its fields when something is wrong with them ([] is a child's place).
FIELD_LABELS = {
    "immediate_danger": "Immediate danger",
    "reporter": "Reporter",
    "reporter.name": "Reporter name",
    "reporter.role": "Reporter role",
    "reporter.agency": "Agency",
    "reporter.phone": "Phone",
    "source_code": "Source",
    "channel": "Channel",
    "children": "Children",
    "children[]": "Child {n}",
    "children[].given_name": "Child {n} given name",
    "children[].family_name": "Child {n} family name",
    "children[].date_of_birth": "Child {n} date of birth",
    "children[].expected_date_of_birth": "Child {n} expected date of birth",
    "children[].sex": "Child {n} sex",
    "children[].nhs_number": "Child {n} NHS number",
    "children[].person_id": "Child {n} known person",
    "concern": "Concern",
    "categories": "Categories",
    "consent": "Consent",
    "consent_notes": "Consent notes",
    "office": "Office",
    "team": "Team",
}
FIELD_MESSAGES = {
    "children": "add at least one child: a name, a date of birth or a known person",
    "immediate_danger": "answer this question first",
}
MatchProvider = Callable[[Mapping[str, Any]], list[MatchSuggestion]]
Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]
DraftRunner = Callable[
    [Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], None
]

# The entry form's own keys, for F1 here and in the main window; a test checks each is a
# real route on the form (keyboard_map.routes), so the list says what Qt sees.
FORM_KEYS: tuple[tuple[str, str], ...] = (
    ("Alt+I", "Is any child in immediate danger?"),
    ("Alt+N", "Reporter name"),
    ("Alt+S", "Source"),
    ("Alt+C", "Add another child"),
    ("Alt+M", "Possible matches (Enter links the selected person)"),
    ("Alt+O", "Concern"),
    ("Alt+J", "Injury, mark or bruise?"),
    ("Alt+D", "Child disclosed harm?"),
    ("Alt+R", "Risk details: open or close (then Tab through the questions)"),
    ("Ctrl+Return", "Save contact"),
    ("F1", "These keys"),
)
# A date of birth this long ago is a born child: Tab then skips "Unborn" (an expected
# date can be a little overdue, so a recent past date keeps the box on the Tab path).
UNBORN_OVERDUE_DAYS = 31

CONSENT_LABELS = {
    ConsentStatus.GIVEN: "Given",
    ConsentStatus.REFUSED: "Refused",
    ConsentStatus.NOT_SOUGHT: "Not sought",
    ConsentStatus.NOT_REQUIRED: "Not required (e.g. risk of significant harm)",
    ConsentStatus.UNKNOWN: "Not known",
}


def keys_table() -> str:
    """``FORM_KEYS`` as an HTML table, with how Tab moves."""
    rows = "".join(
        f"<tr><td>{escape(what)}</td><td><b>{escape(keys)}</b></td></tr>"
        for keys, what in FORM_KEYS
    )
    tab = (
        "<tr><td>Next / previous field (skips the empty matches list, the Risk details "
        "button, and “Unborn” once the date says the child is born)</td>"
        "<td><b>Tab, Shift+Tab</b></td></tr>"
    )
    return f"<table cellpadding='2'>{rows}{tab}</table>"


def nhs_hint(text: str) -> str:
    """The inline verdict on a typed NHS number, without repeating the number."""
    digits = normalise_nhs_number(text)
    if not digits.isascii():
        return "✗ digits 0-9 only"
    if not digits.isdigit() or len(digits) != 10:
        return f"✗ needs 10 digits ({len(digits)} typed)"
    return "✓ valid" if is_valid_nhs_number(digits) else "✗ fails the check digit: mistyped?"


def born_already(text: str, today: date | None = None) -> bool:
    """Whether the date-of-birth box says the child is already born: an approximate age, or
    a date more than ``UNBORN_OVERDUE_DAYS`` before today. Blank or unreadable: not known."""
    day, _estimated, years = read_birth(text)
    if years is not None:
        return True
    try:
        born = parse_day(day, "date_of_birth")
    except ValidationError:
        return False
    if born is None:
        return False
    today = today or date.today()
    return (today - date.fromisoformat(born)).days > UNBORN_OVERDUE_DAYS


class ChildEntry(QGroupBox):
    """One child on the contact."""

    changed = Signal()

    def __init__(self, slot: int, parent: QWidget | None = None) -> None:
        super().__init__(f"Child {slot + 1}", parent)
        self.slot = slot
        self.person_id: str | None = None
        self.person_label = ""
        n = slot + 1
        self.given = line(f"child{slot}Given", f"Child {n} given name")
        self.family = line(f"child{slot}Family", f"Child {n} family name")
        self.dob = line(f"child{slot}Dob", f"Child {n} date of birth", "dd/mm/yyyy")
        self.unborn = QCheckBox("Unborn (date is the expected date of birth)")
        self.unborn.setObjectName(f"child{slot}Unborn")
        self.sex = QComboBox()
        self.sex.setObjectName(f"child{slot}Sex")
        self.sex.setAccessibleName(f"Child {n} sex")
        self.sex.addItem("— not recorded —", "")
        for code in SEX.values():
            self.sex.addItem(code.label, code.code)
        self.nhs = line(f"child{slot}Nhs", f"Child {n} NHS number", "10 digits")
        self.nhs_status = QLabel()
        self.nhs_status.setObjectName(f"child{slot}NhsStatus")
        self.linked = QLabel()
        self.linked.setObjectName(f"child{slot}Linked")
        self.linked.setWordWrap(True)
        form = QFormLayout(self)
        names = QHBoxLayout()
        names.addWidget(self.given)
        names.addWidget(self.family)
        form.addRow("Name (given, family)", names)
        self.dob.setPlaceholderText("dd/mm/yyyy, ~dd/mm/yyyy if a guess, or 'about 6'")
        self.dob.setToolTip(
            "A date of birth; put ~ in front if it is an estimate; or an "
            "approximate age such as 'about 6' when the date is not known"
        )
        born = QHBoxLayout()
        born.addWidget(self.dob)
        born.addWidget(self.unborn)
        form.addRow("Date of birth", born)
        form.addRow("Sex", self.sex)
        nhs = QHBoxLayout()
        nhs.addWidget(self.nhs)
        nhs.addWidget(self.nhs_status, 1)
        form.addRow("NHS number", nhs)
        form.addRow("", self.linked)
        for edit in (self.given, self.family, self.dob, self.nhs):
            edit.textChanged.connect(self.changed)
        self.nhs.textChanged.connect(self._check_nhs)
        self.unborn.toggled.connect(self.changed)
        self.sex.currentIndexChanged.connect(self.changed)
        self.dob.textChanged.connect(self._place_unborn)
        self.unborn.toggled.connect(self._place_unborn)

    def _place_unborn(self) -> None:
        """ "Unborn" is a Tab stop unless the box already says the child is born: an age,
        or a date more than ``UNBORN_OVERDUE_DAYS`` ago (a ticked box stays a stop)."""
        self.unborn.setFocusPolicy(
            Qt.FocusPolicy.StrongFocus
            if self.unborn.isChecked() or not born_already(self.dob.text())
            else Qt.FocusPolicy.ClickFocus
        )

    def _check_nhs(self) -> None:
        text = self.nhs.text().strip()
        if not text:
            self.nhs_status.setText("")
            return
        self.nhs_status.setText(nhs_hint(text))

    def link(self, suggestion: MatchSuggestion | None) -> None:
        self.person_id = suggestion.person_id if suggestion else None
        self.person_label = suggestion.name if suggestion else ""
        self.linked.setText(f"Linked to known person: {suggestion.name}" if suggestion else "")
        self.changed.emit()

    def query(self) -> dict[str, Any]:
        try:
            dob = parse_day(read_birth(self.dob.text())[0], "date_of_birth")
        except ValidationError:
            dob = None
        return {
            "nhs_number": self.nhs.text().strip() or None,
            "given_name": self.given.text().strip() or None,
            "family_name": self.family.text().strip() or None,
            "date_of_birth": None if self.unborn.isChecked() else dob,
        }

    def payload(self) -> dict[str, Any]:
        where = f"children[{self.slot}]"
        out: dict[str, Any] = {"slot": self.slot}
        if self.person_id:
            out["person_id"] = self.person_id
        for key, edit in (("given_name", self.given), ("family_name", self.family)):
            if edit.text().strip():
                out[key] = edit.text().strip()
        text, estimated, years = read_birth(self.dob.text())
        born = parse_day(text, f"{where}.date_of_birth")
        if born:
            out["expected_date_of_birth" if self.unborn.isChecked() else "date_of_birth"] = born
            if estimated and not self.unborn.isChecked():
                out["date_of_birth_estimated"] = True
        elif years is not None and not self.unborn.isChecked():
            out["age_years"] = years
        if self.sex.currentData():
            out["sex"] = self.sex.currentData()
        if self.nhs.text().strip():
            try:
                out["nhs_number"] = validate_nhs_number(self.nhs.text())
            except ValidationError as err:
                raise ValidationError(err.reason, f"{where}.nhs_number") from None
        return out

    def filled(self) -> bool:
        """Anything typed for this child (a blank extra child is left out)."""
        return any(
            v for k, v in self.to_draft().items() if k not in ("unborn", "sex", "person_label")
        )

    def problems(self) -> list[Problem]:
        where = f"children[{self.slot}]"
        found = []
        if not (
            self.given.text().strip()
            or self.family.text().strip()
            or self.dob.text().strip()
            or self.person_id
        ):
            found.append(Problem(where, "give a name, a date of birth or link a known person"))
        try:
            born = parse_day(read_birth(self.dob.text())[0], f"{where}.date_of_birth")
        except ValidationError as err:
            found.append(
                Problem(
                    err.path, f"“{self.dob.text().strip()}” is not a date: type it as dd/mm/yyyy"
                )
            )
        else:
            if born and not self.unborn.isChecked() and born > date.today().isoformat():
                found.append(
                    Problem(
                        f"{where}.date_of_birth",
                        "is in the future: tick “Unborn” if it is the expected date of birth",
                    )
                )
        verdict = nhs_hint(self.nhs.text()) if self.nhs.text().strip() else ""
        if verdict.startswith("✗"):
            found.append(Problem(f"{where}.nhs_number", verdict.removeprefix("✗ ")))
        return found

    def to_draft(self) -> dict[str, Any]:
        return {
            "given": self.given.text(),
            "family": self.family.text(),
            "dob": self.dob.text(),
            "unborn": self.unborn.isChecked(),
            "sex": self.sex.currentData(),
            "nhs": self.nhs.text(),
            "person_id": self.person_id,
            "person_label": self.person_label,
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        self.given.setText(str(data.get("given", "")))
        self.family.setText(str(data.get("family", "")))
        self.dob.setText(str(data.get("dob", "")))
        self.unborn.setChecked(bool(data.get("unborn")))
        self.sex.setCurrentIndex(max(0, self.sex.findData(data.get("sex") or "")))
        self.nhs.setText(str(data.get("nhs", "")))
        if data.get("person_id"):
            self.person_id = str(data["person_id"])
            self.person_label = str(data.get("person_label", ""))
            self.linked.setText(f"Linked to known person: {self.person_label}")


class ContactForm(QDialog):
    submitted = Signal(dict)

    def __init__(
        self,
        drafts: DraftStore,
        *,
        office: str = "",
        team: str = "",
        draft: Draft | None = None,
        parent: QWidget | None = None,
        runner: DraftRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contactForm")
        self.setWindowTitle("New contact")
        self.setAccessibleName("New contact")
        self.drafts = drafts
        # Drafts are written into the store on the writer thread (the window's TaskRunner);
        # without a runner (a form on its own) they are written inline.
        self._draft_runner = runner
        self.draft_id = draft.draft_id if draft else f"contact-{new_id()}"
        self.children_entries: list[ChildEntry] = []
        self._provider: MatchProvider | None = None
        self._runner: Runner | None = None
        self._restoring = False
        self._active_child = 0
        self._keys_box: QMessageBox | None = None

        self._build_danger()
        self._build_reporter()
        self._build_children()
        self._build_concern()
        self._build_consent_and_place(office, team)
        scroll = self._build_form()
        self._build_buttons(scroll)
        self._build_timers()
        self._watch_problems()
        self.add_child()
        self._watch()
        if draft is not None:
            self.restore(draft)
        self.resize(820, 900)
        self.danger.setFocus()

    def _build_danger(self) -> None:
        """The immediate-danger question, first, and its warning."""
        self.danger = QComboBox()
        self.danger.setObjectName("immediateDanger")
        self.danger.setAccessibleName("Is any child in immediate danger?")
        self.danger.addItem("— answer first —", None)
        self.danger.addItem("No", False)
        self.danger.addItem("Yes — a child is in immediate danger now", True)
        self.danger_note = QLabel(
            "This contact goes to the top of the queue as RED as soon as it is saved. "
            "If a child is at risk right now, make sure police (999) have been called."
        )
        self.danger_note.setObjectName("immediateDangerNote")
        self.danger_note.setWordWrap(True)
        self.danger_note.setStyleSheet(
            "background:#c62828;color:white;padding:4px;font-weight:bold;"
        )
        self.danger_note.hide()

    def _build_reporter(self) -> None:
        """Who reported it, the DfE source and how it arrived."""
        self.reporter_name = line("reporterName", "Reporter name")
        self.reporter_role = line(
            "reporterRole", "Reporter role", "e.g. designated safeguarding lead"
        )
        self.reporter_agency = line("reporterAgency", "Reporter agency")
        self.reporter_phone = line("reporterPhone", "Reporter phone")
        self.source = QComboBox()
        self.source.setObjectName("sourceCode")
        self.source.setAccessibleName("Referral source (DfE code)")
        self.source.addItem("— choose the source —", "")
        for code in REFERRAL_SOURCES.values():
            self.source.addItem(f"{code.code} {code.label}", code.code)
        self.channel = QComboBox()
        self.channel.setObjectName("channel")
        self.channel.setAccessibleName("How the contact arrived")
        for ch in Channel:
            if ch is not Channel.IMPORT:
                self.channel.addItem(ch.value.replace("_", " ").capitalize(), ch.value)

    def _build_children(self) -> None:
        """The children (one entry each) and the known people who may be them."""
        self.children_box = QVBoxLayout()
        self.add_child_button = QPushButton("Add another &child")
        self.add_child_button.setObjectName("addChild")
        self.add_child_button.setAutoDefault(False)
        self.add_child_button.clicked.connect(lambda: self.add_child().given.setFocus())
        self.matches = QListWidget()
        self.matches.setObjectName("matchSuggestions")
        self.matches.setAccessibleName("Known people who may be this child; Enter links")
        self.matches.setMaximumHeight(90)
        self.matches.itemActivated.connect(self._use_match)
        # An empty list is no Tab stop; it becomes one when it holds a match (Alt+M).
        self.matches.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.match_note = QLabel("Possible matches appear here as you type.")
        self.match_note.setObjectName("matchNote")

    def _build_concern(self) -> None:
        """The concern, the risk questions and the DfE categories."""
        self.concern = text_box(
            "concern",
            "Concern",
            "What has happened, to whom, and what the reporter saw or was told",
            lines=5,
        )
        self.concern.setMaximumHeight(self.concern.fontMetrics().lineSpacing() * 8)
        self.risk = RiskQuestions()
        self.categories = QListWidget()
        self.categories.setObjectName("categories")
        self.categories.setAccessibleName("Categories (DfE assessment factors); Space ticks")
        self.categories.setMaximumHeight(120)
        for code in ASSESSMENT_FACTORS.values():
            if code.code in LEGACY_FACTORS:
                continue
            item = QListWidgetItem(f"{code.code} {code.label}")
            item.setData(Qt.ItemDataRole.UserRole, code.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.categories.addItem(item)

    def _build_consent_and_place(self, office: str, team: str) -> None:
        """Consent, office and team; the error line and the draft note."""
        self.consent = QComboBox()
        self.consent.setObjectName("consent")
        self.consent.setAccessibleName("Consent")
        self.consent.addItem("— choose —", "")
        for status, label in CONSENT_LABELS.items():
            self.consent.addItem(label, status.value)
        self.consent_notes = text_box(
            "consentNotes",
            "Consent notes",
            "Who gave or refused consent; the basis for sharing without it",
            lines=2,
        )
        self.office = line("office", "Office")
        self.office.setText(office)
        self.team = line("team", "Team")
        self.team.setText(team)
        self.error = error_label("contactError")
        self.problems = FieldProblems(self.error, FIELD_LABELS, FIELD_MESSAGES)
        self.draft_note = QLabel()
        self.draft_note.setObjectName("draftNote")

    def _build_form(self) -> QScrollArea:
        """Every field in one scrolling form, in reading order."""
        form = QFormLayout()
        form.addRow("Is any child in &immediate danger? *", self.danger)
        form.addRow(self.danger_note)
        form.addRow("Reporter &name", self.reporter_name)
        form.addRow("Reporter role", self.reporter_role)
        form.addRow("Agency", self.reporter_agency)
        form.addRow("Phone", self.reporter_phone)
        form.addRow("&Source *", self.source)
        form.addRow("Channel", self.channel)
        kids = QWidget()
        kids.setLayout(self.children_box)
        form.addRow(kids)
        form.addRow(self.add_child_button)
        form.addRow(self.match_note)
        form.addRow("Possible &matches", self.matches)
        form.addRow("C&oncern *", self.concern)
        form.addRow(self.risk)
        form.addRow("Categories", self.categories)
        form.addRow("Consent *", self.consent)
        form.addRow("Consent notes", self.consent_notes)
        place = QHBoxLayout()
        place.addWidget(self.office)
        place.addWidget(self.team)
        form.addRow("Office / team", place)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes round the fields only
        scroll.setWidget(inner)
        return scroll

    def _build_buttons(self, scroll: QScrollArea) -> None:
        """Save, close (keeping the draft), discard; their keys; the dialog layout."""
        self.button_box = buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Save contact", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("contactSave")
        self.save_button.setToolTip("Save contact (Ctrl+Enter)")
        close = buttons.addButton("Close (keep draft)", QDialogButtonBox.ButtonRole.RejectRole)
        close.setObjectName("contactClose")
        discard = buttons.addButton("Discard draft", QDialogButtonBox.ButtonRole.DestructiveRole)
        discard.setObjectName("contactDiscard")
        self.save_button.clicked.connect(self.try_submit)
        close.clicked.connect(self.reject)
        discard.clicked.connect(self.discard)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.try_submit)
        keys_help = QShortcut(QKeySequence("F1"), self, self.show_keys)
        keys_help.setWhatsThis("Keys of the entry form")
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.draft_note)
        lay.addWidget(buttons)

    def _build_timers(self) -> None:
        """The draft saves and the match look-ups wait for typing to pause."""
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)
        self._save_timer.timeout.connect(self.save_draft)
        self._match_timer = QTimer(self)
        self._match_timer.setSingleShot(True)
        self._match_timer.setInterval(300)
        self._match_timer.timeout.connect(self._look_up)

    def _watch_problems(self) -> None:
        """Where each field problem is shown."""
        for path, widget in (
            ("immediate_danger", self.danger),
            ("source_code", self.source),
            ("channel", self.channel),
            ("reporter.name", self.reporter_name),
            ("reporter.role", self.reporter_role),
            ("reporter.agency", self.reporter_agency),
            ("reporter.phone", self.reporter_phone),
            ("children", self.add_child_button),
            ("concern", self.concern),
            ("categories", self.categories),
            ("consent", self.consent),
            ("consent_notes", self.consent_notes),
            ("office", self.office),
            ("team", self.team),
        ):
            self.problems.watch(path, widget)

    # ---- structure --------------------------------------------------------------------

    def add_child(self) -> ChildEntry:
        entry = ChildEntry(len(self.children_entries))
        self.children_entries.append(entry)
        self.children_box.addWidget(entry)
        self.risk.set_children(len(self.children_entries))
        entry.changed.connect(self._changed)
        entry.changed.connect(lambda e=entry: self._child_changed(e))
        where = f"children[{entry.slot}]"
        for path, widget in (
            ("", entry.given),
            (".given_name", entry.given),
            (".family_name", entry.family),
            (".date_of_birth", entry.dob),
            (".expected_date_of_birth", entry.dob),
            (".sex", entry.sex),
            (".nhs_number", entry.nhs),
            (".person_id", entry.given),
        ):
            self.problems.watch(where + path, widget)
        self._tab_chain()
        return entry

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        tab_left_to_right(self.button_box)

    def _tab_chain(self) -> None:
        """Tab follows the form top to bottom, through every child in order."""
        chain: list[QWidget] = [
            self.danger,
            self.reporter_name,
            self.reporter_role,
            self.reporter_agency,
            self.reporter_phone,
            self.source,
            self.channel,
        ]
        for e in self.children_entries:
            chain += [e.given, e.family, e.dob, e.unborn, e.sex, e.nhs]
        chain += [
            self.add_child_button,
            self.matches,
            self.concern,
            *self.risk.tab_chain(),
            self.categories,
            self.consent,
            self.consent_notes,
            self.office,
            self.team,
            self.save_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _watch(self) -> None:
        self.danger.currentIndexChanged.connect(self._danger_changed)
        for edit in (
            self.reporter_name,
            self.reporter_role,
            self.reporter_agency,
            self.reporter_phone,
            self.office,
            self.team,
        ):
            edit.textChanged.connect(self._changed)
        for combo in (self.source, self.channel, self.consent):
            combo.currentIndexChanged.connect(self._changed)
        for box in (self.concern, self.consent_notes):
            box.textChanged.connect(self._changed)
        self.categories.itemChanged.connect(self._changed)
        self.risk.changed.connect(self._changed)

    def _danger_changed(self) -> None:
        self.danger_note.setVisible(self.danger.currentData() is True)
        self._changed()

    def _changed(self) -> None:
        if not self._restoring:
            self._save_timer.start()

    # ---- matching ---------------------------------------------------------------------

    def set_match_provider(
        self, provider: MatchProvider | None, runner: Runner | None = None
    ) -> None:
        """``provider(query) -> suggestions``; ``runner(work, done)`` runs it off the GUI
        thread (the window passes its TaskRunner). The query has ``nhs_number``,
        ``given_name``, ``family_name`` and ``date_of_birth``."""
        self._provider = provider
        self._runner = runner

    def _child_changed(self, entry: ChildEntry) -> None:
        self._active_child = entry.slot
        if self._provider is not None and not self._restoring:
            self._match_timer.start()

    def _look_up(self) -> None:
        if self._provider is None:
            return
        entry = self.children_entries[self._active_child]
        query = entry.query()
        if not any(query.values()):
            self.show_matches([])
            return
        provider = self._provider
        if self._runner is None:
            self.show_matches(provider(query))
        else:
            self._runner(lambda: provider(query), self.show_matches)

    def show_matches(self, found: list[MatchSuggestion]) -> None:
        self.matches.clear()
        self.matches.setFocusPolicy(
            Qt.FocusPolicy.StrongFocus if found else Qt.FocusPolicy.ClickFocus
        )
        for s in found:
            detail = ", ".join(s.evidence)
            item = QListWidgetItem(f"{s.name} — born {s.date_of_birth or '?'} — {detail}")
            item.setData(Qt.ItemDataRole.UserRole, s)
            self.matches.addItem(item)
        self.match_note.setText(
            f"{plural(len(found), 'possible match')} for child {self._active_child + 1}: "
            "select one "
            "and press Enter to link"
            if found
            else "No known person matches yet."
        )

    def _use_match(self, item: QListWidgetItem) -> None:
        self.children_entries[self._active_child].link(item.data(Qt.ItemDataRole.UserRole))

    def show_keys(self) -> None:
        """F1: the form's keys (the same list the main window's F1 shows)."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Keys of the entry form",
            keys_table(),
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("contactFormKeys")
        self._keys_box = box
        box.open()

    # ---- values -----------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The ``contact.received`` payload; ValidationError names the first problem."""
        danger = self.danger.currentData()
        if danger is None:
            raise ValidationError("answer the immediate-danger question first", "immediate_danger")
        if not self.source.currentData():
            raise ValidationError("choose where the contact came from", "source_code")
        if not self.consent.currentData():
            raise ValidationError("say whether consent was given", "consent")
        out: dict[str, Any] = {
            "immediate_danger": danger,
            "source_code": self.source.currentData(),
            "channel": self.channel.currentData(),
            "concern": self.concern.toPlainText(),
            "consent": self.consent.currentData(),
            "children": [c.payload() for c in self.children_entries if c.filled()],
        }
        self.risk.apply(out)
        reporter = {
            k: w.text().strip()
            for k, w in (
                ("name", self.reporter_name),
                ("role", self.reporter_role),
                ("agency", self.reporter_agency),
                ("phone", self.reporter_phone),
            )
            if w.text().strip()
        }
        if reporter:
            out["reporter"] = reporter
        cats = [
            self.categories.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.categories.count())
            if self.categories.item(i).checkState() == Qt.CheckState.Checked
        ]
        if cats:
            out["categories"] = cats
        for key, widget in (("consent_notes", self.consent_notes),):
            if widget.toPlainText().strip():
                out[key] = widget.toPlainText().strip()
        for key, edit in (("office", self.office), ("team", self.team)):
            if edit.text().strip():
                out[key] = edit.text().strip()
        return out

    def find_problems(self) -> list[Problem]:
        """Everything that stops the contact being saved, in the order of the form."""
        found: list[Problem] = []
        if self.danger.currentData() is None:
            found.append(Problem("immediate_danger", "answer this question first"))
        if not self.source.currentData():
            found.append(Problem("source_code", "choose where the contact came from"))
        kids = [c for c in self.children_entries if c.filled()]
        if not kids:
            found.append(Problem("children", FIELD_MESSAGES["children"]))
        for child in kids:
            found += child.problems()
        if not self.concern.toPlainText().strip():
            found.append(Problem("concern", "say what has happened and to whom"))
        if not self.consent.currentData():
            found.append(Problem("consent", "say whether consent was given"))
        return found

    def try_submit(self) -> None:
        found = self.find_problems()
        if found:
            self.problems.show(found)
            return
        try:
            payload = self.payload()
        except ValidationError as err:
            self.show_problem(err)
            return
        self.problems.clear()
        self.save_draft()
        self.submitted.emit(payload)

    def show_problem(self, error: ValidationError) -> None:
        """A refusal from the rules, shown at its field in plain words."""
        self.problems.show_refusal(str(error), error)

    def show_failure(self, message: str, error: BaseException | None = None) -> None:
        self.problems.show_refusal(message, error)

    def saved(self) -> None:
        """The contact is stored: the draft has done its job."""
        self._save_timer.stop()
        self._discard_draft()
        self.accept()

    def discard(self) -> None:
        self._save_timer.stop()
        self._discard_draft()
        self.reject()

    def _discard_draft(self) -> None:
        draft_id = self.draft_id

        def work(drafts: DraftStore) -> None:
            drafts.discard(draft_id)

        self._draft_work(work)

    def _draft_work(
        self, work: Callable[[DraftStore], Any], done: Callable[[Any], None] | None = None
    ) -> None:
        drafts = self.drafts

        def failed(err: BaseException) -> None:
            self.draft_note.setText(f"⚠ Draft not saved: {err}")

        if self._draft_runner is None:
            try:
                value = work(drafts)
            except DraftError as err:
                failed(err)
                return
            if done is not None:
                done(value)
            return
        self._draft_runner(lambda: work(drafts), done or (lambda _v: None), failed)

    # ---- drafts -----------------------------------------------------------------------

    def to_draft(self) -> dict[str, Any]:
        return {
            "immediate_danger": self.danger.currentIndex(),
            "reporter": {
                "name": self.reporter_name.text(),
                "role": self.reporter_role.text(),
                "agency": self.reporter_agency.text(),
                "phone": self.reporter_phone.text(),
            },
            "source_code": self.source.currentData(),
            "channel": self.channel.currentData(),
            "children": [c.to_draft() for c in self.children_entries],
            "concern": self.concern.toPlainText(),
            "categories": [
                self.categories.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.categories.count())
                if self.categories.item(i).checkState() == Qt.CheckState.Checked
            ],
            "consent": self.consent.currentData(),
            "consent_notes": self.consent_notes.toPlainText(),
            "office": self.office.text(),
            "team": self.team.text(),
            "risk": self.risk.to_draft(),
        }

    def save_draft(self) -> None:
        draft = Draft(
            self.draft_id, DRAFT_KIND, datetime.now().astimezone().isoformat(), self.to_draft()
        )
        self._draft_work(
            lambda drafts: drafts.save(draft),
            lambda _v: self.draft_note.setText(
                "Draft saved " + datetime.now().strftime("%H:%M:%S")
            ),
        )

    def restore(self, draft: Draft) -> None:
        data = draft.data
        self._restoring = True
        try:
            self.danger.setCurrentIndex(int(data.get("immediate_danger", 0) or 0))
            rep = data.get("reporter") or {}
            self.reporter_name.setText(rep.get("name", ""))
            self.reporter_role.setText(rep.get("role", ""))
            self.reporter_agency.setText(rep.get("agency", ""))
            self.reporter_phone.setText(rep.get("phone", ""))
            self.source.setCurrentIndex(max(0, self.source.findData(data.get("source_code"))))
            self.channel.setCurrentIndex(max(0, self.channel.findData(data.get("channel"))))
            kids = data.get("children") or []
            while len(self.children_entries) < len(kids):
                self.add_child()
            for entry, kid in zip(self.children_entries, kids, strict=False):
                entry.restore(kid)
            self.concern.setPlainText(data.get("concern", ""))
            wanted = set(data.get("categories") or [])
            for i in range(self.categories.count()):
                item = self.categories.item(i)
                if item.data(Qt.ItemDataRole.UserRole) in wanted:
                    item.setCheckState(Qt.CheckState.Checked)
            self.consent.setCurrentIndex(max(0, self.consent.findData(data.get("consent"))))
            self.consent_notes.setPlainText(data.get("consent_notes", ""))
            self.office.setText(data.get("office", ""))
            self.team.setText(data.get("team", ""))
            self.risk.restore(data.get("risk") or {})
        finally:
            self._restoring = False
        self.draft_note.setText("Restored the unsaved draft from " + human_datetime(draft.saved_at))
