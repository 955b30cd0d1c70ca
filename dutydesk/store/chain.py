"""The event store with a local audit hash chain kept in the same transaction as each write.

``ChainedEventStore`` extends ``EventStore``: every insert (append, import, sync pull) also
extends the ``audit_chain`` table inside the same transaction, so an event is never in the
log without its link. ``verify_local_chain`` re-reads the log and the chain and names the
first event that was edited, deleted, inserted or moved outside DutyDesk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import zip_longest
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..domain.audit_chain import (
    GENESIS,
    Link,
    StoredEvent,
    Verdict,
    stored_event_hash,
    stored_row_hash,
    verify,
)
from ..domain.events import Event
from ..domain.hashchain import event_hash
from ..domain.server_chain import ChainReport, ChainRow, verify_server_chain
from ..domain.server_chain import HashFn as ServerHashFn
from . import rowread
from .database import open_engine
from .eventstore import (
    EVENTS,
    EventStore,
    db_to_event,
)
from .security_schema import AuditLink

CHAIN: Table = AuditLink.__table__  # type: ignore[assignment]


class ChainedEventStore(EventStore):
    """An ``EventStore`` whose every insert also extends the local audit chain."""

    @classmethod
    def open(cls, path: Path | str, key: bytes | None = None) -> ChainedEventStore:
        store = cls(open_engine(path, key=key))
        store.seal_older_store()
        return store

    def _insert(
        self,
        conn: Connection,
        events: list[Event],
        *,
        outbox: bool,
        texts: Mapping[str, str] | None = None,
    ) -> list[tuple[Any, ...]]:
        written = super()._insert(conn, events, outbox=outbox, texts=texts)
        # Linked from the values just written, in the order written (``local_seq``
        # follows it): the same columns a read-back would give, without reading them.
        if written:
            _link(conn, written)
        return written

    def seal_older_store(self) -> int:
        """Chain a store made before the chain existed (events, but no links yet).

        Only then: once a chain exists, an unchained event was added outside DutyDesk and
        must stay visible to ``verify``, not be sealed into the chain.
        """
        with self.engine.begin() as conn:
            if conn.execute(select(CHAIN.c.position).limit(1)).first() is not None:
                return 0
            ids = list(conn.execute(select(EVENTS.c.id).order_by(EVENTS.c.local_seq)).scalars())
            return extend(conn, ids) if ids else 0

    def verify_chain(self) -> Verdict:
        return verify_local_chain(self.engine)


def _tip(conn: Connection) -> tuple[int, str]:
    """(position, hash) of the last link; (0, GENESIS) for an empty chain."""
    rows = rowread.fetch(
        conn, "SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1"
    )
    if not rows:
        return 0, GENESIS
    return int(rows[0][0]), str(rows[0][1])


def extend(conn: Connection, event_ids: list[str]) -> int:
    """Chain events already stored, read back as stored, in arrival order. Returns links
    added. (Sealing an older store; an insert links what it writes, ``_link``.)"""
    rows: list[Any] = []
    for chunk in rowread.chunks(event_ids):  # read back as stored, through the driver
        rows.extend(
            rowread.fetch(
                conn,
                f"{_STORED_BY_ID} ({rowread.placeholders(len(chunk))})",
                chunk,
            )
        )
    rows.sort(key=_local_seq)
    return _link(conn, rows)


def _link(conn: Connection, rows: list[Any]) -> int:
    """Link ``rows`` after the chain's tip, in their order. Each row starts with
    ``stored_row_hash``'s columns (id, type, schema_version, actor, actor_role, device,
    client_time, payload as the stored canonical text), exactly what
    ``verify_local_chain`` re-hashes: the payload is hashed as text, never decoded and
    re-serialised."""
    position, prev = _tip(conn)
    links = []
    for offset, row in enumerate(rows, start=1):
        digest = stored_row_hash(prev, *row[:8])
        links.append((position + offset, row[0], prev, digest))
        prev = digest
    rowread.execute_many(
        conn,
        "INSERT INTO audit_chain (position, event_id, prev_hash, hash) VALUES (?, ?, ?, ?)",
        links,
    )
    return len(links)


# ``stored_row_hash``'s columns, in its order, then the arrival order.
_STORED_BY_ID = (
    "SELECT id, type, schema_version, actor, actor_role, device, client_time, payload, "
    "local_seq FROM events WHERE id IN"
)


def _local_seq(row: Any) -> int:
    return int(row[-1])


class _IdsOnDemand:
    """The ids a query returns, read only when first asked about: a whole-log set is
    needed only to explain a problem (a chain where every link names the event at its
    place never asks), so a clean verify neither reads nor holds it."""

    def __init__(self, conn: Connection, sql: str) -> None:
        self._conn, self._sql = conn, sql
        self._ids: set[str] | None = None

    def __contains__(self, item: object) -> bool:
        if self._ids is None:
            self._ids = {r[0] for r in rowread.stream(self._conn, self._sql)}
        return item in self._ids


def _local_links(conn: Connection) -> Iterator[Link]:
    """The log (in arrival order) beside the chain (in position order), read as driver
    tuples a batch at a time: a 1M-event verify neither builds ORM rows nor holds the log."""
    chained = _IdsOnDemand(conn, "SELECT event_id FROM audit_chain")
    events = (StoredEvent(*row) for row in rowread.stream(conn, _LOG_IN_ORDER))
    stored = rowread.stream(conn, _CHAIN_IN_ORDER)
    for pos, (event, link) in enumerate(zip_longest(events, stored), start=1):
        if link is None or (event is not None and event.id != link[1] and event.id not in chained):
            yield Link(pos, None, event, None, None)
        else:
            yield Link(pos, link[1], event, link[2], link[3])


_LOG_IN_ORDER = (
    "SELECT id, type, schema_version, actor, actor_role, device, client_time, payload "
    "FROM events ORDER BY local_seq"
)
_CHAIN_IN_ORDER = "SELECT position, event_id, prev_hash, hash FROM audit_chain ORDER BY position"


def _clean_links(conn: Connection) -> int | None:
    """The number of links when the whole chain is sound, else ``None``.

    The same checks ``verify`` makes on ``_local_links`` (the chain names the event the log
    holds at each place, links to the previous link's hash, and hashes the stored row), on
    the driver's tuples as they come: no ``StoredEvent``/``Link`` per row. It only says
    whether everything holds; the first problem is then found and explained by ``verify``.
    """
    expected_prev = GENESIS
    checked = 0
    dbapi = conn.connection
    # sqlite3/sqlcipher3 cursors are iterators (the DBAPI protocol does not say so).
    events: Any = dbapi.cursor()
    chain_rows: Any = dbapi.cursor()
    try:
        # The driver's cursors are iterated directly (rows fetched in C, no generator).
        events.execute(_LOG_IN_ORDER)
        chain_rows.execute(_CHAIN_IN_ORDER)
        for link in chain_rows:
            row = next(events, None)
            if row is None or row[0] != link[1] or link[2] != expected_prev:
                return None
            if stored_row_hash(expected_prev, *row) != link[3]:
                return None
            expected_prev = link[3] or ""
            checked += 1
        if next(events, None) is not None:  # an event the chain does not hold
            return None
    finally:
        events.close()
        chain_rows.close()
    return checked


def verify_local_chain(engine: Engine) -> Verdict:
    """Check the whole local chain; the verdict names the first bad link, if any."""
    with engine.connect() as conn:
        checked = _clean_links(conn)
        if checked is not None:
            return Verdict(checked, None)
        log_ids = _IdsOnDemand(conn, "SELECT id FROM events")
        # Payloads are hashed as the stored canonical text (the store's only write path,
        # ``event_to_db``, writes ``canonical_json``): any change of those bytes fails.
        return verify(_local_links(conn), hash_fn=stored_event_hash, log_ids=log_ids)


def verify_server_copy(
    engine: Engine, hash_fn: ServerHashFn = event_hash, genesis: str | None = GENESIS
) -> ChainReport:
    """Check the server's chain as this desk holds it: pulled events in ``server_seq`` order
    with the ``hash``/``prev_hash`` the server gave them, hashed with the server's function.
    Sequence numbers the desk never held (hidden from its login) are counted, not failed:
    the local chain above is what catches a pulled event deleted from this desk.
    """
    with engine.connect() as conn:
        rows = (
            ChainRow(db_to_event(m))
            for m in conn.execute(
                select(EVENTS).where(EVENTS.c.server_seq.is_not(None)).order_by(EVENTS.c.server_seq)
            ).mappings()
        )
        return verify_server_chain(rows, hash_fn=hash_fn, genesis=genesis)
