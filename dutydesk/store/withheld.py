"""People this desk holds whom the shared server withholds from its login.

The server hides a ``record.restricted`` event from everyone not named on it, so a desk
that pulled a child's records before the restriction cannot learn it from the log. After
each pull the sync engine asks ``dutydesk.withheld`` which of the people this desk holds
are withheld now and replaces this table with the answer in one transaction: lifting the
restriction (or naming this login, or its breaking the glass) brings the records back on
the next sync. ``access.restrictions`` reads it, so every guarded read treats a withheld
person like a restriction naming nobody. A standalone desk never writes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, Table, delete, insert, select, union

from .eventstore import EVENT_PEOPLE
from .readmodel import PEOPLE, _chunks
from .schema import WithheldPerson

WITHHELD: Table = WithheldPerson.__table__  # type: ignore[assignment]


def held_people(engine: Engine) -> list[str]:
    """Every person id this desk holds (its people and the people its events name)."""
    with engine.connect() as conn:
        rows = conn.execute(union(select(PEOPLE.c.person_id), select(EVENT_PEOPLE.c.person_id)))
        return sorted({r[0] for r in rows if r[0]})


def replace(engine: Engine, person_ids: Iterable[str]) -> None:
    """The withheld people are exactly ``person_ids`` now (one transaction)."""
    ids = sorted(set(person_ids))
    with engine.begin() as conn:
        conn.execute(delete(WITHHELD))
        if ids:
            conn.execute(insert(WITHHELD), [{"person_id": p} for p in ids])


def withheld_among(conn: Connection, person_ids: Iterable[str]) -> set[str]:
    """Which of ``person_ids`` the server withholds from this desk's login."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(person_ids))):
        found.update(
            r[0]
            for r in conn.execute(
                select(WITHHELD.c.person_id).where(WITHHELD.c.person_id.in_(chunk))
            )
        )
    return found
