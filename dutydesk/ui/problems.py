"""Problems with what was typed: in a duty worker's words, all at once, next to the field.

``plain_problem`` turns a rule's wording ("contact.received.children: needs at least 1
item(s)") into the person's ("Children: add at least one child"). ``FieldProblems``
shows a list of problems at once: a line under each field that has one (with a warning
sign and words, never colour alone), the whole list at the foot of the form, and the
keyboard focus on the first field to fix. It only adds lines under fields; it never
moves a field, so forms keep their layout when other people add fields to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QLabel,
    QLayout,
    QScrollArea,
    QWidget,
)

from ..domain.errors import ValidationError
from ..domain.events import CATALOGUE
from ..domain.wording import plural


@dataclass(frozen=True)
class Problem:
    path: str  # the field, e.g. "children[0].date_of_birth"
    message: str  # what to do, in plain words, without the field's name


_INDEX = re.compile(r"\[(\d+)\]")

# A rule's wording -> the words a person needs (first match wins).
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^needs at least 1 item\(s\)$", "add at least one"),
        (r"^needs at least (\d+) item\(s\)$", r"add at least \1"),
        (r"^has (\d+) items; at most (\d+) allowed$", r"there are \1; at most \2 fit"),
        (r"^is required$", "fill this in"),
        (r"^'(.*)' is not a date \(YYYY-MM-DD\)$", r"“\1” is not a date: type it as dd/mm/yyyy"),
        (
            r"^'(.*)' is not a date \(use dd/mm/yyyy\)$",
            r"“\1” is not a date: type it as dd/mm/yyyy",
        ),
        (r"^(\S+) is in the future$", "cannot be in the future"),
        (r"^(\S+) is before 1900$", "is too long ago: check the year"),
        (r"^(\S+) is more than a year in the past$", "is more than a year ago: check the year"),
        (
            r"^is (\d+) characters long; at most (\d+) allowed$",
            r"is too long: \1 characters, at most \2 fit",
        ),
        (r"^'(.*)' is not a known (.*)$", r"choose one from the list"),
        (
            r"^expected (text|a whole number|true or false|a list|an object), got .*$",
            "is not in the form expected; type it again",
        ),
        (r"^has the same value twice$", "is chosen twice"),
        (r"^contains a NUL character$", "contains a character that cannot be stored"),
    )
)


def field_key(path: str) -> str:
    """``contact.received.children[0].dob`` -> ``children[0].dob`` (no event type)."""
    for event_type in CATALOGUE:
        if path == event_type:
            return ""
        if path.startswith(event_type + "."):
            return path[len(event_type) + 1 :]
    return path


def plain_reason(reason: str) -> str:
    for pattern, words in _REASONS:
        if pattern.match(reason):
            return pattern.sub(words, reason)
    return reason


def field_label(path: str, labels: Mapping[str, str]) -> str:
    """The field's name as the form shows it. ``labels`` holds paths with ``[]`` for a
    list position and ``{n}`` in the label for its number from 1:
    ``{"children[].date_of_birth": "Child {n} date of birth"}``. The longest matching
    path wins; an unknown path is made readable rather than shown raw."""
    numbers = [int(n) + 1 for n in _INDEX.findall(path)]
    generic = _INDEX.sub("[]", path)
    parts = generic.split(".")
    for cut in range(len(parts), 0, -1):
        key = ".".join(parts[:cut])
        if key in labels:
            return labels[key].format(n=numbers[0] if numbers else "")
    words = parts[-1].replace("[]", "").replace("_", " ")
    return words[:1].upper() + words[1:] if words else "This form"


def plain_problem(
    error: ValidationError, labels: Mapping[str, str], messages: Mapping[str, str] | None = None
) -> Problem:
    """A refusal from the rules, located at a field and worded for a person.
    ``messages`` may give a field its own wording (``{"children": "add a child"}``)."""
    key = field_key(error.path)
    generic = _INDEX.sub("[]", key)
    message = (messages or {}).get(generic) or plain_reason(error.reason)
    return Problem(key, message)


def describe(error: ValidationError, labels: Mapping[str, str] | None = None) -> str:
    """One line for the status bar: ``Children: add at least one``."""
    problem = plain_problem(error, labels or {})
    if not problem.path:
        return problem.message[:1].upper() + problem.message[1:]
    return f"{field_label(problem.path, labels or {})}: {problem.message}"


def _holding(layout: QLayout, widget: QWidget) -> list[tuple[QLayout, int]]:
    """The layouts from ``layout`` down to the one holding ``widget``, with positions."""
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        if item.widget() is widget:
            return [(layout, i)]
        inner = item.layout()
        if inner is not None:
            found = _holding(inner, widget)
            if found:
                return [(layout, i), *found]
    return []


def place_below(widget: QWidget, line: QWidget) -> bool:
    """Put ``line`` right under ``widget`` in whatever layout holds it, moving nothing."""
    host = widget.parentWidget()
    target = widget
    while host is not None:
        layout = host.layout()
        chain = _holding(layout, target) if layout is not None else []
        for lay, index in reversed(chain):
            if isinstance(lay, QFormLayout):
                position = lay.getItemPosition(index)
                row = int(position[0])  # type: ignore[index]  # (row, role)
                lay.insertRow(row + 1, QLabel(), line)
                return True
            if isinstance(lay, QBoxLayout) and lay.direction() in (
                QBoxLayout.Direction.TopToBottom,
                QBoxLayout.Direction.BottomToTop,
            ):
                lay.insertWidget(index + 1, line)
                return True
        target = host
        host = host.parentWidget()
    return False


class FieldProblems:
    """Every problem of a form at once: a line under each field, the list in ``summary``."""

    def __init__(
        self,
        summary: QLabel,
        labels: Mapping[str, str] | None = None,
        messages: Mapping[str, str] | None = None,
    ) -> None:
        self.summary = summary
        self.labels = dict(labels or {})
        self.messages = dict(messages or {})
        self.fields: dict[str, QWidget] = {}
        self.lines: dict[int, QLabel] = {}  # by id of the field widget
        self.shown: list[Problem] = []

    def watch(self, path: str, widget: QWidget, label: str | None = None) -> None:
        """``widget`` is where problems at ``path`` (and below it) are shown."""
        self.fields[path] = widget
        if label is not None:
            self.labels.setdefault(_INDEX.sub("[]", path), label)

    def forget(self, prefix: str) -> None:
        for path in [p for p in self.fields if p == prefix or p.startswith(prefix)]:
            del self.fields[path]

    def widget_for(self, path: str) -> QWidget | None:
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            key = ".".join(parts[:cut])
            if key in self.fields:
                return self.fields[key]
            bare = _INDEX.sub("", key)
            if key != bare and bare in self.fields:
                return self.fields[bare]
        return None

    def label(self, path: str) -> str:
        return field_label(path, self.labels)

    def from_error(self, error: ValidationError) -> Problem:
        return plain_problem(error, self.labels, self.messages)

    def clear(self) -> None:
        self.show([])

    def show_refusal(
        self,
        message: str,
        error: BaseException | None = None,
        kept: str = "Nothing was saved; what you typed is still here.",
    ) -> None:
        """The service refused: a rule broken is shown at its field, anything else (a
        permission, a clash) as the message."""
        if isinstance(error, ValidationError):
            self.show([self.from_error(error)], note=kept)
            return
        self.clear()
        self.summary.setText("⚠ " + message)
        self.summary.setVisible(bool(message))

    def show(self, problems: Iterable[Problem], note: str = "") -> None:
        """Show ``problems`` (and clear the ones gone); focus the first field to fix."""
        problems = list(problems)
        self.shown = problems
        by_widget: dict[int, list[Problem]] = {}
        for problem in problems:
            widget = self.widget_for(problem.path)
            if widget is not None:
                by_widget.setdefault(id(widget), []).append(problem)
        widgets = {id(w): w for w in self.fields.values()}
        for key, widget in widgets.items():
            found = by_widget.get(key, [])
            line = self.lines.get(key)
            if not found:
                if line is not None:
                    line.hide()
                widget.setAccessibleDescription("")
                continue
            text = "; ".join(_sentence(p.message) for p in found)
            if line is None:
                line = self._line(found[0].path, widget)
            if line is not None:
                line.setText("⚠ " + text)
                line.show()
            widget.setAccessibleDescription("Problem: " + text)
        self._summary(problems, note)
        if problems:
            self._focus(problems[0])

    def _line(self, path: str, widget: QWidget) -> QLabel | None:
        line = QLabel()
        line.setObjectName("problem_" + (widget.objectName() or path))
        line.setWordWrap(True)
        line.setAccessibleName("Problem with " + self.label(path).lower())
        font = line.font()
        font.setBold(True)
        line.setFont(font)
        if not place_below(widget, line):
            line.deleteLater()
            return None
        self.lines[id(widget)] = line
        return line

    def _summary(self, problems: Sequence[Problem], note: str) -> None:
        if not problems:
            self.summary.setText("⚠ " + note if note else "")
            self.summary.setVisible(bool(note))
            return
        head = (
            "⚠ Please put this right and try again:"
            if len(problems) == 1
            else f"⚠ There are {plural(len(problems), 'problem')} to put right; "
            "each is also shown under its field:"
        )
        items = [
            f"• {self.label(p.path)}: {p.message}" if p.path else f"• {_sentence(p.message)}"
            for p in problems
        ]
        self.summary.setText("\n".join([head, *items] + ([note] if note else [])))
        self.summary.show()

    def _focus(self, problem: Problem) -> None:
        widget = self.widget_for(problem.path)
        if widget is None or not widget.isEnabled():
            return
        widget.setFocus()
        parent = widget.parentWidget()
        while parent is not None:
            scroll = parent.parentWidget()
            if isinstance(scroll, QScrollArea):
                scroll.ensureWidgetVisible(widget)
                break
            parent = parent.parentWidget()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
