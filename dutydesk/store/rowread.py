"""Bulk reads of projection rows straight from the SQLite driver.

Loading the open queue, triage's history and MI reads tens of thousands of rows at once.
Through SQLAlchemy's result layer each row costs a ``Row`` object, a mapping view, a type
processor call per JSON/Boolean column and a keyword-argument dataclass call; at 100,000
rows that was most of the load time. Here the same rows are fetched with the DBAPI cursor
of the caller's connection (same transaction) and built positionally by a small
constructor generated once per row class, converting exactly as ``readmodel.db_to_row``
after SQLAlchemy's processors would: JSON text -> ``json.loads`` (then a tuple for the
sequence fields), SQLite 0/1 -> ``bool`` (NULL stays ``None``). ``tests`` check both paths
give equal rows.

Only for the local store (SQLite / SQLCipher, ``?`` parameters); the SQL is written here.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import JSON, Boolean, ClauseElement, Connection, Table
from sqlalchemy.sql.compiler import SQLCompiler

from ..domain.classcache import per_class
from ..domain.projection import (
    ContactChildRow,
    ContactRow,
    DecisionRow,
    JSONText,
    PersonRow,
    QueueRow,
    decode_sequence,
)
from ..domain.routes import RouteRow
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, ROUTES, _field_names

R = TypeVar("R")

# SQLite allows 32,766 bound parameters; stay well under it per statement.
MAX_PARAMS = 10_000

TABLE_OF: dict[type, Table] = {
    PersonRow: PEOPLE,
    ContactRow: CONTACTS,
    QueueRow: CONTACTS,
    ContactChildRow: CHILDREN,
    DecisionRow: DECISIONS,
    RouteRow: ROUTES,
}

_loads = json.loads


_seq = decode_sequence


def _json(value: str | None) -> Any:
    return _loads(value) if value is not None else None


def _bool(value: int | None) -> bool | None:
    return bool(value) if value is not None else None


@per_class
def columns(cls: type) -> str:
    """The column list, in field order, for ``SELECT {columns(cls)} FROM ...``."""
    table = TABLE_OF[cls]
    return ", ".join(f"{table.name}.{name}" for name, _ in _field_names(cls))


@per_class
def _json_text_fields(cls: type) -> frozenset[str]:
    """The fields a row class keeps as the stored JSON text (typed ``JSONText``)."""
    return frozenset(n for n, t in typing.get_type_hints(cls).items() if t is JSONText)


@per_class
def row_maker(cls: type) -> Callable[[Sequence[Any]], Any]:
    """A function turning one driver tuple (columns in field order) into a ``cls`` row."""
    table = TABLE_OF[cls]
    text_fields = _json_text_fields(cls)
    args = []
    for i, (name, is_seq) in enumerate(_field_names(cls)):
        column_type = table.c[name].type
        if name in text_fields:
            args.append(f"r[{i}]")
        elif is_seq:
            args.append(f"_seq(r[{i}])")
        elif isinstance(column_type, JSON):
            args.append(f"_json(r[{i}])")
        elif isinstance(column_type, Boolean):
            args.append(f"_bool(r[{i}])")
        else:
            args.append(f"r[{i}]")
    # One positional call per row instead of a Python loop over 36 fields: generated once.
    source = f"def make(r):\n    return cls({', '.join(args)})\n"
    scope: dict[str, Any] = {"cls": cls, "_seq": _seq, "_json": _json, "_bool": _bool}
    exec(compile(source, f"<row_maker {cls.__name__}>", "exec"), scope)  # noqa: S102
    return scope["make"]


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Sequence[Any]:
    """All rows of ``sql`` as driver tuples, on ``conn``'s own DBAPI connection."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return cursor.fetchall()
    finally:
        cursor.close()


def stream(
    conn: Connection, sql: str, params: Sequence[Any] = (), arraysize: int = 2_000
) -> Generator[Any, None, None]:
    """Rows of ``sql`` as driver tuples, read a batch at a time (memory stays flat however
    large the table), on ``conn``'s own DBAPI connection."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        while batch := cursor.fetchmany(arraysize):
            yield from batch
    finally:
        cursor.close()


def fetch_statement(conn: Connection, statement: ClauseElement) -> Sequence[Any]:
    """All rows of a SQLAlchemy Core ``statement`` as plain driver tuples: compiled for the
    connection's dialect (expanding ``IN`` lists), no result processing, so Boolean columns
    come back as 0/1 and JSON as text. Parameters go to the driver as given (strings and
    numbers in this project's queries; no bind processors are applied)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {type(statement).__name__}")
    names = compiled.positiontup or ()
    return fetch(conn, str(compiled), [compiled.params[n] for n in names])


def rows(
    conn: Connection,
    cls: type[R],
    where: str = "",
    params: Sequence[Any] = (),
    *,
    order_by: str = "",
    joins: str = "",
) -> list[R]:
    """``cls`` rows of its table matching ``where`` (SQL with ``?`` parameters)."""
    table = TABLE_OF[cls].name
    sql = f"SELECT {columns(cls)} FROM {table} {joins}"
    if where:
        sql += f" WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    make = row_maker(cls)
    return [make(r) for r in fetch(conn, sql, params)]


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


def chunks(items: Iterable[Any], size: int = MAX_PARAMS) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_in(
    conn: Connection,
    cls: type[R],
    column: str,
    values: Iterable[Any],
    where: str = "",
    params: Sequence[Any] = (),
    *,
    order_by: str = "",
) -> list[R]:
    """``cls`` rows whose ``column`` is one of ``values`` (chunked), plus ``where``."""
    out: list[R] = []
    for chunk in chunks(values):
        clause = f"{column} IN ({placeholders(len(chunk))})"
        if where:
            clause += f" AND {where}"
        out.extend(rows(conn, cls, clause, [*chunk, *params], order_by=order_by))
    return out


# ---- writes ----------------------------------------------------------------------------
# Deleting the rows a local write replaces, on the caller's DBAPI connection (same
# transaction); the new rows go in through ``bulkwrite.insert_rows``. A decision's append
# replaced four projection tables' rows through SQLAlchemy's statement machinery, most of
# its time.


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement on ``conn``'s DBAPI connection; the rows it changed."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return int(cursor.rowcount)
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def delete_in(conn: Connection, table: str, column: str, values: Sequence[Any]) -> None:
    for chunk in chunks(values):
        execute(conn, f"DELETE FROM {table} WHERE {column} IN ({placeholders(len(chunk))})", chunk)


def delete_pairs(
    conn: Connection, table: str, columns: tuple[str, str], pairs: Sequence[tuple[Any, Any]]
) -> None:
    """Delete the rows whose two ``columns`` equal one of ``pairs``: one indexed equality
    per pair (a row-value ``IN (VALUES ...)`` list searched only the first column)."""
    execute_many(
        conn,
        f"DELETE FROM {table} WHERE {columns[0]} = ? AND {columns[1]} = ?",
        [tuple(pair) for pair in pairs],
    )
