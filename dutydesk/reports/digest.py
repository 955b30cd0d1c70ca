"""The digest a printed document carries over the events it shows, and its short code.

Each event is hashed over its canonical content: id, type, schema version, actor, role,
device, client time and payload (``canonical_json``). Server fields (sequence, hash chain)
are left out on purpose: they arrive when the event syncs, and a log printed before sync
must still verify afterwards. The document digest is the SHA-256 of the sorted
``id:event-hash`` lines, so it does not depend on the order the document shows them in.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..domain.events import Event, canonical_json

CODE_LENGTH = 10


def event_content(event: Event) -> str:
    """The canonical text of what an event says (no server fields)."""
    return canonical_json(event.recorded())


def event_hash(event: Event) -> str:
    return hashlib.sha256(event_content(event).encode("utf-8")).hexdigest()


def digest_of(hashes: Mapping[str, str]) -> str:
    """SHA-256 (hex) over ``id:hash`` lines sorted by event id."""
    h = hashlib.sha256()
    for event_id in sorted(hashes):
        h.update(f"{event_id}:{hashes[event_id]}\n".encode("ascii"))
    return h.hexdigest()


def short_code(digest_hex: str) -> str:
    """The first ten base32 characters of the digest, as ``ABCDE-FGHIJ``: easy to read out."""
    text = base64.b32encode(bytes.fromhex(digest_hex)).decode("ascii")[:CODE_LENGTH]
    return f"{text[:5]}-{text[5:]}"


@dataclass(frozen=True, slots=True)
class EventDigest:
    """What a document shows, as hashes: enough to check it against the store later."""

    hashes: Mapping[str, str]
    digest: str

    @property
    def code(self) -> str:
        return short_code(self.digest)

    @classmethod
    def of(cls, events: Iterable[Event]) -> EventDigest:
        hashes = {e.id: event_hash(e) for e in events}
        return cls(hashes, digest_of(hashes))
