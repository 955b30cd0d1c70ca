"""Immutable views the services hand to the window: safe to keep on the GUI thread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ChildSummary:
    slot: int
    person_id: str | None
    name: str
    age: str
    date_of_birth: str | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the duty queue."""

    contact_id: str
    rating: str | None
    score: int | None
    due_at: str | None
    decision_due_at: str | None
    received_at: str
    status: str
    assignee: str | None
    source_code: str
    concern: str
    categories: tuple[str, ...]
    children: tuple[ChildSummary, ...]
    office: str | None
    team: str | None
    conflict: bool
    immediate_danger: bool
    reasons: tuple[Mapping[str, Any], ...]

    @property
    def children_text(self) -> str:
        return ", ".join(f"{c.name} ({c.age})" for c in self.children)


@dataclass(frozen=True, slots=True)
class Changes:
    """What an operation changed, so each view refreshes only what it shows."""

    contacts: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    queue: bool = False
