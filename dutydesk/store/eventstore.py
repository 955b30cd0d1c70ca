"""The local event log: append events and keep the projections in step, in one transaction.

Appending is all-or-nothing: a batch whose any event is invalid, or clashes with a stored
event of the same id, writes nothing. Replaying an identical event is a no-op, which makes
imports and sync idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ..domain import projection
from ..domain.errors import ValidationError
from ..domain.events import Event, canonical_json, check_envelope, check_pulled
from ..domain.routes import RouteRow
from . import bulkwrite, readmodel, rowread
from .database import open_engine
from .gcpause import collector_paused
from .schema import EVENT_PEOPLE, EVENTS
from .schema import META as META  # where the sync and withheld modules import it from
from .schema import OUTBOX as OUTBOX  # where the sync and MI modules import it from


class DuplicateEventError(ValidationError):
    """An event id already stored with different content: never overwritten."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    added: tuple[str, ...]
    already_present: tuple[str, ...]


def event_to_db(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "schema_version": event.schema_version,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "device": event.device,
        "client_time": event.client_time,
        "payload": canonical_json(event.payload),
        "contact_id": event.contact_id,
        "server_seq": event.server_seq,
        "server_time": event.server_time,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


_INSERT_EVENT = (
    "INSERT INTO events (id, type, schema_version, actor, actor_role, device, client_time, "
    "payload, contact_id, server_seq, server_time, hash, prev_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _event_values(e: Event, payload_text: str | None = None) -> tuple[Any, ...]:
    """``event_to_db(e)``'s values in ``_INSERT_EVENT``'s order (``payload_text``: the
    payload's canonical text, when the caller has it)."""
    return (
        e.id,
        e.type,
        e.schema_version,
        e.actor,
        e.actor_role,
        e.device,
        e.client_time,
        canonical_json(e.payload) if payload_text is None else payload_text,
        e.contact_id,
        e.server_seq,
        e.server_time,
        e.hash,
        e.prev_hash,
    )


def db_to_event(m: Any) -> Event:
    return Event(
        id=m["id"],
        type=m["type"],
        schema_version=m["schema_version"],
        actor=m["actor"],
        actor_role=m["actor_role"],
        device=m["device"],
        client_time=m["client_time"],
        payload=json.loads(m["payload"]),
        server_seq=m["server_seq"],
        server_time=m["server_time"],
        hash=m["hash"],
        prev_hash=m["prev_hash"],
    )


_EVENT_COLUMNS = (
    "id",
    "type",
    "actor",
    "actor_role",
    "device",
    "client_time",
    "payload",
    "schema_version",
    "server_seq",
    "server_time",
    "hash",
    "prev_hash",
    "local_seq",
)
_SERVER_SEQ_AT = _EVENT_COLUMNS.index("server_seq")
_LOCAL_SEQ_AT = _EVENT_COLUMNS.index("local_seq")
_SELECT_EVENTS = f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events"
_BY_SERVER_SEQ = f"{_SELECT_EVENTS} WHERE server_seq > ? ORDER BY server_seq LIMIT ?"
_LOCAL_NOT_REJECTED = (
    f"{_SELECT_EVENTS} WHERE server_seq IS NULL AND local_seq > ? AND id NOT IN "
    "(SELECT event_id FROM outbox WHERE state = 'rejected') ORDER BY local_seq LIMIT ?"
)
_loads = json.loads
_BATCH = 20_000
_BY_ID = f"{_SELECT_EVENTS} WHERE id = ?"
_GET_META = "SELECT value FROM store_meta WHERE key = ?"
_SET_META = (
    "INSERT INTO store_meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class _OutOfScope(Exception):
    """An event whose rows would fall outside its slice: fold the whole log instead."""


def _slice_expr(key_sql: str) -> str:
    """The slice of a text key in SQL: its last character's code point modulo the number
    of slices (``_slice_of`` in Python); NULL and '' fall in slice 0."""
    return f"coalesce(unicode(substr({key_sql}, -1)), 0) % ?"


def _slice_of(key: str, slices: int) -> int:
    return (ord(key[-1]) if key else 0) % slices


def _in_types(types: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{t}'" for t in sorted(types)) + ")"


# The rows of one slice: person events by the payload's person_id (a payload SQLite cannot
# read as JSON fails the query: the whole fold then meets it as before), the other
# read-model events by the contact_id column (checked against the payload once decoded).
_PERSON_KEY = "json_extract(payload, '$.person_id')"
_IN_SLICE = (
    f"((type IN {_in_types(projection.PERSON_EVENT_TYPES)} AND {_slice_expr(_PERSON_KEY)}"
    f" = ?) OR (type IN {_in_types(projection.CONTACT_EVENT_TYPES)} AND "
    f"{_slice_expr('contact_id')} = ?))"
)
_SLICE_BY_SERVER_SEQ = (
    f"{_SELECT_EVENTS} WHERE server_seq > ? AND {_IN_SLICE} ORDER BY server_seq LIMIT ?"
)
_SLICE_LOCAL_NOT_REJECTED = (
    f"{_SELECT_EVENTS} WHERE server_seq IS NULL AND local_seq > ? AND {_IN_SLICE} AND id NOT IN "
    "(SELECT event_id FROM outbox WHERE state = 'rejected') ORDER BY local_seq LIMIT ?"
)
# Events per slice of a rebuild (about half a read-model row each): a slice's model stays
# near 100 MB however long the log (``bench_store``: 1M events, 4 slices, ~400 MB peak).
SLICE_EVENTS = 300_000
# The rebuild's page cache: with the secondary indexes set aside while the tables fill,
# 64 MB is as fast as 256 MB was with them kept up to date, and it is resident memory.
REBUILD_CACHE_MB = 64


def _slices_for(events: int) -> int:
    return 1 + events // SLICE_EVENTS


def _count_server_order(conn: Connection) -> int:
    """The events a rebuild folds in order (``_iter_server_order``'s count)."""
    rows = rowread.fetch(
        conn,
        "SELECT (SELECT count(*) FROM events WHERE server_seq IS NOT NULL) + "
        "(SELECT count(*) FROM events WHERE server_seq IS NULL AND id NOT IN "
        "(SELECT event_id FROM outbox WHERE state = 'rejected'))",
    )
    return int(rows[0][0])


def _row_to_event(r: Sequence[Any]) -> Event:
    """An ``Event`` from a driver row of ``_EVENT_COLUMNS`` (as ``db_to_event`` gives)."""
    return Event(r[0], r[1], r[2], r[3], r[4], r[5], _loads(r[6]), r[7], r[8], r[9], r[10], r[11])


# For the other raw readers of the event table (``syncstate``): the columns of
# ``row_to_event``'s rows, in its order.
EVENT_COLUMNS = _EVENT_COLUMNS
row_to_event = _row_to_event


@contextmanager
def bulk_pragmas(conn: Connection, cache_mb: int = 256) -> Iterator[None]:
    """A large page cache while a rebuild rewrites every projection row (index pages stay
    in memory instead of being re-read); the connection's own setting comes back after."""
    before = rowread.fetch(conn, "PRAGMA cache_size")[0][0]
    rowread.fetch(conn, f"PRAGMA cache_size = {-cache_mb * 1024}")
    try:
        yield
    finally:
        rowread.fetch(conn, f"PRAGMA cache_size = {int(before)}")


def _in_transaction(conn: Connection) -> None:
    """Open ``conn``'s transaction now if nothing has opened it yet. The stdlib driver
    (and sqlcipher3) begins one only before an INSERT, UPDATE or DELETE: DDL run first
    would commit on its own, and a rebuild that failed after dropping its indexes left
    the tables without them."""
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        rowread.execute(conn, "BEGIN")


_PROJECTION_TABLES = ("people", "contacts", "contact_children", "decisions", "routes")
# The log's tables, whose secondary indexes (contact, type order, person) a load into an
# empty store sets aside. Unique indexes never are (``id``, ``server_seq``,
# ``event_people``'s key): they catch duplicates as the rows go in.
_LOG_TABLES = ("events", "event_people")


@contextmanager
def _indexes_set_aside(
    conn: Connection, tables: Sequence[str] = _PROJECTION_TABLES
) -> Iterator[None]:
    """``tables``' secondary indexes dropped while a rebuild (or a bulk load) fills them,
    then made again from their own stored definitions, in the same transaction: building
    an index from a full table sorts once, where keeping it up to date inserted every row
    at a random place in every index. Same tables, same indexes after. SQLite's DDL is
    transactional: a write that fails or is killed midway rolls the drops back too, once
    the transaction is open (``_in_transaction``)."""
    _in_transaction(conn)
    names = ", ".join(f"'{t}'" for t in tables)
    indexes = rowread.fetch(
        conn,
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({names}) ORDER BY name",
    )
    for name, _ in indexes:
        rowread.fetch(conn, f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        rowread.fetch(conn, sql)


class EventStore:
    """The local store. Thread use: one writer; in the app the session's writer thread,
    which also makes sync's writes (see ``store.database``); reads from any thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, path: Path | str) -> EventStore:
        return cls(open_engine(path))

    def close(self) -> None:
        self.engine.dispose()

    # ---- writing ---------------------------------------------------------------------

    def append(
        self, events: Sequence[Event], *, outbox: bool = True, validate: bool = True
    ) -> AppendResult:
        """Store ``events`` and update projections. ``outbox`` queues them for the server."""
        checked = [check_envelope(e) if validate else e for e in events]
        with self.engine.begin() as conn:
            return self._append_in(conn, checked, outbox=outbox)

    def append_pulled(self, events: Sequence[Event], payload_texts: Sequence[str]) -> AppendResult:
        """``append`` of events pulled from the server (not queued for it), each checked
        as ``append`` checks it, given ``payload_texts``: each payload's canonical text,
        already made by the caller (the pull hashed them to check the server's chain). A
        checked payload keeps its text when checking left it as it was; one that checking
        changed is serialised again (``check_pulled``), so the row is what ``append``
        writes."""
        pairs = [check_pulled(e, t) for e, t in zip(events, payload_texts, strict=True)]
        checked = [e for e, _ in pairs]
        texts = {e.id: t for e, t in pairs}
        with self.engine.begin() as conn:
            return self._append_in(conn, checked, outbox=False, texts=texts)

    def append_in(
        self,
        conn: Connection,
        events: Sequence[Event],
        *,
        outbox: bool = True,
        validate: bool = True,
    ) -> AppendResult:
        """``append`` inside the caller's transaction, so that other local writes (such as
        closing a pending link) commit or roll back together with the events."""
        checked = [check_envelope(e) if validate else e for e in events]
        return self._append_in(conn, checked, outbox=outbox)

    def _append_in(
        self,
        conn: Connection,
        checked: list[Event],
        *,
        outbox: bool,
        texts: Mapping[str, str] | None = None,
    ) -> AppendResult:
        """``texts``: event id -> the checked payload's canonical text, when known."""
        fresh, present = self._partition(conn, checked, texts)
        if not fresh:
            return AppendResult((), tuple(present))
        self._insert(conn, fresh, outbox=outbox, texts=texts)
        keys = projection.keys_for(fresh)
        row_only = projection.CONTACT_ROW_ONLY_TYPES
        model = readmodel.load(conn, keys, children=any(e.type not in row_only for e in fresh))
        loaded = readmodel.loaded_rows(model)
        projection.apply_all(model, fresh)
        readmodel.save(conn, readmodel.changed_since(model, loaded))
        return AppendResult(tuple(e.id for e in fresh), tuple(present))

    def import_events(
        self,
        events: Iterable[Event],
        *,
        batch: int = 10_000,
        outbox: bool = False,
        validate: bool = True,
    ) -> int:
        """Bulk-load many events, then rebuild projections once. For demo data and imports."""
        count = 0
        pending: list[Event] = []
        with collector_paused(), self.engine.begin() as conn:
            # Into an empty store (demo data, the bench's 1M) the log's secondary indexes
            # are built once from the full tables; into a store that holds events, kept
            # up to date (rebuilding them would sort the whole log for a few events).
            empty = not rowread.fetch(conn, "SELECT 1 FROM events LIMIT 1")
            with _indexes_set_aside(conn, _LOG_TABLES) if empty else nullcontext():
                for event in events:
                    pending.append(check_envelope(event) if validate else event)
                    if len(pending) >= batch:
                        count += self._insert_new(conn, pending, outbox)
                        pending = []
                if pending:
                    count += self._insert_new(conn, pending, outbox)
            self._rebuild(conn)
        return count

    def _insert_new(self, conn: Connection, events: list[Event], outbox: bool) -> int:
        fresh, _ = self._partition(conn, events)
        self._insert(conn, fresh, outbox=outbox)
        return len(fresh)

    def _partition(
        self, conn: Connection, events: list[Event], texts: Mapping[str, str] | None = None
    ) -> tuple[list[Event], list[str]]:
        ids = [e.id for e in events]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise DuplicateEventError(f"event {dup} appears twice in one batch", "id")
        stored: dict[str, str] = {}
        for chunk in rowread.chunks(ids):
            for row_id, row_type, row_payload in rowread.fetch(
                conn,
                f"SELECT id, type, payload FROM events WHERE id IN "
                f"({rowread.placeholders(len(chunk))})",
                chunk,
            ):
                stored[row_id] = row_type + "\x1f" + row_payload
        fresh, present = [], []
        for e in events:
            before = stored.get(e.id)
            if before is None:
                fresh.append(e)
            elif before == e.type + "\x1f" + (
                canonical_json(e.payload) if texts is None else texts[e.id]
            ):
                present.append(e.id)
            else:
                raise DuplicateEventError(
                    f"event {e.id} is already stored with different content; not overwritten", "id"
                )
        return fresh, present

    def _insert(
        self,
        conn: Connection,
        events: list[Event],
        *,
        outbox: bool,
        texts: Mapping[str, str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Insert ``events`` in order; returns the rows' values as written, in
        ``_INSERT_EVENT``'s column order (the chain hashes them). ``texts``: event id ->
        the payload's canonical text, when the caller has it."""
        if not events:
            return []
        # Straight to the driver, in the caller's transaction: the same values
        # ``event_to_db`` gives SQLAlchemy (text and integer columns, no type processing),
        # without building and compiling a statement per call.
        if texts is None:
            values = [_event_values(e) for e in events]
        else:
            values = [_event_values(e, texts[e.id]) for e in events]
        rowread.execute_many(conn, _INSERT_EVENT, values)
        with_people = [(e, ids) for e in events if (ids := e.person_ids)]
        if with_people:
            seqs = _local_seqs(conn, events, with_people)
            rowread.execute_many(
                conn,
                "INSERT INTO event_people (local_seq, person_id) VALUES (?, ?)",
                [(seqs[e.id], pid) for e, ids in with_people for pid in ids],
            )
        if outbox:
            rowread.execute_many(
                conn,
                "INSERT INTO outbox (event_id, state, attempts) VALUES (?, 'pending', 0)",
                [(e.id,) for e in events],
            )
        return values

    # ---- projections -------------------------------------------------------------------

    def rebuild(self) -> int:
        """Drop and rebuild every projection from the log. Returns the events folded."""
        with self.engine.begin() as conn:
            return self._rebuild(conn)

    def _rebuild(self, conn: Connection) -> int:
        """Refold every projection row: a slice of scopes at a time (``_fold_in_slices``),
        or the whole model at once when the log does not keep to the scopes."""
        count = _count_server_order(conn)
        with collector_paused(), bulk_pragmas(conn, REBUILD_CACHE_MB), _indexes_set_aside(conn):
            readmodel.clear(conn)
            if not self._fold_in_slices(conn, _slices_for(count)):
                readmodel.clear(conn)
                self._fold_whole(conn)
        return count

    def _fold_whole(self, conn: Connection) -> None:
        """Every event folded into one in-memory ``ReadModel``, then written: the reference
        the sliced fold is tested against, and its fallback."""
        model = projection.ReadModel()
        apply = projection.apply
        for event in self._iter_server_order(conn):
            apply(model, event)
        bulkwrite.save_all(conn, model)

    def _fold_in_slices(self, conn: Connection, slices: int) -> bool:
        """Fold and write the read model one slice of scopes at a time; ``False`` (nothing
        to keep) if an event strays outside its scope.

        A row depends only on the events of its own scope, in order (``store.refold``): a
        person's row on the person events naming that person, a contact's rows (contact,
        child slots, decisions) on the events naming that contact. Each pass reads, in the
        rebuild's order, only the events of the scopes whose key falls in its slice (by the
        key's last character, ``_slice_of``), folds them into a model of just those scopes,
        writes it and lets it go: memory holds one slice, not the whole read model. Events
        of types without a read model are not read at all (``apply`` ignores them).

        The slice is chosen in SQL from the ``contact_id`` column (and the payload's
        ``person_id``); each decoded event is checked against its pass. A key that is not
        text, a column that disagrees with its payload, or a decision named under two
        contacts (its row would cross scopes) returns ``False`` and the caller folds the
        whole log at once instead, so the rows are those of one whole fold either way."""
        try:
            self._fold_slices(conn, slices)
        except _OutOfScope:
            return False
        return True

    def _fold_slices(self, conn: Connection, slices: int) -> None:
        owner: dict[Any, Any] = {}
        person_types = projection.PERSON_EVENT_TYPES
        decision_refs = projection.decision_refs
        apply = projection.apply
        for part in range(slices):
            model = projection.ReadModel()
            for event in self._iter_slice(conn, slices, part):
                p = event.payload
                if event.type in person_types:
                    key = p.get("person_id")
                else:
                    key = p.get("contact_id")
                    if key is None and event.type == "partner_check.requested":
                        continue  # about no contact: its fold does nothing
                    for ref in decision_refs(event):
                        if not isinstance(ref, str) or owner.setdefault(ref, key) != key:
                            raise _OutOfScope
                    if event.type == "route.opened":
                        # a route's row is its first opener's: an id opened under two
                        # contacts crosses scopes (the whole fold ignores the second
                        # opening). Any other route event under another contact changes
                        # nothing in its own slice as in the whole fold: no fallback.
                        rid = p.get("route_id")
                        if owner.setdefault(("route", rid), key) != key:
                            raise _OutOfScope
                if not isinstance(key, str) or _slice_of(key, slices) != part:
                    raise _OutOfScope
                apply(model, event)
            bulkwrite.save_all(conn, model)

    def _iter_slice(self, conn: Connection, slices: int, part: int) -> Iterator[Event]:
        """``_iter_server_order``'s events of the read model's types in slice ``part``."""
        params = (slices, part, slices, part)
        for sql, at in (
            (_SLICE_BY_SERVER_SEQ, _SERVER_SEQ_AT),
            (_SLICE_LOCAL_NOT_REJECTED, _LOCAL_SEQ_AT),
        ):
            last = 0
            while True:
                try:
                    rows = rowread.fetch(conn, sql, (last, *params, _BATCH))
                except Exception as err:  # sqlite3's or sqlcipher3's OperationalError
                    if "malformed JSON" in str(err):
                        raise _OutOfScope from err
                    raise
                if not rows:
                    break
                yield from map(_row_to_event, rows)
                last = rows[-1][at]

    def read_model(self) -> projection.ReadModel:
        """Every projection row as a ``ReadModel`` (tests and exports; not for the GUI)."""
        keys = projection.Keys()
        with self.engine.connect() as conn:
            model = readmodel.load(conn, keys)
            for m in conn.execute(select(readmodel.PEOPLE)).mappings():
                model.people[m["person_id"]] = readmodel.db_to_row(projection.PersonRow, m)
            for m in conn.execute(select(readmodel.CONTACTS)).mappings():
                model.contacts[m["contact_id"]] = readmodel.db_to_row(projection.ContactRow, m)
            for m in conn.execute(select(readmodel.CHILDREN)).mappings():
                model.children[(m["contact_id"], m["slot"])] = readmodel.db_to_row(
                    projection.ContactChildRow, m
                )
            for m in conn.execute(select(readmodel.DECISIONS)).mappings():
                model.put_decision(readmodel.db_to_row(projection.DecisionRow, m))
            for m in conn.execute(select(readmodel.ROUTES)).mappings():
                model.routes[m["route_id"]] = readmodel.db_to_row(RouteRow, m)
        return model

    # ---- reading -----------------------------------------------------------------------

    def _iter(self, conn: Connection, batch: int = 20_000) -> Iterator[Event]:
        last = 0
        while True:
            rows = (
                conn.execute(
                    select(EVENTS)
                    .where(EVENTS.c.local_seq > last)
                    .order_by(EVENTS.c.local_seq)
                    .limit(batch)
                )
                .mappings()
                .all()
            )
            if not rows:
                return
            for m in rows:
                yield db_to_event(m)
            last = rows[-1]["local_seq"]

    def _iter_server_order(self, conn: Connection, batch: int = 20_000) -> Iterator[Event]:
        """The order every desk can agree on: the server's sequence, then this desk's events
        not yet accepted (in the order made). Events the server rejected are left out: the
        server is the authority, and they stay visible in the rejected list.

        Read with the driver's cursor (``_EVENT_SQL``): a rebuild reads every event, and
        SQLAlchemy's per-row result objects cost more than folding the event did."""
        last = 0
        while True:
            rows = rowread.fetch(conn, _BY_SERVER_SEQ, (last, batch))
            if not rows:
                break
            yield from map(_row_to_event, rows)
            last = rows[-1][_SERVER_SEQ_AT]
        last = 0
        while True:
            rows = rowread.fetch(conn, _LOCAL_NOT_REJECTED, (last, batch))
            if not rows:
                return
            yield from map(_row_to_event, rows)
            last = rows[-1][_LOCAL_SEQ_AT]

    def events(self) -> Iterator[Event]:
        """Every event in this desk's order. Streams in batches."""
        with self.engine.connect() as conn:
            yield from self._iter(conn)

    def events_for_contact(self, contact_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS).where(EVENTS.c.contact_id == contact_id).order_by(EVENTS.c.local_seq)
            ).mappings()
            return [db_to_event(m) for m in rows]

    def events_for_person(self, person_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS)
                .join(EVENT_PEOPLE, EVENT_PEOPLE.c.local_seq == EVENTS.c.local_seq)
                .where(EVENT_PEOPLE.c.person_id == person_id)
                .order_by(EVENTS.c.local_seq)
            ).mappings()
            return [db_to_event(m) for m in rows]

    def get_event(self, event_id: str) -> Event | None:
        with self.engine.connect() as conn:
            rows = rowread.fetch(conn, _BY_ID, (event_id,))
        return _row_to_event(rows[0]) if rows else None

    def event_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())

    def has_events(self) -> bool:
        """Whether the log holds any event: one row read, not a count of them all (a scan
        of an index of every event, 3 s of disk reads at 1M on a cold cache)."""
        with self.engine.connect() as conn:
            return conn.execute(select(EVENTS.c.local_seq).limit(1)).first() is not None

    # ---- small facts -----------------------------------------------------------------

    # Sync reads and writes these several times on every hand-over between desks: as
    # prepared SQL on the driver's connection, not SQLAlchemy statements (built, keyed and
    # compiled on each call: ~10x the statement's own cost; issue 19). No cache: the sync
    # engine, the withheld list, a reset and another process on the file all write them.

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            rows = rowread.fetch(conn, _GET_META, (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``. Text only: callers clear a fact with ``""`` (the
        sync engine's head, distrust and unchecked marks); anything else (None included)
        is refused with a ``TypeError`` naming the key, before the store is touched, rather
        than the driver's NOT NULL error or a number stored as text."""
        if not isinstance(value, str):
            raise TypeError(
                f"store meta {key!r}: the value must be text ('' clears it), "
                f"not {type(value).__name__}"
            )
        with self.engine.begin() as conn:
            rowread.execute(conn, _SET_META, (key, value))


def _local_seqs(
    conn: Connection, events: list[Event], wanted: list[tuple[Event, Any]]
) -> dict[str, int]:
    """Event id -> ``local_seq`` of ``events`` just inserted, in order, by one statement.
    SQLite gives each new row the largest rowid so far plus one, so they hold
    consecutive numbers ending at the connection's last inserted rowid: checked against
    the first event's stored number, and read back for ``wanted`` if that ever differs."""
    last = int(rowread.fetch(conn, "SELECT last_insert_rowid()")[0][0])
    first = last - len(events) + 1
    stored = rowread.fetch(conn, "SELECT local_seq FROM events WHERE id = ?", (events[0].id,))
    if stored and stored[0][0] == first:
        return {e.id: first + i for i, e in enumerate(events)}
    seqs: dict[str, int] = {}
    for chunk in rowread.chunks([e.id for e, _ in wanted]):
        seqs.update(
            rowread.fetch(
                conn,
                f"SELECT id, local_seq FROM events WHERE id IN "
                f"({rowread.placeholders(len(chunk))})",
                chunk,
            )
        )
    return seqs
