"""Turning drafts into validated events, and validation failures into row errors.

The payload rules are the event log's own (``dutydesk.domain.events``), so an imported
contact is held to exactly the standard of one typed at the desk.
"""

from __future__ import annotations

from ..domain.errors import ValidationError
from ..domain.events import Actor, Event, recorded_by
from .model import Draft, ParsedRow, RowError


def build_events(row: ParsedRow, file: str, actor: Actor) -> list[Event]:
    """The row's events, in the name of the person importing (``actor``); on any invalid
    draft, none, and the row carries the errors."""
    events: list[Event] = []
    for draft in row.drafts:
        try:
            events.append(to_event(draft, actor))
        except ValidationError as err:
            row.errors.append(error_for(row, file, draft.event_type, err))
    return [] if row.errors else events


def to_event(draft: Draft, actor: Actor) -> Event:
    return recorded_by(
        draft.event_type,
        draft.payload,
        by=actor,
        at=draft.at,
        event_id=draft.event_id,
    )


def error_for(row: ParsedRow, file: str, event_type: str, err: ValidationError) -> RowError:
    path = err.path
    if path.startswith(event_type):
        path = path[len(event_type) :].lstrip(".")
    column = row.column_of(path) if path else ""
    return RowError(file, row.number, column, row.value(column), err.reason)
