"""The digest over the events a document shows: order-free, content-bound, sync-proof."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from dutydesk.reports.digest import EventDigest, event_hash, short_code
from tests.factories import contact_payload, event


def test_digest_does_not_depend_on_the_order_shown(now: datetime) -> None:
    a = event("contact.received", contact_payload(), now)
    b = event("contact.received", contact_payload(), now)
    assert EventDigest.of([a, b]).digest == EventDigest.of([b, a]).digest


def test_any_change_to_an_event_changes_its_hash_and_the_digest(now: datetime) -> None:
    e = event("contact.received", contact_payload(), now)
    edited = dataclasses.replace(e, payload={**e.payload, "concern": "something else"})
    assert event_hash(e) != event_hash(edited)
    assert EventDigest.of([e]).digest != EventDigest.of([edited]).digest
    other_actor = dataclasses.replace(e, actor="someone.else")
    assert event_hash(e) != event_hash(other_actor)


def test_server_fields_added_by_sync_do_not_change_the_hash(now: datetime) -> None:
    e = event("contact.received", contact_payload(), now)
    synced = dataclasses.replace(
        e, server_seq=42, server_time=now.isoformat(), hash="ab" * 32, prev_hash="cd" * 32
    )
    assert event_hash(e) == event_hash(synced)


def test_short_code_is_ten_base32_characters() -> None:
    code = short_code("00" * 32)
    assert code == "AAAAA-AAAAA"
    assert re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", short_code("f3" * 32))
