"""Redacting snapshots of restricted records: others see that a record exists, not what
is in it.

Pure functions over the immutable snapshots the window holds. A redacted queue row keeps
what the queue needs to stay honest (its id, rating, times, status) and hides every word
about the child and the concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..domain.projection import PersonRow
from .snapshots import ChildSummary, QueueItem

RESTRICTED_TEXT = "Restricted record"
HIDDEN_TEXT = "Restricted record: content hidden"


def redact_queue_item(item: QueueItem) -> QueueItem:
    return replace(
        item, concern=HIDDEN_TEXT, categories=(), reasons=(), assignee=None,
        children=tuple(ChildSummary(c.slot, None, RESTRICTED_TEXT, "", None)
                       for c in item.children))


def redact_queue(items: Iterable[QueueItem], visible: Mapping[str, bool]) -> list[QueueItem]:
    """Every item, with those ``visible`` marks False redacted (missing ids: visible)."""
    return [item if visible.get(item.contact_id, True) else redact_queue_item(item)
            for item in items]


def redact_person(row: PersonRow) -> PersonRow:
    """Only the id and the fact of the restriction survive."""
    return PersonRow(person_id=row.person_id, restricted=True)
