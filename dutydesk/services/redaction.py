"""Redacting snapshots of restricted records: others see that a record exists, not what
is in it.

Pure functions over the immutable snapshots the window holds. A redacted queue row keeps
what the queue needs to stay honest (its id, rating, times, status) and hides every word
about the child and the concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..domain.projection import ContactChildRow
from ..reports.records import DutyLogData
from .snapshots import ChildSummary, QueueItem

RESTRICTED_TEXT = "Restricted record"
HIDDEN_TEXT = "Restricted record: content hidden"


def redact_queue_item(item: QueueItem) -> QueueItem:
    return replace(
        item,
        concern=HIDDEN_TEXT,
        categories_json=None,
        reasons_json=None,
        assignee=None,
        children=tuple(
            ChildSummary(c.slot, None, RESTRICTED_TEXT, "", None) for c in item.children
        ),
    )


def redact_queue(items: Iterable[QueueItem], visible: Mapping[str, bool]) -> list[QueueItem]:
    """Every item, with those ``visible`` marks False redacted (missing ids: visible)."""
    return [
        item if visible.get(item.contact_id, True) else redact_queue_item(item) for item in items
    ]


def redact_duty_log(data: DutyLogData, visible: Mapping[str, bool]) -> DutyLogData:
    """The duty log with each contact ``visible`` marks False shown as a restricted row:
    its time, source, rating, status and decisions stay (the shift's work is accounted
    for), the children's names and the concern do not. The events behind every row stay in
    the digest, so the printed log still verifies against the record."""
    hidden = {cid for cid, ok in visible.items() if not ok}
    if not hidden:
        return data
    contacts = tuple(
        replace(
            c,
            concern=HIDDEN_TEXT,
            categories=(),
            reasons=(),
            reporter_name=None,
            reporter_agency=None,
        )
        if c.contact_id in hidden
        else c
        for c in data.contacts
    )
    children = {
        cid: tuple(ContactChildRow(k.contact_id, k.slot, given_name=RESTRICTED_TEXT) for k in kids)
        if cid in hidden
        else kids
        for cid, kids in data.children.items()
    }
    # Follow-through lines quote reasons and routes: left off for hidden contacts (their
    # events stay in the digest, so the log still verifies).
    followups = tuple(e for e in data.followups if e.contact_id not in hidden)
    return replace(data, contacts=contacts, children=children, followups=followups)
