"""Turning an existing plain SQLite store into an encrypted one (SQLCipher export).

The copy is written beside the original, checked (same event count, key opens it), then
moved over it. The plain file is removed; on SSDs and journaling file systems old blocks
may survive, which ``docs/security.md`` says plainly.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..fileops import replace_file
from .database import StoreError


def encrypt_plain_store(path: Path, key: bytes) -> int:
    """Encrypt the plain store at ``path`` in place with ``key``. Returns its event count."""
    from sqlcipher3 import dbapi2 as sqlcipher

    tmp = path.with_name(path.name + ".encrypting")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(path) as plain:  # fold the WAL in, so the export sees everything
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = plain.execute("SELECT count(*) FROM events").fetchone()[0]
        plain.execute("PRAGMA journal_mode=DELETE")
    plain.close()
    conn = sqlcipher.connect(str(path))
    try:
        conn.execute("ATTACH DATABASE ? AS encrypted KEY \"x'" + key.hex() + "'\"", (str(tmp),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    check = sqlcipher.connect(str(tmp))
    try:
        check.execute("PRAGMA key = \"x'" + key.hex() + "'\"")
        copied = check.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        check.close()
    if copied != count:
        tmp.unlink(missing_ok=True)
        raise StoreError(
            f"encrypting {path} copied {copied} of {count} events; the plain store is unchanged"
        )
    replace_file(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return int(count)
