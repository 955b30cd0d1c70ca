"""Signing and reading the server's checkpoints (``dutydesk server checkpoint``).

``publish`` runs on the administrator's machine with the administrator's connection. In
one REPEATABLE READ snapshot, as the owner, it checks every checkpoint already known (on
the server and in the administrator's journal) against the log, then recomputes every
hash after the newest one up to the head, so a checkpoint is only ever signed over a log
that still extends what was signed before. Then it signs the head with the key from the
keyring (``dutydesk.config.checkpoint_key``), stores the checkpoint on the server and
appends it, with the hashes it covers, to the journal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from ...config import checkpoint_key
from ...domain.checkpoints import Checkpoint, CheckpointError, check, merge, sign
from ...domain.events import Event
from ...domain.hashchain import GENESIS, event_hash
from .admin import OWNER, AdminError, _connect, _first_line, _initialised

_ROWS = """SELECT seq, id::text, type, schema_version, actor, actor_role, device, client_time,
                  payload_text, server_time, hash, prev_hash
             FROM dutydesk.events WHERE seq > %s ORDER BY seq LIMIT %s"""


@dataclass(frozen=True, slots=True)
class Published:
    checkpoint: Checkpoint
    new: bool  # False: the head was already checkpointed
    key_made: bool  # a new key was made in the keyring now
    public_key: Path
    journal: Path | None


def read(conn: psycopg.Connection) -> list[Checkpoint]:
    """The checkpoints the server holds (any login may read them)."""
    return [
        Checkpoint(int(r[0]), r[1], str(r[2]), r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT seq, hash, epoch, signed_at, key_id, signature FROM dutydesk.checkpoints()"
        )
    ]


def publish(admin_dsn: str, folder: Path, *, batch: int = 5000) -> Published:
    key, made = checkpoint_key.load_private(create=True)
    assert key is not None
    public = key.public_key()
    journal = checkpoint_key.read_journal(folder)
    with _connect(admin_dsn) as conn:
        if not _initialised(conn):
            raise AdminError("this database has no DutyDesk schema; run `dutydesk server init`")
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.autocommit = False
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                if conn.execute("SELECT to_regclass('dutydesk.checkpoints')").fetchone() == (None,):
                    raise AdminError(
                        "the server has no checkpoint table; run `dutydesk server upgrade` first"
                    )
                epoch, head, head_hash = conn.execute(
                    "SELECT i.epoch::text, c.last_seq, c.last_hash FROM dutydesk.server_info i, "
                    "dutydesk.counter c"
                ).fetchone()  # type: ignore[misc]

                def hash_at(seq: int) -> str | None:
                    row = conn.execute(
                        "SELECT hash FROM dutydesk.events WHERE seq = %s", (seq,)
                    ).fetchone()
                    return None if row is None else str(row[0])

                every, missing = merge(read(conn), journal)
                report = check(
                    every, public, epoch=epoch, head_seq=int(head), hash_at=hash_at, missing=missing
                )
                if report.problem is not None:
                    raise CheckpointError(f"not signed: {report.problem}")
                base = report.latest
                if base is not None and base.seq == head:
                    return Published(
                        base, False, made, checkpoint_key.publish_public(folder, public), None
                    )
                hashes = _extend(conn, base, int(head), str(head_hash), batch)
                at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
                first = (base.seq if base is not None else 0) + 1
                cp = sign(key, int(head), str(head_hash), epoch, at, hashes=hashes, first=first)
                conn.execute(
                    "INSERT INTO dutydesk.checkpoints (seq, hash, epoch, signed_at, "
                    "key_id, signature) VALUES (%s, %s, %s, %s, %s, %s)",
                    (cp.seq, cp.hash, cp.epoch, cp.signed_at, cp.key_id, cp.signature),
                )
        except psycopg.Error as err:
            raise AdminError(f"the checkpoint could not be made: {_first_line(err)}") from err
    path = checkpoint_key.append_journal(folder, cp)
    return Published(cp, True, made, checkpoint_key.publish_public(folder, public), path)


def _extend(
    conn: psycopg.Connection, base: Checkpoint | None, head: int, head_hash: str, batch: int
) -> list[str]:
    """The hashes of (base, head], each recomputed from its content and linked to the one
    before; refuses (naming the sequence) where the log does not chain."""
    after = base.seq if base is not None else 0
    expected = base.hash if base is not None else GENESIS
    hashes: list[str] = []
    while after < head:
        rows = conn.execute(_ROWS, (after, batch)).fetchall()
        if not rows:
            break
        for r in rows:
            seq = int(r[0])
            if seq != after + 1:
                raise CheckpointError(
                    f"not signed: sequence {after + 1} is missing from the "
                    "log (deleted); check with `dutydesk audit verify "
                    "--server`"
                )
            e = Event(
                id=r[1],
                type=r[2],
                schema_version=r[3],
                actor=r[4],
                actor_role=r[5],
                device=r[6],
                client_time=r[7],
                payload=json.loads(r[8]),
                server_seq=seq,
                server_time=r[9],
                hash=r[10],
                prev_hash=r[11],
            )
            if e.prev_hash != expected or event_hash(expected, e) != e.hash:
                raise CheckpointError(
                    f"not signed: sequence {seq} does not chain to the one "
                    "before (edited or replaced); check with `dutydesk audit "
                    "verify --server`"
                )
            expected = str(e.hash)
            hashes.append(expected)
            after = seq
            if seq == head:
                break
    if after != head or expected != head_hash:
        raise CheckpointError(
            f"not signed: the counter says the log ends at sequence {head} "
            f"but the events end at {after} (cut off or rewritten)"
        )
    return hashes
