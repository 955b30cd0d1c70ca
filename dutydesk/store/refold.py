"""Refolding part of the read model in server order, after a pull that arrived out of order.

A projection row depends only on the events of its own scope, in order: a contact's row,
its children and its decisions on the events naming that contact; a person's row on the
events naming that person. So when pulled events land before events this desk already
folded, only the scopes they touch can be wrong. ``refold`` loads each such scope's events
in the order every desk agrees on (server sequence, then this desk's unsent events in the
order made, leaving out events the server rejected, as ``EventStore.rebuild``), folds them
with ``dutydesk.domain.projection`` and writes back only the rows that came out different
(``readmodel.save``), deleting rows the scope no longer produces. Every other row stays as
it was, unread and unwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, select, tuple_

from ..domain import projection
from ..domain.events import Event
from ..domain.projection import Keys, ReadModel
from ..domain.routes import LIFECYCLE_TYPES, RouteRow
from . import readmodel, rowread
from .eventstore import EVENT_PEOPLE, EVENTS, OUTBOX, db_to_event
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, ROUTES, _chunks


@dataclass(frozen=True, slots=True)
class Scopes:
    """The contacts and people whose rows may need refolding."""

    contacts: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.contacts or self.people)

    def __or__(self, other: Scopes) -> Scopes:
        return Scopes(self.contacts | other.contacts, self.people | other.people)


def scopes_of(events: Iterable[Event]) -> Scopes:
    keys = projection.keys_for(events)
    return Scopes(keys.contacts | keys.decisions_of_contacts, keys.people)


@dataclass(frozen=True, slots=True)
class Refolded:
    """How many rows were written (changed, added or removed); the rest were untouched."""

    contacts: int
    children: int
    decisions: int
    people: int
    routes: int = 0


def refold(engine: Engine, scopes: Scopes) -> Refolded:
    """Refold ``scopes`` in server order in one transaction; write only rows that differ."""
    counts = {"contacts": 0, "children": 0, "decisions": 0, "people": 0, "routes": 0}
    with engine.begin() as conn:
        alone, together = _sharers(conn, scopes.contacts)
        for chunk in _chunks(sorted(alone)):
            _refold_contacts(conn, chunk, counts)
        if together:
            _refold_contacts(conn, sorted(together), counts)
        for chunk in _chunks(sorted(scopes.people)):
            _refold_people(conn, chunk, counts)
    return Refolded(**counts)


def refold_together(conn: Connection, contacts: frozenset[str]) -> Refolded:
    """``contacts`` and every contact sharing a route or decision id with them (as
    ``refold`` finds them), refolded in ONE fold in server order, in the caller's
    transaction: for a repair after a fix to the fold, where the stored rows that tell
    ``refold`` who shares what may be the wrong ones (``store.fold_fixes``)."""
    counts = {"contacts": 0, "children": 0, "decisions": 0, "people": 0, "routes": 0}
    alone, together = _sharers(conn, contacts)
    if alone or together:
        _refold_contacts(conn, sorted(alone | together), counts)
    return Refolded(**counts)


def _sharers(conn: Connection, contacts: frozenset[str]) -> tuple[set[str], set[str]]:
    """(``contacts`` that may be refolded in any chunks, contacts to refold in one fold).

    A route's row is its first opener's (``routes.apply_route_event``: a later
    ``route.opened`` of its id under another contact changes nothing), and a decision's
    row its first recorder's (``projection._decision``: a later recording or proposal of
    its id under another contact changes nothing), so each depends on every contact that
    names its id, not only on its own contact's events. A contact whose route events name a
    route id, or whose recordings name a decision id, whose row another contact holds is
    refolded in one fold with that contact, and so on from the contact added: folded apart,
    each wrote the row as its own events alone make it (a decision's stolen from its
    contact). The service never names one route or decision under two contacts, so
    ``together`` is normally empty; this reads the contacts' route events' and recordings'
    ids (the contact index) and their rows (the primary keys)."""
    seen, todo = set(contacts), sorted(contacts)
    together: set[str] = set()
    recording = sorted(projection.RECORDING_TYPES)
    types = rowread.placeholders(len(LIFECYCLE_TYPES) + len(recording))
    while todo:
        named: set[tuple[str, str, Any]] = set()  # (contact, "route" or "decision", id)
        for chunk in rowread.chunks(todo, 500):
            named.update(
                rowread.fetch(
                    conn,
                    "SELECT contact_id, CASE WHEN type LIKE 'route.%' THEN 'route' ELSE "
                    "'decision' END, json_extract(payload, CASE WHEN type LIKE 'route.%' "
                    "THEN '$.route_id' ELSE '$.decision_id' END) FROM events"
                    f" WHERE contact_id IN ({rowread.placeholders(len(chunk))})"
                    f" AND type || '' IN ({types})",  # the contact index, not the type's
                    [*chunk, *LIFECYCLE_TYPES, *recording],
                )
            )
        owner: dict[tuple[str, str], str] = {}
        for kind, table, key in (
            ("route", "routes", "route_id"),
            ("decision", "decisions", "decision_id"),
        ):
            ids = sorted({i for _, k, i in named if k == kind and isinstance(i, str)})
            for chunk in rowread.chunks(ids):
                for rid, cid in rowread.fetch(
                    conn,
                    f"SELECT {key}, contact_id FROM {table}"
                    f" WHERE {key} IN ({rowread.placeholders(len(chunk))})",
                    chunk,
                ):
                    owner[(kind, rid)] = cid
        added: set[str] = set()
        for cid, kind, rid in named:
            held = owner.get((kind, rid)) if isinstance(rid, str) else None
            if held is not None and held != cid:
                together.update((cid, held))
                if held not in seen:
                    added.add(held)
        seen |= added
        todo = sorted(added)
    return seen - together, together


def _in_server_order(conn: Connection, query: Select[Any]) -> ReadModel:
    """Fold the events ``query`` selects in the order every desk agrees on."""
    rejected = select(OUTBOX.c.event_id).where(OUTBOX.c.state == "rejected")
    rows = conn.execute(
        query.where(EVENTS.c.id.not_in(rejected)).order_by(
            EVENTS.c.server_seq.is_(None), EVENTS.c.server_seq, EVENTS.c.local_seq
        )
    ).mappings()
    return projection.apply_all(ReadModel(), (db_to_event(m) for m in rows))


def _refold_contacts(conn: Connection, ids: list[str], counts: dict[str, int]) -> None:
    wanted = set(ids)
    fresh = _in_server_order(conn, select(EVENTS).where(EVENTS.c.contact_id.in_(ids)))
    stored = readmodel.load(
        conn, Keys(contacts=frozenset(ids), decisions_of_contacts=frozenset(ids))
    )
    changed = ReadModel()
    changed.contacts, gone = _diff(
        {k: v for k, v in fresh.contacts.items() if k in wanted}, stored.contacts
    )
    _delete(conn, CONTACTS.c.contact_id, gone)
    changed.children, gone_children = _diff(
        {k: v for k, v in fresh.children.items() if k[0] in wanted}, stored.children
    )
    for chunk in _chunks(gone_children):
        conn.execute(
            delete(CHILDREN).where(tuple_(CHILDREN.c.contact_id, CHILDREN.c.slot).in_(chunk))
        )
    decisions, gone_decisions = _diff(
        {k: v for k, v in fresh.decisions.items() if v.contact_id in wanted}, stored.decisions
    )
    for row in decisions.values():
        changed.put_decision(row)
    _delete(conn, DECISIONS.c.decision_id, gone_decisions)
    stored_routes = {
        r.route_id: r for r in rowread.rows_in(conn, RouteRow, "contact_id", sorted(wanted))
    }
    changed.routes, gone_routes = _diff(
        {k: v for k, v in fresh.routes.items() if v.contact_id in wanted}, stored_routes
    )
    _delete(conn, ROUTES.c.route_id, gone_routes)
    readmodel.save(conn, changed)
    counts["routes"] += len(changed.routes) + len(gone_routes)
    counts["contacts"] += len(changed.contacts) + len(gone)
    counts["children"] += len(changed.children) + len(gone_children)
    counts["decisions"] += len(changed.decisions) + len(gone_decisions)


def _refold_people(conn: Connection, ids: list[str], counts: dict[str, int]) -> None:
    wanted = set(ids)
    about = select(EVENT_PEOPLE.c.local_seq).where(EVENT_PEOPLE.c.person_id.in_(ids))
    fresh = _in_server_order(conn, select(EVENTS).where(EVENTS.c.local_seq.in_(about)))
    stored = readmodel.load(conn, Keys(people=frozenset(ids)))
    changed = ReadModel()
    changed.people, gone = _diff(
        {k: v for k, v in fresh.people.items() if k in wanted}, stored.people
    )
    _delete(conn, PEOPLE.c.person_id, gone)
    readmodel.save(conn, changed)
    counts["people"] += len(changed.people) + len(gone)


def _diff(fresh: dict[Any, Any], stored: dict[Any, Any]) -> tuple[dict[Any, Any], list[Any]]:
    """(rows that are new or differ, keys of stored rows the refold no longer produces)."""
    differ = {k: row for k, row in fresh.items() if stored.get(k) != row}
    return differ, [k for k in stored if k not in fresh]


def _delete(conn: Connection, key: Any, ids: list[str]) -> None:
    for chunk in _chunks(ids):
        conn.execute(delete(key.table).where(key.in_(chunk)))
