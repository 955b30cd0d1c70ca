"""Reads the permission checks need: restrictions on people and recent break-glass access.

Returns pure ``Restriction`` values (``dutydesk.domain.permissions``); no rule lives here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select

from ..domain.permissions import Restriction
from . import rowread
from .eventstore import EVENT_PEOPLE, EVENTS
from .readmodel import CHILDREN, PEOPLE, _chunks
from .withheld import WITHHELD, withheld_among


def people_on_contacts(conn: Connection, contact_ids: Iterable[str]) -> dict[str, set[str]]:
    """contact id -> linked person ids (a contact about a restricted child is restricted)."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(set(contact_ids))):
        rows = conn.execute(
            select(CHILDREN.c.contact_id, CHILDREN.c.person_id).where(
                CHILDREN.c.contact_id.in_(chunk), CHILDREN.c.person_id.is_not(None)
            )
        )
        for contact_id, person_id in rows:
            found[contact_id].add(person_id)
    return dict(found)


def restricted_on_contacts(conn: Connection, contact_ids: Iterable[str]) -> dict[str, set[str]]:
    """contact id -> its linked people who are restricted or withheld from this desk, for
    contacts that have any: the only people a restriction check of those contacts looks
    at (``restrictions`` of ``people_on_contacts`` keeps no one else). One read through
    the people and withheld tables instead of every child of every open contact (the
    queue's redaction at start-up)."""
    found: dict[str, set[str]] = defaultdict(set)
    children, people, held = CHILDREN.name, PEOPLE.name, WITHHELD.name
    for chunk in rowread.chunks(sorted(set(contact_ids)), rowread.MAX_PARAMS // 2):
        marks = rowread.placeholders(len(chunk))
        sql = (
            f"SELECT c.contact_id, c.person_id FROM {children} c JOIN {people} p "
            f"ON p.person_id = c.person_id WHERE c.contact_id IN ({marks}) AND p.restricted = 1 "
            f"UNION SELECT c.contact_id, c.person_id FROM {children} c JOIN {held} w "
            f"ON w.person_id = c.person_id WHERE c.contact_id IN ({marks})"
        )
        for contact_id, person_id in rowread.fetch(conn, sql, [*chunk, *chunk]):
            found[contact_id].add(person_id)
    return dict(found)


def restrictions(conn: Connection, person_ids: Iterable[str]) -> dict[str, Restriction]:
    """The restriction on each restricted person among ``person_ids`` (others omitted).

    A person the shared server withholds from this desk's login (``store.withheld``) is
    restricted naming nobody, whatever this desk's own projection says: the server hides
    the restriction event from the people it does not name, so their copy may be stale."""
    ids = sorted(set(person_ids))
    out: dict[str, Restriction] = {}
    for person_id in withheld_among(conn, ids):
        out[person_id] = Restriction(person_id, frozenset(), _break_glass(conn, person_id))
    for chunk in _chunks(ids):
        rows = conn.execute(
            select(PEOPLE.c.person_id, PEOPLE.c.allowed).where(
                PEOPLE.c.person_id.in_(chunk), PEOPLE.c.restricted
            )
        )
        for person_id, allowed in rows:
            if person_id in out:
                continue  # withheld by the server: its word wins over the local copy
            out[person_id] = Restriction(
                person_id, frozenset(allowed or ()), _break_glass(conn, person_id)
            )
    return out


def _break_glass(conn: Connection, person_id: str) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    rows = conn.execute(
        select(EVENTS.c.actor, EVENTS.c.client_time)
        .join(EVENT_PEOPLE, EVENT_PEOPLE.c.local_seq == EVENTS.c.local_seq)
        .where(EVENT_PEOPLE.c.person_id == person_id, EVENTS.c.type == "access.break_glass")
    )
    for actor, client_time in rows:
        at = datetime.fromisoformat(client_time)
        if actor not in latest or at > latest[actor]:
            latest[actor] = at
    return latest
