"""Moving projection rows between SQL and the pure ``ReadModel``.

The rules live in ``dutydesk.domain.projection``; this module only loads the rows an event
touches and writes back what changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, RowMapping, Table, delete, insert, select, tuple_

from ..domain.classcache import per_class
from ..domain.projection import (
    ContactChildRow,
    ContactRow,
    DecisionRow,
    Keys,
    PersonRow,
    ReadModel,
)
from .schema import (
    ContactChildProjection,
    ContactProjection,
    DecisionProjection,
    PersonProjection,
)

PEOPLE: Table = PersonProjection.__table__  # type: ignore[assignment]
CONTACTS: Table = ContactProjection.__table__  # type: ignore[assignment]
CHILDREN: Table = ContactChildProjection.__table__  # type: ignore[assignment]
DECISIONS: Table = DecisionProjection.__table__  # type: ignore[assignment]

R = TypeVar("R")

_TUPLE_FIELDS = {"other_names", "disabilities", "allowed", "categories", "reasons", "decision_ids"}


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


def load(conn: Connection, keys: Keys) -> ReadModel:
    """The rows ``keys`` names, as a partial read model."""
    model = ReadModel()
    people = sorted(keys.people)
    for chunk in _chunks(people):
        for m in conn.execute(select(PEOPLE).where(PEOPLE.c.person_id.in_(chunk))).mappings():
            model.people[m["person_id"]] = db_to_row(PersonRow, m)
    contacts = sorted(keys.contacts | keys.decisions_of_contacts)
    for chunk in _chunks(contacts):
        for m in conn.execute(select(CONTACTS).where(CONTACTS.c.contact_id.in_(chunk))).mappings():
            model.contacts[m["contact_id"]] = db_to_row(ContactRow, m)
        for m in conn.execute(select(CHILDREN).where(CHILDREN.c.contact_id.in_(chunk))).mappings():
            model.children[(m["contact_id"], m["slot"])] = db_to_row(ContactChildRow, m)
    for chunk in _chunks(sorted(keys.decisions_of_contacts)):
        for m in conn.execute(
            select(DECISIONS).where(DECISIONS.c.contact_id.in_(chunk))
        ).mappings():
            model.put_decision(db_to_row(DecisionRow, m))
    return model


def save(conn: Connection, model: ReadModel) -> None:
    """Replace every row ``model`` holds (delete then insert, so it is dialect-neutral)."""
    _replace(conn, PEOPLE, PEOPLE.c.person_id, list(model.people), model.people.values())
    _replace(conn, CONTACTS, CONTACTS.c.contact_id, list(model.contacts), model.contacts.values())
    if model.children:
        keys = list(model.children)
        for chunk in _chunks(keys):
            conn.execute(
                delete(CHILDREN).where(tuple_(CHILDREN.c.contact_id, CHILDREN.c.slot).in_(chunk))
            )
        conn.execute(insert(CHILDREN), [row_to_db(r) for r in model.children.values()])
    _replace(
        conn, DECISIONS, DECISIONS.c.decision_id, list(model.decisions), model.decisions.values()
    )


def _replace(conn: Connection, table: Table, key: Any, ids: list[str], rows: Iterable[Any]) -> None:
    if not ids:
        return
    for chunk in _chunks(ids):
        conn.execute(delete(table).where(key.in_(chunk)))
    insert_all(conn, table, rows)


def insert_all(conn: Connection, table: Table, rows: Iterable[Any], batch: int = 5000) -> None:
    pending: list[dict[str, Any]] = []
    for row in rows:
        pending.append(row_to_db(row))
        if len(pending) >= batch:
            conn.execute(insert(table), pending)
            pending = []
    if pending:
        conn.execute(insert(table), pending)


def clear(conn: Connection) -> None:
    for table in (CHILDREN, DECISIONS, CONTACTS, PEOPLE):
        conn.execute(delete(table))


def save_all(conn: Connection, model: ReadModel) -> None:
    """Write a whole rebuilt model into empty projection tables."""
    insert_all(conn, PEOPLE, model.people.values())
    insert_all(conn, CONTACTS, model.contacts.values())
    insert_all(conn, CHILDREN, model.children.values())
    insert_all(conn, DECISIONS, model.decisions.values())
