"""Stable ids for imported records: the same row always becomes the same events.

Every id is derived from what the row says (a partner reference, or the row's content),
never from the time of import, so a second import of the same file adds nothing.
"""

from __future__ import annotations

from typing import Any

from ..domain.events import canonical_json
from ..domain.ids import stable_id


def contact_event_id(contact_id: str) -> str:
    return stable_id("import-event", "contact.received", contact_id)


def decision_id_for(contact_id: str) -> str:
    return stable_id("import-decision", contact_id)


def decision_event_id(decision_id: str) -> str:
    return stable_id("import-event", "decision.recorded", decision_id)


def la_person_id(la_child_id: str) -> str:
    """A child known by the authority's own child id (CIN LAchildID, Annex A unique id)."""
    return stable_id("la-child", la_child_id.strip())


def person_event_id(person_id: str, payload: dict[str, Any]) -> str:
    """Changes with the data, so a corrected record is a new event, an identical one is not."""
    return stable_id("import-person", person_id, canonical_json(payload))


def link_event_id(contact_id: str, slot: int, person_id: str) -> str:
    return stable_id("import-link", contact_id, str(slot), person_id)
