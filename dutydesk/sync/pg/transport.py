"""The PostgreSQL transport: submit, pull and pokes over psycopg, errors classified.

Two connections, both autocommit: one for calls (each ``submit`` is its own transaction
inside the server function), one that only LISTENs, so waiting for a poke never holds a
transaction open. A broken connection is dropped and reopened on the next call.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ...config.tls import DEFAULT_MODE, desk_sslmode, explain_connection_failure
from ...domain.checkpoints import Checkpoint, KeyRecord
from ...domain.events import Event, canonical_json
from ..identity import GROUP_ROLES, choose_role
from ..transport import (
    AuthenticationError,
    BatchRefused,
    Receipt,
    RetryableError,
    ServerIdentity,
    ServerState,
)

CHANNEL = "dutydesk_events"
WITHHELD_PART = 50_000  # ids per dutydesk.withheld call (its limit, migration 0009)
T = TypeVar("T")

# session_user, as submit() checks it (SET ROLE cannot change whose events these are).
_WHOAMI = """SELECT session_user, r.rolsuper OR r.rolbypassrls,
                    ARRAY(SELECT g FROM unnest(%s::text[]) AS g
                           WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g)
                             AND pg_has_role(session_user, g, 'MEMBER'))
               FROM pg_roles r WHERE r.rolname = session_user"""

_STATE = """SELECT s.epoch::text, s.schema_version, s.head_seq, dutydesk.rules_digest()
              FROM dutydesk.server_state() AS s"""
# The fast path's state: the same with the withheld stamp (0009), one round trip.
_QUICK_STATE = """SELECT s.epoch::text, s.schema_version, s.head_seq, dutydesk.rules_digest(),
                         dutydesk.withheld_stamp()
                    FROM dutydesk.server_state() AS s"""
_STATE_BEFORE_0010 = "SELECT epoch::text, schema_version, head_seq FROM dutydesk.server_state()"

# The columns of a server event as a desk reads them, in the order ``event_from_row`` takes.
EVENT_COLUMNS = """seq, id::text, type, schema_version, actor, actor_role, device, client_time,
                  payload_text, server_time, hash, prev_hash"""
# The published checkpoint keys (0008; the lost-key columns 0011), read one way by desks,
# the administrator's `server checkpoint` and `audit verify --server`.
KEY_QUERY = (
    "SELECT key_id, public_key, added_at, previous, previous_last_seq, signed_by_previous, "
    "signed_by_new, replaces_lost, lost_last_seq, loss_reason, loss_signature "
    "FROM dutydesk.checkpoint_keys()"
)


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def key_from_row(r: Sequence[Any]) -> KeyRecord:
    return KeyRecord(r[0], r[1], r[2], r[3], _int(r[4]), r[5], r[6], r[7], _int(r[8]), r[9], r[10])


_PULL = f"""SELECT {EVENT_COLUMNS}
             FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT %s"""


def event_from_row(r: Sequence[Any]) -> Event:
    """An :class:`Event` from the first twelve columns of a row selected as ``EVENT_COLUMNS``
    (pull, checkpoint signing and server audit all read events this one way)."""
    return Event(
        id=r[1],
        type=r[2],
        schema_version=r[3],
        actor=r[4],
        actor_role=r[5],
        device=r[6],
        client_time=r[7],
        payload=json.loads(r[8]),
        server_seq=r[0],
        server_time=r[9],
        hash=r[10],
        prev_hash=r[11],
    )


_RECEIPT = "id::text, status, seq, server_time, hash, prev_hash, reason"
_SUBMIT = f"SELECT {_RECEIPT} FROM dutydesk.submit(%s::jsonb)"
_SUBMIT_AT = f"SELECT {_RECEIPT} FROM dutydesk.submit_at(%s::uuid, %s, %s, %s, %s::jsonb)"
# What dutydesk.submit_at raises when the server is not the one the desk last checked.
SERVER_MOVED = "DD001"


def _submit_body(events: Sequence[Event]) -> str:
    """The JSON array ``dutydesk.submit`` takes: each event with its payload as the exact
    canonical text the desk hashed. ``BatchRefused`` for text that is not Unicode (a lone
    surrogate, in an event stored before desks refused it): psycopg would fail to encode
    it with an error outside ``psycopg.Error``, every round; refused, the engine sends the
    events one by one and marks that one rejected."""
    body = _submit_json(events)
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        raise BatchRefused(
            "an event's text is not Unicode (a lone surrogate); it cannot be sent"
        ) from None
    return body


def _submit_json(events: Sequence[Event]) -> str:
    return json.dumps(
        [
            {
                "id": e.id,
                "type": e.type,
                "schema_version": e.schema_version,
                "actor": e.actor,
                "actor_role": e.actor_role,
                "device": e.device,
                "client_time": e.client_time,
                "payload_text": canonical_json(e.payload),
            }
            for e in events
        ],
        ensure_ascii=False,
    )


def _receipts(rows: Sequence[Sequence[Any]], events: Sequence[Event]) -> list[Receipt]:
    receipts = [
        Receipt(
            event_id=r[0],
            status=r[1],
            seq=r[2],
            server_time=r[3],
            hash=r[4],
            prev_hash=r[5],
            reason=r[6],
        )
        for r in rows
    ]
    if len(receipts) != len(events):
        raise BatchRefused(f"the server answered {len(receipts)} of {len(events)} events")
    return receipts


def conninfo(
    *,
    host: str,
    port: int,
    database: str,
    user: str,
    sslmode: str = DEFAULT_MODE,
    sslrootcert: str = "",
    connect_timeout: int = 10,
) -> str:
    """A libpq connection string without the password (safe to show). TLS is required
    (``dutydesk.config.tls``): a weak sslmode to a server on the network raises
    ``TlsSettingError``."""
    mode = desk_sslmode(host, sslmode, sslrootcert)
    extra = {"sslrootcert": sslrootcert} if sslrootcert else {}
    return make_conninfo(
        host=host,
        port=port,
        dbname=database,
        user=user,
        sslmode=mode,
        connect_timeout=connect_timeout,
        application_name="dutydesk",
        **extra,
    )


def tls_required(dsn: str) -> str:
    """An administrator's connection string with DutyDesk's TLS rule applied: with no
    sslmode in it (or in PGSSLMODE), ``require`` (``verify-full`` with a ``sslrootcert``);
    a weak mode only to a server on this computer. Raises ``TlsSettingError``."""
    params = conninfo_to_dict(dsn)
    host = str(params.get("host") or os.environ.get("PGHOST") or "")
    given = str(params.get("sslmode") or os.environ.get("PGSSLMODE") or DEFAULT_MODE)
    rootcert = str(params.get("sslrootcert") or os.environ.get("PGSSLROOTCERT") or "")
    return make_conninfo(dsn, sslmode=desk_sslmode(host, given, rootcert))


def _explain(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def classify(err: psycopg.Error) -> Exception:
    """The sync error for a driver error: retryable, authentication, or refused."""
    sqlstate = getattr(err, "sqlstate", None) or ""
    message = _explain(err)
    if sqlstate.startswith("28") or "password authentication failed" in message:
        return AuthenticationError(f"the server refused the sign-in: {message}")
    tls = explain_connection_failure(message)
    if tls is not None:
        # Not fixed by retrying soon, but the administrator may fix it: keep retrying.
        return RetryableError(f"cannot connect securely to the server: {tls}")
    if isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
        # connection failures, admin shutdown (57P01), serialization (40001), deadlock (40P01)
        return RetryableError(f"the server could not be reached or asked to retry: {message}")
    return BatchRefused(f"the server refused the request: {message}")


class PgTransport:
    def __init__(self, dsn: str, password: str | None = None) -> None:
        self._dsn = dsn
        self._password = password
        self._conn: psycopg.Connection | None = None
        self._listener: psycopg.Connection | None = None

    def _open(self) -> psycopg.Connection:
        extra: dict[str, Any] = {"password": self._password} if self._password else {}
        return psycopg.connect(self._dsn, autocommit=True, **extra)

    def _call(self, work: Callable[[psycopg.Connection], T]) -> T:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._open()
            return work(self._conn)
        except psycopg.Error as err:
            if isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
                self._drop()
            raise classify(err) from err

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def state(self) -> ServerState:
        """The server's state and its rules digest in one round trip (migration 0010);
        a server older than 0010 has no ``rules_digest()``: its state alone, digest None
        (the engine then names the old schema)."""

        def read(c: psycopg.Connection) -> tuple[Any, ...] | None:
            try:
                return c.execute(_STATE).fetchone()
            except psycopg.errors.UndefinedFunction:
                row = c.execute(_STATE_BEFORE_0010).fetchone()
                return None if row is None else (*row, None)

        row = self._call(read)
        if row is None:
            raise BatchRefused("the server has no DutyDesk state; ask the administrator")
        return ServerState(
            epoch=row[0],
            schema_version=int(row[1]),
            head_seq=int(row[2]),
            rules_digest=None if row[3] is None else str(row[3]),
        )

    def quick_state(self) -> ServerState:
        """``state()`` and ``dutydesk.withheld_stamp()`` in one statement (one snapshot)."""
        return self._quick_state_of(
            self._call(lambda c: c.execute(_QUICK_STATE, prepare=True).fetchone())
        )

    @staticmethod
    def _quick_state_of(row: Sequence[Any] | None) -> ServerState:
        if row is None:
            raise BatchRefused("the server has no DutyDesk state; ask the administrator")
        return ServerState(
            epoch=row[0],
            schema_version=int(row[1]),
            head_seq=int(row[2]),
            rules_digest=None if row[3] is None else str(row[3]),
            withheld_stamp=None if row[4] is None else str(row[4]),
        )

    def quick_pull(self, after_seq: int, limit: int) -> tuple[ServerState, list[Event]]:
        """``quick_state()`` and ``pull(after_seq, limit)`` sent together in one pipeline:
        one network round trip. Two statements, two snapshots: events committed between
        them may come back past the state's head (they are pulled either way)."""

        def read(c: psycopg.Connection) -> tuple[Any, list[Any]]:
            with c.pipeline():
                state = c.execute(_QUICK_STATE, prepare=True)
                pulled = c.execute(_PULL, (after_seq, limit), prepare=True)
                return state.fetchone(), pulled.fetchall()

        row, rows = self._call(read)
        return self._quick_state_of(row), [event_from_row(r) for r in rows]

    def whoami(self, role: str | None = None) -> ServerIdentity:
        row = self._call(lambda c: c.execute(_WHOAMI, (list(GROUP_ROLES),)).fetchone())
        if row is None:
            raise BatchRefused("the server does not know this login")
        return choose_role(row[0], row[2], role, privileged=bool(row[1]))

    def directory(self) -> list[tuple[str, str, str]]:
        """(login, display name, group role) of every login in a DutyDesk group, from
        ``dutydesk.directory()``; empty from a server older than migration 0004."""

        def read(c: psycopg.Connection) -> list[tuple[str, str, str]]:
            there = c.execute(
                "SELECT to_regprocedure('dutydesk.directory()') IS NOT NULL"
            ).fetchone()
            if not (there and there[0]):
                return []
            return [
                (str(r[0]), str(r[1]), str(r[2]))
                for r in c.execute(
                    "SELECT login, display_name, role FROM dutydesk.directory()"
                ).fetchall()
            ]

        return self._call(read)

    def directory_digest(self) -> str:
        """md5 of the directory's rows in a fixed order (``Transport.directory_digest``);
        the server is at a schema with ``dutydesk.directory()`` (the engine checked)."""
        row = self._call(
            lambda c: c.execute(
                "SELECT md5(COALESCE(json_agg(json_build_array(login, display_name, role) "
                "ORDER BY login, role, display_name)::text, '')) FROM dutydesk.directory()"
            ).fetchone()
        )
        return str(row[0]) if row else ""

    def submit(self, events: Sequence[Event]) -> list[Receipt]:
        body = _submit_body(events)
        rows = self._call(lambda c: c.execute(_SUBMIT, (body,)).fetchall())
        return _receipts(rows, events)

    def submit_at(self, expect: ServerState, events: Sequence[Event]) -> list[Receipt] | None:
        """``dutydesk.submit_at`` (migration 0015): the submit in one round trip with the
        state check, refused whole (None, nothing stored) when the server's epoch, schema
        or rules digest is not ``expect``'s or its head is behind ``expect.head_seq``."""
        args = (
            expect.epoch,
            expect.schema_version,
            expect.rules_digest,
            expect.head_seq,
            _submit_body(events),
        )

        def send(c: psycopg.Connection) -> list[Any] | None:
            try:
                return c.execute(_SUBMIT_AT, args, prepare=True).fetchall()
            except psycopg.Error as err:
                if getattr(err, "sqlstate", None) == SERVER_MOVED:
                    return None
                raise

        rows = self._call(send)
        return None if rows is None else _receipts(rows, events)

    def pull(self, after_seq: int, limit: int) -> list[Event]:
        rows = self._call(lambda c: c.execute(_PULL, (after_seq, limit)).fetchall())
        return [event_from_row(r) for r in rows]

    def hash_at(self, seq: int) -> str | None:
        row = self._call(lambda c: c.execute("SELECT dutydesk.hash_at(%s)", (seq,)).fetchone())
        return None if row is None else row[0]

    def checkpoints(self, epoch: str, at: int | None = None) -> list[Checkpoint]:
        rows = self._call(
            lambda c: c.execute(
                "WITH c AS (SELECT * FROM dutydesk.checkpoints() WHERE epoch = %s::uuid) "
                "SELECT seq, hash, epoch::text, signed_at, key_id, signature FROM c "
                "WHERE seq = (SELECT max(seq) FROM c) OR seq = %s ORDER BY seq",
                (epoch, at),
            ).fetchall()
        )
        return [Checkpoint(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def checkpoint_keys(self) -> list[KeyRecord]:
        rows = self._call(lambda c: c.execute(KEY_QUERY).fetchall())
        return [key_from_row(r) for r in rows]

    def visible_count(self, after_seq: int, upto_seq: int) -> int:
        row = self._call(
            lambda c: c.execute(
                "SELECT count(*) FROM dutydesk.events WHERE seq > %s AND seq <= %s",
                (after_seq, upto_seq),
            ).fetchone()
        )
        return int(row[0]) if row else 0

    def range_check(
        self, after_seq: int, upto_seq: int, hash_seq: int | None
    ) -> tuple[int, str | None]:
        row = self._call(
            lambda c: c.execute(
                "SELECT (SELECT count(*) FROM dutydesk.events WHERE seq > %s AND seq <= %s), "
                "dutydesk.hash_at(%s::bigint)",
                (after_seq, upto_seq, hash_seq),
            ).fetchone()
        )
        return (int(row[0]), row[1]) if row else (0, None)

    def report_quarantine(self, seqs: Sequence[int]) -> int:
        def report(part: list[int]) -> int:
            row = self._call(
                lambda c: c.execute(
                    "SELECT dutydesk.report_quarantine(%s::bigint[])", (part,)
                ).fetchone()
            )
            return int(row[0]) if row and row[0] is not None else 0

        return sum(report(list(seqs[i : i + 1000])) for i in range(0, len(seqs), 1000))

    def withheld(self, person_ids: Sequence[str]) -> tuple[str, set[str]]:
        """``dutydesk.withheld_stamp`` and ``dutydesk.withheld`` (migrations 0006, 0009):
        the stamp in the same statement as the first part's answer (one snapshot), later
        parts of more than ``WITHHELD_PART`` ids after it."""
        ids = list(person_ids)
        first = ids[:WITHHELD_PART]
        row = self._call(
            lambda c: c.execute(
                "SELECT dutydesk.withheld_stamp(), ARRAY(SELECT dutydesk.withheld(%s::text[]))",
                (first,),
            ).fetchone()
        )
        if row is None or not row[0]:
            raise BatchRefused("the server gave no withheld stamp")

        def ask(part: list[str]) -> set[str]:
            return self._call(
                lambda c: {
                    str(r[0])
                    for r in c.execute("SELECT dutydesk.withheld(%s::text[])", (part,)).fetchall()
                }
            )

        found = {str(p) for p in row[1] or ()}
        for i in range(WITHHELD_PART, len(ids), WITHHELD_PART):
            found |= ask(ids[i : i + WITHHELD_PART])
        return str(row[0]), found

    def wait_for_poke(self, timeout: float) -> bool:
        try:
            if self._listener is None or self._listener.closed:
                self._listener = self._open()
                self._listener.execute(f"LISTEN {CHANNEL}")
            poked = False
            for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                poked = True
            if poked:  # several commits may have poked; one pull covers them all
                for _ in self._listener.notifies(timeout=0.0):
                    pass
            return poked
        except psycopg.Error as err:
            if self._listener is not None:
                self._listener.close()
            self._listener = None
            raise classify(err) from err

    def __enter__(self) -> PgTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
