"""The queue's rows keep their reasons and categories as the store's JSON text and decode
them only when a row is shown or asked for (issue 19, start-up). Oracle: the same model
over rows decoded up front from SQLAlchemy's own read of each contact (the code before):
every cell, in every role the view, the tooltips and a screen reader ask for, is equal,
and filters, search and a live change select the same rows."""

from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from dutydesk.services.desk import DeskService
from dutydesk.services.queue_filter import QueueFilter
from dutydesk.services.redaction import redact_queue_item
from dutydesk.services.snapshots import QueueItem
from dutydesk.store.queries import Queries
from dutydesk.ui.queue_model import COLUMNS, QueueModel

ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.UserRole,
    Qt.ItemDataRole.UserRole + 1,
)


def eager(item: QueueItem, reasons: Any, categories: Any) -> SimpleNamespace:
    """``item`` with its reasons and categories held decoded, as the queue held them."""
    values = {f.name: getattr(item, f.name) for f in fields(item)}
    del values["reasons_json"], values["categories_json"]
    return SimpleNamespace(
        **values, reasons=reasons, categories=categories, children_text=item.children_text
    )


def cells(model: QueueModel) -> list[Any]:
    out = []
    for row in range(model.rowCount()):
        for col in range(len(COLUMNS)):
            for role in ROLES:
                value = model.data(model.index(row, col), role)
                out.append(value.color().name() if isinstance(value, QBrush) else value)
    return out


def test_every_cell_equals_the_eagerly_decoded_queues(service: DeskService) -> None:
    items = service.queue()
    whole = Queries(service.store.engine).contacts([i.contact_id for i in items])
    assert len(items) >= 20 and any(i.reasons for i in items)
    redacted = redact_queue_item(items[3])  # a restricted row: nothing to decode
    items[3] = redacted
    decoded = [
        eager(i, (), ())
        if i is redacted
        else eager(i, whole[i.contact_id].reasons, whole[i.contact_id].categories)
        for i in items
    ]
    lazy_model, eager_model = QueueModel(now=service.clock.now), QueueModel(now=service.clock.now)
    lazy_model.set_items(items)
    eager_model.set_items(decoded)  # type: ignore[arg-type]  # duck-typed rows
    assert cells(lazy_model) == cells(eager_model)
    assert any(c and "test reason" in str(c) for c in cells(lazy_model))  # reasons shown

    first = items[0]
    for flt in (
        QueueFilter(text=first.children[0].name.split()[0] if first.children else "a"),
        QueueFilter(text="returned"),
        QueueFilter(ratings=frozenset({"red", "unrated"})),
        QueueFilter(overdue=True),
        QueueFilter(statuses=frozenset({"in_progress"}), text="police"),
    ):
        assert lazy_model.select(flt) == eager_model.select(flt)
        lazy_model.show_ids(lazy_model.select(flt))
        eager_model.show_ids(eager_model.select(flt))
        assert cells(lazy_model) == cells(eager_model)

    lazy_model.update_items([], removed=[items[1].contact_id])  # a live change
    eager_model.update_items([], removed=[items[1].contact_id])
    lazy_model.show_ids(lazy_model.select(QueueFilter()))
    eager_model.show_ids(eager_model.select(QueueFilter()))
    assert lazy_model.ids() == eager_model.ids() and cells(lazy_model) == cells(eager_model)
