"""Filtering and ranking the duty queue on ids, in plain Python.

The window never filters through ``QSortFilterProxyModel`` (which calls Python ``data()``
for every row, 0.6 s a keystroke at 100,000 rows). ``QueueIndex`` keeps the open contacts
in triage order with a pre-folded search text and due time per contact, so a filter is
one pass over a list of ids. Saved views are ``QueueFilter`` values written as JSON.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from ..domain.codes import SOURCE_SHORT
from ..domain.errors import ValidationError
from ..domain.queue import order_key
from .snapshots import QueueItem

_SET_FIELDS = ("offices", "teams", "ratings", "statuses", "sources")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows. An empty set means "any"."""

    offices: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    ratings: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    overdue: bool = False
    text: str = ""

    @property
    def words(self) -> list[str]:
        return self.text.casefold().split()

    def with_text(self, text: str) -> QueueFilter:
        return replace(self, text=text)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: sorted(getattr(self, name)) for name in _SET_FIELDS}
        out["overdue"] = self.overdue
        out["text"] = self.text
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> QueueFilter:
        """A saved view; an unknown key or wrong type is named, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValidationError(f"unknown saved-view field {unknown[0]!r}", unknown[0])
        kwargs: dict[str, Any] = {}
        for name in _SET_FIELDS:
            value = raw.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError("expected a list of text", name)
            kwargs[name] = frozenset(value)
        if not isinstance(raw.get("overdue", False), bool):
            raise ValidationError("expected true or false", "overdue")
        if not isinstance(raw.get("text", ""), str):
            raise ValidationError("expected text", "text")
        return cls(overdue=raw.get("overdue", False), text=raw.get("text", ""), **kwargs)


def haystack(item: QueueItem) -> str:
    """Everything the search box looks in, folded once per contact."""
    return " ".join(
        (
            item.children_text,
            item.concern,
            item.source_code,
            SOURCE_SHORT.get(item.source_code, ""),
            item.office or "",
            item.team or "",
            item.assignee or "",
            item.assignee_name or "",
            item.status,
            "returned" if item.returned else "",
            item.rating or "unrated",
        )
    ).casefold()


def due_timestamp(item: QueueItem) -> float | None:
    stamp = item.due_at or item.decision_due_at
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


class QueueIndex:
    """The open contacts in triage order, ready to filter. Not thread-safe: GUI thread."""

    def __init__(self, items: Iterable[QueueItem] = ()) -> None:
        self.items: dict[str, QueueItem] = {}
        self._keys: list[tuple[Any, ...]] = []
        self._ranked: list[str] = []
        self._hay: dict[str, str] = {}
        self._due: dict[str, float | None] = {}
        self.replace_all(items)

    def replace_all(self, items: Iterable[QueueItem]) -> None:
        self.items = {i.contact_id: i for i in items}
        self._hay = {cid: haystack(i) for cid, i in self.items.items()}
        self._due = {cid: due_timestamp(i) for cid, i in self.items.items()}
        pairs = sorted((order_key(i), i.contact_id) for i in self.items.values())
        self._keys = [k for k, _ in pairs]
        self._ranked = [cid for _, cid in pairs]

    def update(self, changed: Iterable[QueueItem], removed: Iterable[str] = ()) -> None:
        """Apply a live change: new or re-rated contacts move to their place."""
        for cid in list(removed):
            self._drop(cid)
        for item in changed:
            self._drop(item.contact_id)
            key = order_key(item)
            at = bisect.bisect_left(self._keys, key)
            self._keys.insert(at, key)
            self._ranked.insert(at, item.contact_id)
            self.items[item.contact_id] = item
            self._hay[item.contact_id] = haystack(item)
            self._due[item.contact_id] = due_timestamp(item)

    def _drop(self, cid: str) -> None:
        item = self.items.pop(cid, None)
        if item is None:
            return
        at = bisect.bisect_left(self._keys, order_key(item))
        del self._keys[at]
        del self._ranked[at]
        self._hay.pop(cid, None)
        self._due.pop(cid, None)

    @property
    def ranked(self) -> Sequence[str]:
        return self._ranked

    def due(self, contact_id: str) -> float | None:
        """The due time as a POSIX timestamp (parsed once per change, not per paint)."""
        return self._due.get(contact_id)

    def select(self, flt: QueueFilter, now: datetime) -> list[str]:
        """Ids that pass ``flt``, in triage order."""
        words = flt.words
        now_ts = now.timestamp()
        checks = [(name, getattr(flt, name)) for name in _SET_FIELDS if getattr(flt, name)]
        if not words and not checks and not flt.overdue:
            return list(self._ranked)
        items, hay, due = self.items, self._hay, self._due
        if len(words) == 1 and not checks and not flt.overdue:  # the common case: typing
            word = words[0]
            return [cid for cid in self._ranked if word in hay[cid]]
        out = []
        for cid in self._ranked:
            if words:
                text = hay[cid]
                if not all(w in text for w in words):
                    continue
            if checks and not _passes(items[cid], checks):
                continue
            if flt.overdue:
                when = due[cid]
                if when is None or when >= now_ts:
                    continue
            out.append(cid)
        return out

    def values(self, attribute: str) -> list[str]:
        """The distinct non-empty values of one attribute, for the filter menus."""
        return sorted({v for i in self.items.values() if (v := getattr(i, attribute))})


_ATTRIBUTE = {
    "offices": "office",
    "teams": "team",
    "ratings": "rating",
    "statuses": "status",
    "sources": "source_code",
}


def _passes(item: QueueItem, checks: list[tuple[str, frozenset[str]]]) -> bool:
    for name, allowed in checks:
        value = getattr(item, _ATTRIBUTE[name])
        if name == "ratings" and value is None:
            value = "unrated"
        if value not in allowed:
            return False
    return True
