"""The inputs of the printed documents as plain records: the store's report queries fill
them, the document writers read them (so the writers need no database)."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.events import Event
from ..domain.projection import ContactChildRow, ContactRow, DecisionRow


@dataclass(frozen=True, slots=True)
class DutyLogData:
    """Contacts received and decisions made in a window, for one office or team."""

    contacts: tuple[ContactRow, ...]
    decisions: tuple[DecisionRow, ...]
    children: dict[str, tuple[ContactChildRow, ...]]
    events: tuple[Event, ...]
    # issue 21: routes, strategy discussions, hand-offs and corrections made in the window
    followups: tuple[Event, ...] = ()
