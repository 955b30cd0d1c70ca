"""Moving projection rows between SQL and the pure ``ReadModel``.

The rules live in ``dutydesk.domain.projection``; this module only loads the rows an event
touches and writes back what changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, RowMapping, Table, and_, delete, insert

from ..domain.classcache import per_class
from ..domain.codes import STANDING_STATUSES
from ..domain.projection import (
    ContactChildRow,
    ContactRow,
    DecisionRow,
    Keys,
    PersonRow,
    ReadModel,
)
from ..domain.routes import RouteRow
from .schema import CHILDREN, CONTACTS, DECISIONS, PEOPLE, ROUTES


def standing() -> ColumnElement[bool]:
    """A decision row that stands (``codes.STANDING_STATUSES``, not superseded)."""
    d = DECISIONS.c
    return and_(d.status.in_(sorted(STANDING_STATUSES)), d.superseded.is_(False))


R = TypeVar("R")

_TUPLE_FIELDS = {
    "other_names",
    "disabilities",
    "allowed",
    "categories",
    "reasons",
    "decision_ids",
    "steps",
}


@per_class
def _field_names(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, is_sequence) for each field: computed once per row class, not per row."""
    return tuple((f.name, f.name in _TUPLE_FIELDS) for f in dataclasses.fields(cls))


def row_to_db(row: Any) -> dict[str, Any]:
    out = {}
    for name, is_seq in _field_names(type(row)):
        value = getattr(row, name)
        if is_seq:
            value = [dict(v) if isinstance(v, Mapping) else v for v in value]
        elif name in ("rationale", "answers"):
            value = dict(value)
        out[name] = value
    return out


def db_to_row(cls: type[R], mapping: Mapping[str, Any] | RowMapping) -> R:
    kwargs = {}
    for name, is_seq in _field_names(cls):
        value = mapping[name]
        if is_seq:
            value = tuple(value or ())
        elif name == "answers":
            value = dict(value or {})
        kwargs[name] = value
    return cls(**kwargs)


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load(conn: Connection, keys: Keys, *, children: bool = True) -> ReadModel:
    """The rows ``keys`` names, as a partial read model (read straight from the driver:
    ``rowread``, the same rows ``db_to_row`` gives). ``children=False``: not the contacts'
    child slots (for events that fold into the contact row alone,
    ``projection.CONTACT_ROW_ONLY_TYPES``)."""
    from . import rowread  # (rowread builds on this module's tables)

    model = ReadModel()
    for person in rowread.rows_in(conn, PersonRow, "person_id", sorted(keys.people)):
        model.people[person.person_id] = person
    contacts = sorted(keys.contacts | keys.decisions_of_contacts)
    for contact in rowread.rows_in(conn, ContactRow, "contact_id", contacts):
        model.contacts[contact.contact_id] = contact
    for child in rowread.rows_in(conn, ContactChildRow, "contact_id", contacts if children else ()):
        model.children[(child.contact_id, child.slot)] = child
    for decision in rowread.rows_in(
        conn, DecisionRow, "contact_id", sorted(keys.decisions_of_contacts)
    ):
        model.put_decision(decision)
    # a recorded id's row, whoever's it is (``projection._decision``: another contact's is
    # left alone); nearly always one just loaded or none
    recorded = sorted(keys.decisions - model.decisions.keys())
    for decision in rowread.rows_in(conn, DecisionRow, "decision_id", recorded):
        model.put_decision(decision)
    for route in rowread.rows_in(conn, RouteRow, "route_id", sorted(keys.routes)):
        model.routes[route.route_id] = route
    return model


def loaded_rows(model: ReadModel) -> ReadModel:
    """The rows ``model`` holds now (the dictionaries copied, the rows shared): what
    ``changed_since`` compares with after events are folded into ``model``."""
    return ReadModel(
        dict(model.people),
        dict(model.contacts),
        dict(model.children),
        dict(model.decisions),
        routes=dict(model.routes),
    )


def changed_since(model: ReadModel, loaded: ReadModel) -> ReadModel:
    """The rows of ``model`` that folding made or replaced since ``loaded``.

    Rows are frozen and the projection replaces a row to change it, so a row that is still
    the very object loaded is the stored row, and writing it again (delete, then insert
    the same values) would change nothing: a ``contact.rated`` append rewrote the
    contact's child slots with every rating. ``refold`` writes only differing rows too."""
    changed = ReadModel(
        {k: r for k, r in model.people.items() if loaded.people.get(k) is not r},
        {k: r for k, r in model.contacts.items() if loaded.contacts.get(k) is not r},
        {k: r for k, r in model.children.items() if loaded.children.get(k) is not r},
        routes={k: r for k, r in model.routes.items() if loaded.routes.get(k) is not r},
    )
    for key, row in model.decisions.items():
        if loaded.decisions.get(key) is not row:
            changed.put_decision(row)
    return changed


def save(conn: Connection, model: ReadModel) -> None:
    """Replace every row ``model`` holds (delete then insert), through the driver."""
    from . import bulkwrite, rowread

    if model.people:
        rowread.delete_in(conn, PEOPLE.name, "person_id", list(model.people))
        bulkwrite.insert_rows(conn, PersonRow, model.people.values())
    if model.contacts:
        rowread.delete_in(conn, CONTACTS.name, "contact_id", list(model.contacts))
        bulkwrite.insert_rows(conn, ContactRow, model.contacts.values())
    if model.children:
        rowread.delete_pairs(conn, CHILDREN.name, ("contact_id", "slot"), list(model.children))
        bulkwrite.insert_rows(conn, ContactChildRow, model.children.values())
    if model.decisions:
        rowread.delete_in(conn, DECISIONS.name, "decision_id", list(model.decisions))
        bulkwrite.insert_rows(conn, DecisionRow, model.decisions.values())
    if model.routes:
        rowread.delete_in(conn, ROUTES.name, "route_id", list(model.routes))
        bulkwrite.insert_rows(conn, RouteRow, model.routes.values())


def insert_all(conn: Connection, table: Table, rows: Iterable[Any], batch: int = 5000) -> None:
    """Through SQLAlchemy: the reference the driver-level writes are tested against."""
    pending: list[dict[str, Any]] = []
    for row in rows:
        pending.append(row_to_db(row))
        if len(pending) >= batch:
            conn.execute(insert(table), pending)
            pending = []
    if pending:
        conn.execute(insert(table), pending)


def clear(conn: Connection) -> None:
    for table in (CHILDREN, DECISIONS, CONTACTS, PEOPLE, ROUTES):
        conn.execute(delete(table))


def save_all(conn: Connection, model: ReadModel) -> None:
    """Write a whole rebuilt model into empty projection tables."""
    insert_all(conn, PEOPLE, model.people.values())
    insert_all(conn, CONTACTS, model.contacts.values())
    insert_all(conn, CHILDREN, model.children.values())
    insert_all(conn, DECISIONS, model.decisions.values())
    insert_all(conn, ROUTES, model.routes.values())
