"""Signing and reading the server's checkpoints (``dutydesk server checkpoint``).

``publish`` runs on the administrator's machine with the administrator's connection. In
one REPEATABLE READ snapshot, as the owner, it checks every checkpoint already known (on
the server and in the administrator's journal) against the log, then recomputes every
hash after the newest one up to the head, so a checkpoint is only ever signed over a log
that still extends what was signed before. Then it signs the head with the key from the
keyring (``dutydesk.config.checkpoint_key``), stores the checkpoint on the server and
appends it, with the hashes it covers, to the journal. The first time it also publishes
the key on the server (``dutydesk.checkpoint_keys``, migration 0008) for desks to pin.

Run with nothing new since the last checkpoint, it writes nothing (no row, no journal
line, no file) and reads no event: one query for the hashes at the checkpoints' sequences,
so running it every few minutes from a timer costs next to nothing (docs/deploy.md).

``rotate`` changes the key: the old key signs the head a last time, a new key is made and
kept in the keyring as pending, the server records the change signed by both keys (the
old key is retired after its last checkpoint), and only then does the new key replace the
old one in the keyring. A change interrupted half-way is finished or undone by the next
run, according to what the server recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from ...config import checkpoint_key
from ...domain.checkpoints import (
    Checkpoint,
    CheckpointError,
    KeyRecord,
    check,
    endorse,
    first_key,
    from_raw_b64,
    key_id,
    key_ring,
    merge,
    replace_lost,
    sign,
)
from ...domain.hashchain import GENESIS, hash_matches
from .admin import OWNER, AdminError, _connect, _first_line, _initialised
from .transport import EVENT_COLUMNS, KEY_QUERY, event_from_row, key_from_row

_ROWS = f"""SELECT {EVENT_COLUMNS}
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


def read_keys(conn: psycopg.Connection) -> list[KeyRecord]:
    """The checkpoint keys the server publishes (any login may read them)."""
    return [key_from_row(r) for r in conn.execute(KEY_QUERY)]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _owner_snapshot(conn: psycopg.Connection) -> None:
    if not _initialised(conn):
        raise AdminError("this database has no DutyDesk schema; run `dutydesk server init`")
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.autocommit = False


def _require_tables(conn: psycopg.Connection) -> None:
    for table in ("checkpoints", "checkpoint_keys"):
        if conn.execute(f"SELECT to_regclass('dutydesk.{table}')").fetchone() == (None,):
            raise AdminError(
                f"the server has no {table} table; run `dutydesk server upgrade` first"
            )


def _settle_pending(records: list[KeyRecord]) -> None:
    """A key change interrupted after the keyring kept the new key: adopt it if the
    server recorded the change, else forget it."""
    pending = checkpoint_key.load_pending()
    if pending is None:
        return
    kid = key_id(pending.public_key())
    checkpoint_key.finish_pending(adopted=any(r.key_id == kid for r in records))


def _current(records: list[KeyRecord]) -> str | None:
    """The key the server's chain of keys ends with (None: no key published yet); a key
    declared lost (``new_key``) is not current."""
    replaced = {r.previous for r in records} | {r.replaces_lost for r in records}
    tips = [r.key_id for r in records if r.key_id not in replaced]
    return tips[0] if len(tips) == 1 else None


def publish(admin_dsn: str, folder: Path, *, batch: int = 5000) -> Published:
    with _connect(admin_dsn) as conn:
        _owner_snapshot(conn)
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                _require_tables(conn)
                _settle_pending(read_keys(conn))
        except psycopg.Error as err:
            raise AdminError(f"the checkpoint could not be made: {_first_line(err)}") from err
    key, made = checkpoint_key.load_private(create=True)
    assert key is not None
    public = key.public_key()
    journal = checkpoint_key.read_journal(folder)
    with _connect(admin_dsn) as conn:
        _owner_snapshot(conn)
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                epoch, head, head_hash = conn.execute(
                    "SELECT i.epoch::text, c.last_seq, c.last_hash FROM dutydesk.server_info i, "
                    "dutydesk.counter c"
                ).fetchone()  # type: ignore[misc]
                records = read_keys(conn)
                current = _current(records)
                if records and current != key_id(public):
                    raise CheckpointError(
                        f"not signed: this computer's checkpoint key {key_id(public)} is not "
                        f"the server's current checkpoint key {current or '(unclear)'}; sign "
                        "on the administrator's computer that holds it"
                    )
                every, missing = merge(read(conn), journal)
                known = _hashes_at(conn, [c.seq for c in every])

                def hash_at(seq: int) -> str | None:
                    if seq in known:
                        return known[seq]
                    row = conn.execute(
                        "SELECT hash FROM dutydesk.events WHERE seq = %s", (seq,)
                    ).fetchone()  # only to place a change (binary search)
                    return None if row is None else str(row[0])

                report = check(
                    every,
                    key_ring(records, public),
                    epoch=epoch,
                    head_seq=int(head),
                    hash_at=hash_at,
                    missing=missing,
                )
                if report.problem is not None:
                    raise CheckpointError(f"not signed: {report.problem}")
                if not records:  # the first key: published for desks to pin
                    _insert_key(conn, first_key(public, _now()))
                base = report.latest
                if base is not None and base.seq == head:
                    return Published(
                        base, False, made, checkpoint_key.publish_public(folder, public), None
                    )
                hashes = _extend(conn, base, int(head), str(head_hash), batch)
                at = _now()
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


