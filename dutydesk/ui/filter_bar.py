"""The queue's filter bar: search box, office/team/rating/status/source choices, the
overdue switch, and saved views (kept in QSettings as JSON ``QueueFilter`` values)."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import SOURCE_SHORT
from ..domain.errors import ValidationError
from ..services.queue_filter import QueueFilter, QueueIndex
from .queue_model import STATUS_TEXT

VIEWS_GROUP = "views"
ANY = "any"


class FilterBar(QWidget):
    changed = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self.settings = settings
        self.search = QLineEdit()
        self.search.setObjectName("queueSearch")
        self.search.setPlaceholderText("Find in queue (name, concern, team)…  Ctrl+F")
        self.search.setAccessibleName("Find in queue")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.changed)
        self.combos: dict[str, QComboBox] = {}
        for key, label in (
            ("offices", "Office"),
            ("teams", "Team"),
            ("ratings", "Rating"),
            ("statuses", "Status"),
            ("sources", "Source"),
        ):
            combo = QComboBox()
            combo.setObjectName(f"filter_{key}")
            combo.setAccessibleName(f"Filter by {label.lower()}")
            combo.setToolTip(f"Show only one {label.lower()}")
            combo.addItem(f"{label}: any", ANY)
            combo.currentIndexChanged.connect(self.changed)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            self.combos[key] = combo
        self.overdue = QCheckBox("&Overdue only")
        self.overdue.setObjectName("filter_overdue")
        self.overdue.setAccessibleName("Show only overdue contacts")
        self.overdue.toggled.connect(self.changed)
        self.views = QComboBox()
        self.views.setObjectName("savedViews")
        self.views.setAccessibleName("Saved views")
        self.views.activated.connect(self._view_chosen)
        self.save_view_button = save = QPushButton("Save view…")
        save.setObjectName("saveView")
        save.clicked.connect(self.ask_save_view)
        self.delete_view_button = delete = QPushButton("Delete view")
        delete.setObjectName("deleteView")
        delete.clicked.connect(self.delete_current_view)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.views)
        top.addWidget(save)
        top.addWidget(delete)
        row = QHBoxLayout()
        for combo in self.combos.values():
            row.addWidget(combo)
        row.addWidget(self.overdue)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addLayout(row)
        self._reload_views()

    # ---- choices from the queue ---------------------------------------------------------

    def set_choices(self, index: QueueIndex) -> None:
        """Offer the values present in the queue, keeping the current choice."""
        ratings = ["red", "amber", "green", "blue", "unrated"]
        options = {
            "offices": [(v, v) for v in index.values("office")],
            "teams": [(v, v) for v in index.values("team")],
            "ratings": [(r, r.capitalize()) for r in ratings],
            "statuses": [(s, t) for s, t in STATUS_TEXT.items() if s != "decided"],
            "sources": [(s, f"{s} {SOURCE_SHORT.get(s, s)}") for s in index.values("source_code")],
        }
        for key, combo in self.combos.items():
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value, label in options[key]:
                combo.addItem(label, value)
            found = combo.findData(current)
            combo.setCurrentIndex(found if found >= 0 else 0)
            combo.blockSignals(False)

    # ---- the filter value ---------------------------------------------------------------

    def value(self) -> QueueFilter:
        chosen = {
            key: frozenset() if c.currentData() in (ANY, None) else frozenset({c.currentData()})
            for key, c in self.combos.items()
        }
        return QueueFilter(overdue=self.overdue.isChecked(), text=self.search.text(), **chosen)

    def apply(self, flt: QueueFilter) -> None:
        for w in (*self.combos.values(), self.overdue, self.search):
            w.blockSignals(True)
        try:
            for key, combo in self.combos.items():
                wanted = next(iter(getattr(flt, key)), ANY)
                found = combo.findData(wanted)
                if found < 0:
                    combo.addItem(str(wanted), wanted)
                    found = combo.count() - 1
                combo.setCurrentIndex(found)
            self.overdue.setChecked(flt.overdue)
            self.search.setText(flt.text)
        finally:
            for w in (*self.combos.values(), self.overdue, self.search):
                w.blockSignals(False)
        self.changed.emit()

    # ---- saved views --------------------------------------------------------------------

    def saved_views(self) -> dict[str, QueueFilter]:
        out = {}
        self.settings.beginGroup(VIEWS_GROUP)
        try:
            for name in self.settings.childKeys():
                try:
                    out[name] = QueueFilter.from_json(json.loads(str(self.settings.value(name))))
                except (ValueError, ValidationError):
                    continue  # a damaged view is skipped, the others still load
        finally:
            self.settings.endGroup()
        return out

    def save_view(self, name: str) -> None:
        name = name.strip().replace("/", "-")
        if not name:
            return
        self.settings.setValue(f"{VIEWS_GROUP}/{name}", json.dumps(self.value().to_json()))
        self.settings.sync()
        self._reload_views(select=name)

    def ask_save_view(self) -> None:
        name, ok = QInputDialog.getText(self, "Save view", "Name for this view:")
        if ok:
            self.save_view(name)

    def delete_current_view(self) -> None:
        name = self.views.currentData()
        if name:
            self.settings.remove(f"{VIEWS_GROUP}/{name}")
            self._reload_views()

    def _reload_views(self, select: str | None = None) -> None:
        self.views.clear()
        self.views.addItem("— saved views —", "")
        for name in sorted(self.saved_views()):
            self.views.addItem(name, name)
        if select:
            self.views.setCurrentIndex(max(0, self.views.findData(select)))

    def _view_chosen(self, row: int) -> None:
        name = self.views.itemData(row)
        view = self.saved_views().get(name) if name else None
        if view is not None:
            self.apply(view)
