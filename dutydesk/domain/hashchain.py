"""The audit hash chain: what exactly is hashed, computed the same way as the server.

Definition (version 1). For an event accepted by the shared server with sequence ``seq``:

    content = canonical_json({
        "actor", "actor_role", "client_time", "device", "id", "payload",
        "schema_version", "server_seq", "server_time", "type"   # the event's fields
    })
    hash    = hex(sha256(utf8(prev_hash + content)))

``canonical_json`` is ``dutydesk.domain.events.canonical_json``: keys sorted by code point,
no spaces, non-ASCII characters written as themselves, ``"``, ``\\`` and control characters
escaped as JSON requires (short forms for \\b \\f \\n \\r \\t, ``\\u00xx`` for the rest).
``server_time`` is the server's text, UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The first
event's ``prev_hash`` is ``GENESIS`` (64 zeros). The server computes the same in SQL
(``dutydesk.canonical_json`` and ``dutydesk.event_hash`` in ``db/server``) and refuses a
payload whose canonical text differs from the client's, so both sides always agree.
``dutydesk.domain.server_chain`` walks a run of events and names the first bad link.
"""

from __future__ import annotations

import hashlib

from .errors import ValidationError
from .events import Event, canonical_json

GENESIS = "0" * 64


def event_content(event: Event) -> str:
    """The canonical text that is hashed for ``event`` (it must carry its server fields)."""
    if event.server_seq is None or event.server_time is None:
        raise ValidationError("the event has no server sequence or time yet", event.id)
    return canonical_json(
        {**event.recorded(), "server_seq": event.server_seq, "server_time": event.server_time}
    )


def event_hash(prev_hash: str, event: Event) -> str:
    """sha256(prev_hash || canonical content), hex. ``prev_hash`` is GENESIS for the first."""
    return hashlib.sha256((prev_hash + event_content(event)).encode("utf-8")).hexdigest()
