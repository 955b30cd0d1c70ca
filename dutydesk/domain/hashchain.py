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
from json.encoder import encode_basestring

from .errors import ValidationError
from .events import Event, canonical_json

GENESIS = "0" * 64


def event_content(event: Event, payload_text: str | None = None) -> str:
    """The canonical text that is hashed for ``event`` (it must carry its server fields).
    ``payload_text``: ``canonical_json(event.payload)`` when the caller has made it
    already (a pull keeps it to store the event).

    Written out key by key in sorted order when every envelope field is text and the two
    numbers plain integers (as pulled events are): the same text ``canonical_json`` gives
    for the whole object (tested), without building two dicts and sorting their keys per
    event; a pull checks the server's hash of every event it receives."""
    e = event
    if e.server_seq is None or e.server_time is None:
        raise ValidationError("the event has no server sequence or time yet", e.id)
    if type(e.schema_version) is int and type(e.server_seq) is int and _all_text(e):
        payload = canonical_json(e.payload) if payload_text is None else payload_text
        return (
            f'{{"actor":{_js(e.actor)},"actor_role":{_js(e.actor_role)},'
            f'"client_time":{_js(e.client_time)},"device":{_js(e.device)},'
            f'"id":{_js(e.id)},"payload":{payload},'
            f'"schema_version":{e.schema_version},"server_seq":{e.server_seq},'
            f'"server_time":{_js(e.server_time)},"type":{_js(e.type)}}}'
        )
    return canonical_json(
        {**e.recorded(), "server_seq": e.server_seq, "server_time": e.server_time}
    )


def _all_text(e: Event) -> bool:
    return (
        type(e.actor) is str
        and type(e.actor_role) is str
        and type(e.client_time) is str
        and type(e.device) is str
        and type(e.id) is str
        and type(e.server_time) is str
        and type(e.type) is str
    )


# ``canonical_json`` of a string (``ensure_ascii=False``), without an encoder per call.
_js = encode_basestring


def event_hash(prev_hash: str, event: Event, payload_text: str | None = None) -> str:
    """sha256(prev_hash || canonical content), hex. ``prev_hash`` is GENESIS for the first.
    ``payload_text`` as for ``event_content``."""
    content = event_content(event, payload_text)
    try:
        data = (prev_hash + content).encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate (json.loads takes a "\\udc80" escape): no UTF-8, so no hash;
        # the server's submit never stores one (jsonb refuses the escape)
        raise ValidationError(
            "the event's content is not Unicode text (a lone surrogate): it has no hash",
            event.id,
        ) from None
    return hashlib.sha256(data).hexdigest()


def hash_matches(
    prev_hash: str, event: Event, claimed: str | None, payload_text: str | None = None
) -> bool:
    """Whether ``claimed`` is ``event_hash(prev_hash, event, payload_text)``; False for
    content that has no hash (not Unicode text): a pulled event that does not match its
    hash, as an edited one does, never an exception that stops the check."""
    if claimed is None:
        return False
    try:
        return event_hash(prev_hash, event, payload_text) == claimed
    except ValidationError:
        return False