def _hashes_at(conn: psycopg.Connection, seqs: list[int]) -> dict[int, str]:
    """The log's hash at each of ``seqs``, in one query (absent: no event there)."""
    return {
        int(r[0]): str(r[1])
        for r in conn.execute(
            "SELECT seq, hash FROM dutydesk.events WHERE seq = ANY(%s::bigint[])", (seqs,)
        )
    }


def _insert_key(conn: psycopg.Connection, r: KeyRecord) -> None:
    conn.execute(
        "INSERT INTO dutydesk.checkpoint_keys (key_id, public_key, added_at, previous, "
        "previous_last_seq, signed_by_previous, signed_by_new, replaces_lost, lost_last_seq, "
        "loss_reason, loss_signature) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            r.key_id,
            r.public_key,
            r.added_at,
            r.previous,
            r.previous_last_seq,
            r.signed_by_previous,
            r.signed_by_new,
            r.replaces_lost,
            r.lost_last_seq,
            r.loss_reason,
            r.loss_signature,
        ),
    )


@dataclass(frozen=True, slots=True)
class Rotated:
    last: Published  # the old key's last checkpoint
    change: KeyRecord  # the new key, endorsed by both
    public_key: Path
    retired_key: Path


def rotate(admin_dsn: str, folder: Path) -> Rotated:
    """Change the checkpoint key (see the module's docstring)."""
    last = publish(admin_dsn, folder)  # the old key signs the head a last time
    old, _ = checkpoint_key.load_private(create=False)
    assert old is not None
    new = Ed25519PrivateKey.generate()
    checkpoint_key.store_pending(new)
    try:
        with _connect(admin_dsn) as conn:
            conn.autocommit = False
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                records = read_keys(conn)
                if _current(records) != key_id(old.public_key()):
                    raise CheckpointError(
                        "the key was not changed: the server's current checkpoint key is no "
                        "longer this computer's (changed meanwhile?)"
                    )
                mine = conn.execute(
                    "SELECT max(seq) FROM dutydesk.checkpoints WHERE key_id = %s",
                    (key_id(old.public_key()),),
                ).fetchone()
                last_seq = int(mine[0]) if mine and mine[0] is not None else last.checkpoint.seq
                change = endorse(old, new, last_seq, _now())
                _insert_key(conn, change)
    except psycopg.Error as err:
        checkpoint_key.finish_pending(adopted=False)
        raise AdminError(f"the key was not changed: {_first_line(err)}") from err
    except CheckpointError:
        checkpoint_key.finish_pending(adopted=False)
        raise
    checkpoint_key.finish_pending(adopted=True)
    retired = checkpoint_key.keep_retired(folder, old.public_key(), key_id(old.public_key()))
    return Rotated(last, change, checkpoint_key.publish_public(folder, new.public_key()), retired)


@dataclass(frozen=True, slots=True)
class Replaced:
    change: KeyRecord  # the new key, naming the lost one
    first: Published  # the new key's first checkpoint (the head)
    lost_key: Path  # the lost key's public half, kept for the record


def new_key(admin_dsn: str, folder: Path, reason: str) -> Replaced:
    """Replace a LOST checkpoint key (``server checkpoint --new-key``, migration 0011): a
    new key is made in this computer's keyring, the server records it as replacing the
    lost current key (the last sequence the lost key signed, the reason, signed by the new
    key), and the new key signs the head. Desks that trust the lost key refuse the new one
    until their administrator configures it; see ``dutydesk.domain.checkpoints``.

    Refused when this computer still holds the current key (not lost: ``--rotate``), when
    the server has no key yet, or without a reason of at least 10 characters."""
    new = Ed25519PrivateKey.generate()
    held, _ = checkpoint_key.load_private(create=False)
    with _connect(admin_dsn) as conn:
        conn.autocommit = False
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                _require_tables(conn)
                records = read_keys(conn)
                current = _current(records)
                if current is None:
                    raise CheckpointError(
                        "the server has no current checkpoint key to replace; the first "
                        "`dutydesk server checkpoint` makes one"
                    )
                if held is not None and key_id(held.public_key()) == current:
                    raise CheckpointError(
                        f"this computer's keyring still holds the server's current checkpoint "
                        f"key {current}: it is not lost. To change it, use --rotate"
                    )
                mine = conn.execute(
                    "SELECT max(seq) FROM dutydesk.checkpoints WHERE key_id = %s", (current,)
                ).fetchone()
                last_seq = int(mine[0]) if mine and mine[0] is not None else 0
                change = replace_lost(new, current, last_seq, reason, _now())
                lost = next(r for r in records if r.key_id == current)
                checkpoint_key.store_pending(new)
                _insert_key(conn, change)
        except psycopg.Error as err:
            checkpoint_key.finish_pending(adopted=False)
            raise AdminError(f"the key was not replaced: {_first_line(err)}") from err
    checkpoint_key.finish_pending(adopted=True)
    kept = checkpoint_key.keep_retired(folder, from_raw_b64(lost.public_key), lost.key_id)
    return Replaced(change, publish(admin_dsn, folder), kept)


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
            e = event_from_row(r)
            if e.prev_hash != expected or not hash_matches(expected, e, e.hash):
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
