"""Writing a whole rebuilt read model into empty projection tables, through the driver.

A rebuild writes one row per person, contact, child slot and decision (about 1.5 rows per
event). SQLAlchemy's ``insert`` with a list of dicts spent more per row building bind
parameters than SQLite spent storing it, so here each row becomes a plain tuple (a
function generated once per row class) and goes to ``executemany`` on the connection's
own cursor, in the same transaction. Values are what ``readmodel.row_to_db`` and
SQLAlchemy's JSON type would store: sequence and rationale columns as ``json.dumps`` text.
The incremental path (``readmodel.save``) is unchanged; the rebuild-equivalence tests
check both give the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from ..domain.classcache import per_class
from ..domain.projection import ContactChildRow, ContactRow, DecisionRow, PersonRow, ReadModel
from ..domain.routes import RouteRow
from .readmodel import _field_names
from .rowread import TABLE_OF

_dumps = json.dumps


def _seq_json(value: tuple[Any, ...]) -> str:
    if not value:
        return "[]"
    return _dumps([dict(v) if isinstance(v, Mapping) else v for v in value])


def _mapping_json(value: Mapping[str, Any]) -> str:
    return _dumps(dict(value))


@per_class
def _inserter(cls: type) -> tuple[str, Callable[[Any], tuple[Any, ...]]]:
    """(INSERT statement, row -> parameter tuple) for ``cls``'s table."""
    names = [name for name, _ in _field_names(cls)]
    values = []
    for name, is_seq in _field_names(cls):
        if is_seq:
            values.append(f"_seq_json(row.{name})")
        elif name in ("rationale", "answers"):
            values.append(f"_mapping_json(row.{name})")
        else:
            values.append(f"row.{name}")
    source = f"def params(row):\n    return ({', '.join(values)},)\n"
    scope: dict[str, Any] = {"_seq_json": _seq_json, "_mapping_json": _mapping_json}
    exec(compile(source, f"<inserter {cls.__name__}>", "exec"), scope)  # noqa: S102
    table = TABLE_OF[cls].name
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    return sql, scope["params"]


def insert_rows(conn: Connection, cls: type, rows: Iterable[Any]) -> None:
    sql, params = _inserter(cls)
    cursor = conn.connection.cursor()
    try:
        # sqlite3 and sqlcipher3 take any iterable (SQLAlchemy's DBAPI protocol asks for a
        # Sequence): the rows stream in rather than being copied into a second list first.
        cursor.executemany(sql, map(params, rows))  # type: ignore[arg-type]
    finally:
        cursor.close()


def save_all(conn: Connection, model: ReadModel) -> None:
    """Write a whole rebuilt model into empty projection tables."""
    insert_rows(conn, PersonRow, model.people.values())
    insert_rows(conn, ContactRow, model.contacts.values())
    insert_rows(conn, ContactChildRow, model.children.values())
    insert_rows(conn, DecisionRow, model.decisions.values())
    insert_rows(conn, RouteRow, model.routes.values())
