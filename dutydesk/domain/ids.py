"""Time-ordered identifiers (UUIDv7, RFC 9562).

Random v4 keys made a 1M-event SQLite load 2.6x slower here; v7 keys arrive in index order.
Python 3.11 has no ``uuid.uuid7``, so it is built here. Ordering is only for storage
locality: nothing in DutyDesk orders events by the time inside an id.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A new UUIDv7; monotonic within this process even when the clock stalls."""
    global _last_ms, _counter
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
        _last_ms = ms
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= _counter << 64
        value |= 0b10 << 62
        value |= rand_b
        return uuid.UUID(int=value)


def new_id() -> str:
    return str(uuid7())


def stable_id(namespace: str, *parts: str) -> str:
    """A deterministic id for imported rows, so importing a file twice adds nothing:
    ``str(uuid.uuid5(uuid.NAMESPACE_URL, "dutydesk:" + namespace + ":" + "\x1f".join(parts)))``,
    made from the SHA-1 digest's bytes without a ``UUID`` object (an import makes two or
    three per row; tested against ``uuid.uuid5``)."""
    name = "dutydesk:" + namespace + ":" + "\x1f".join(parts)
    digest = bytearray(_sha1(_URL_NAMESPACE + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes
_sha1 = hashlib.sha1


def uuid7_at(ms: int, rand: int) -> uuid.UUID:
    """A UUIDv7 for a given millisecond and 74 random bits (deterministic generators)."""
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
