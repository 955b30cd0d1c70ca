"""People this desk holds whom the shared server withholds from its login.

The server hides a ``record.restricted`` event from everyone not named on it, so a desk
that pulled a child's records before the restriction cannot learn it from the log. After
each pull the sync engine asks ``dutydesk.withheld`` which of the people this desk holds
are withheld now and replaces this table with the answer in one transaction: lifting the
restriction (or naming this login, or its breaking the glass) brings the records back on
the next sync. ``access.restrictions`` reads it, so every guarded read treats a withheld
person like a restriction naming nobody. A standalone desk never writes it.

The answer is kept with what it covers (``checked``, in ``store_meta`` in the same
transaction): the server's ``dutydesk.withheld_stamp()`` read before the answer, and the
last local event whose people it covers. While the stamp stays the same, only the people
named by later events need asking (``people_named_after``, ``add``); see migration 0009.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, union

from . import rowread
from .eventstore import EVENT_PEOPLE, META
from .readmodel import PEOPLE, _chunks
from .schema import WITHHELD

CHECKED = "withheld_checked"  # "<stamp> <local_seq>": what the table's answer covers


@dataclass(frozen=True, slots=True)
class Checked:
    """The server's withheld stamp the last answer was taken under, and the last local
    event (``local_seq``) whose people that answer covered."""

    stamp: str
    upto: int


def checked(engine: Engine) -> Checked | None:
    """What the withheld list covers, or None (never asked, or forgotten)."""
    with engine.connect() as conn:
        return _checked(conn)


def _checked(conn: Connection) -> Checked | None:
    rows = rowread.fetch(conn, "SELECT value FROM store_meta WHERE key = ?", (CHECKED,))
    stamp, _, upto = (rows[0][0] if rows else "").partition(" ")
    if not stamp or not upto.isdigit():
        return None
    return Checked(stamp, int(upto))


def to_ask(engine: Engine) -> tuple[int, Checked | None, list[str]]:
    """What a refresh reads first, on one connection (each its own read, in this order, as
    three calls made them): ``last_local_seq``, ``checked`` and, when there is an answer,
    ``people_named_after`` what it covers (else ``[]``). Every pull runs it, on the
    hand-over's path (issue 19)."""
    with engine.connect() as conn:
        upto = _last_local_seq(conn)
        known = _checked(conn)
        return upto, known, _named_after(conn, known.upto) if known is not None else []


def forget_checked(engine: Engine) -> None:
    """The next refresh asks about everyone again (the server was restored or replaced)."""
    with engine.begin() as conn:
        conn.execute(delete(META).where(META.c.key == CHECKED))


def last_local_seq(engine: Engine) -> int:
    """The newest local event's ``local_seq`` (0 with none)."""
    with engine.connect() as conn:
        return _last_local_seq(conn)


def _last_local_seq(conn: Connection) -> int:
    return int(rowread.fetch(conn, "SELECT max(local_seq) FROM events")[0][0] or 0)


def people_named_after(engine: Engine, local_seq: int) -> list[str]:
    """The people named by events stored after ``local_seq`` (an indexed range read).

    Deduplicated here, not with SQL ``DISTINCT``: for that SQLite scanned the whole
    person-id index in order instead of the primary key's ``local_seq`` range, a read that
    grew with the log (61 ms per sync on a desk holding 150k events, issue 19)."""
    with engine.connect() as conn:
        return _named_after(conn, local_seq)


def _named_after(conn: Connection, local_seq: int) -> list[str]:
    # Plain SQL, not a statement compiled on each call (every pull reads it), through
    # ``exec_driver_sql`` so the engine's statement events see it (a test checks its plan).
    rows = conn.exec_driver_sql(
        "SELECT person_id FROM event_people WHERE local_seq > ?", (local_seq,)
    ).fetchall()
    return sorted({r[0] for r in rows if r[0]})


def held_people(engine: Engine) -> list[str]:
    """Every person id this desk holds (its people and the people its events name)."""
    with engine.connect() as conn:
        rows = conn.execute(union(select(PEOPLE.c.person_id), select(EVENT_PEOPLE.c.person_id)))
        return sorted({r[0] for r in rows if r[0]})


def replace(engine: Engine, person_ids: Iterable[str], covers: Checked | None = None) -> None:
    """The withheld people are exactly ``person_ids`` now, an answer that ``covers`` what
    it says (None: nothing, the next refresh asks about everyone). One transaction."""
    ids = sorted(set(person_ids))
    with engine.begin() as conn:
        conn.execute(delete(WITHHELD))
        if ids:
            conn.execute(insert(WITHHELD), [{"person_id": p} for p in ids])
        _write_checked(conn, covers)


def add(engine: Engine, person_ids: Iterable[str], covers: Checked) -> None:
    """``person_ids`` are withheld too, and the list now ``covers`` more (one transaction)."""
    ids = set(person_ids)
    with engine.begin() as conn:
        new = sorted(ids - withheld_among(conn, ids))
        if new:
            conn.execute(insert(WITHHELD), [{"person_id": p} for p in new])
        _write_checked(conn, covers)


def _write_checked(conn: Connection, covers: Checked | None) -> None:
    conn.execute(delete(META).where(META.c.key == CHECKED))
    if covers is not None:
        conn.execute(insert(META).values(key=CHECKED, value=f"{covers.stamp} {covers.upto}"))


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
