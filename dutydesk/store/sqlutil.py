"""Small SQL-building helpers shared by the store's queries."""

from __future__ import annotations

from sqlalchemy import BindParameter, Integer, bindparam


def literal_limit(n: int) -> BindParameter[int]:
    """A LIMIT rendered into the SQL text rather than bound as ``?``.

    SQLite cannot see a bound limit when it plans, and for a join of the large event table
    with a small one (the outbox) it then picks the plan that scans the event table in
    full. A literal lets it start from the small table. ``int()`` keeps it injection-safe.
    """
    return bindparam(None, int(n), type_=Integer, literal_execute=True)
