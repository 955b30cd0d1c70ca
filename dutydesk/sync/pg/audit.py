"""Reading the shared server's log for ``dutydesk audit verify --server``.

One read-only REPEATABLE READ transaction, so the walk sees one snapshot of the log
however long it takes and however many desks write meanwhile. Events are read in ``seq``
order in batches (keyset, never OFFSET) with both copies of each payload: the canonical
text that was hashed and the JSON copy that row-level security and queries use.

Row-level security applies to whoever runs this: an administrator sees every event; an
auditor or duty manager does not see events on restricted records they are not named on.
Those are not skipped silently: ``hash_at`` (a SECURITY DEFINER function that reveals only
hashes) tells a hidden event from a deleted one, and the report counts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ...domain.checkpoints import Checkpoint, KeyRecord
from ...domain.server_chain import ChainRow, Columns
from ..transport import SyncError
from .transport import EVENT_COLUMNS, classify, event_from_row

_ROWS = f"""SELECT {EVENT_COLUMNS},
                  payload::text, person_ids::text[], contact_id::text, submitted_by
             FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT %s"""


def password_free(dsn: str) -> tuple[str, str]:
    """(login, "host:port") of ``dsn`` for the keyring; refuses a DSN carrying a password,
    because a command line is visible to every user of the computer."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as err:
        raise SyncError(f"--dsn is not a PostgreSQL connection string: {err}") from err
    if parts.get("password"):
        raise SyncError(
            "--dsn must not contain the password: set DUTYDESK_PASSWORD or let the keyring hold it"
        )
    user = str(parts.get("user") or "")
    host = str(parts.get("host") or "localhost")
    return user, f"{host}:{parts.get('port') or 5432}"


class ServerLog:
    """The server's event log as this login may read it, in one consistent snapshot."""

    def __init__(self, dsn: str, password: str | None = None) -> None:
        extra: dict[str, Any] = {"password": password} if password else {}
        try:
            self._conn = psycopg.connect(dsn, application_name="dutydesk-audit", **extra)
            self._conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._conn.read_only = True
        except psycopg.Error as err:
            raise classify(err) from err

    def head_seq(self) -> int:
        """The last sequence number the server handed out (its counter, not the rows)."""
        row = self._one("SELECT head_seq FROM dutydesk.server_state()", ())
        return int(row[0]) if row else 0

    def epoch(self) -> str:
        row = self._one("SELECT epoch::text FROM dutydesk.server_state()", ())
        return str(row[0]) if row else ""

    def checkpoints(self) -> list[Checkpoint]:
        """The signed checkpoints the server holds (``dutydesk server checkpoint``)."""
        try:
            from .checkpoints import read

            return read(self._conn)
        except psycopg.Error as err:
            raise classify(err) from err

    def checkpoint_keys(self) -> list[KeyRecord]:
        """The checkpoint keys the server publishes, with their key changes (0008)."""
        try:
            from .checkpoints import read_keys

            return read_keys(self._conn)
        except psycopg.Error as err:
            raise classify(err) from err

    def hash_at(self, seq: int) -> str | None:
        row = self._one("SELECT dutydesk.hash_at(%s)", (seq,))
        return None if row is None else row[0]

    def rows(self, batch: int = 5000) -> Iterator[ChainRow]:
        after = 0
        while True:
            try:
                found = self._conn.execute(_ROWS, (after, batch)).fetchall()
            except psycopg.Error as err:
                raise classify(err) from err
            for r in found:
                yield ChainRow(
                    event_from_row(r),
                    json.loads(r[12]),
                    Columns(tuple(r[13] or ()), r[14], r[15]),
                )
            if len(found) < batch:
                return
            after = found[-1][0]

    def server_check(self, batch: int = 5000) -> tuple[int, str | None]:
        """The server's own walk (``dutydesk.chain_check``) over every event, hidden ones
        included: (events checked, the first problem as "sequence N: what" or None). It
        answers sequence numbers only, never content."""
        after, total = 0, 0
        while True:
            row = self._one(
                "SELECT checked, last_seq, bad_seq, problem FROM dutydesk.chain_check(%s, %s)",
                (after, batch),
            )
            if row is None:
                return total, None
            checked, last, bad, problem = row
            total += int(checked)
            if problem is not None:
                where = f"sequence {bad}" if bad else "the restrictions table"
                return total, f"{where}: {problem}"
            if int(checked) < batch:
                return total, None
            after = int(last)

    def _one(self, query: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        try:
            return self._conn.execute(query, params).fetchone()
        except psycopg.Error as err:
            raise classify(err) from err

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ServerLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
