"""The audit hash chain in Python: a fixed vector, sensitivity to every field, tampering found."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import Event, canonical_json
from dutydesk.domain.hashchain import GENESIS, event_content, event_hash

BASE = Event(
    id="0190c3a0-0000-7000-8000-000000000001",
    type="note.added",
    actor="dm.one",
    actor_role="duty_manager",
    device="desk-1",
    client_time="2026-11-26T09:30:00+00:00",
    payload={
        "text": 'Siobhán "quoted"\n\x01',
        "contact_id": "0190c3a0-0000-7000-8000-0000000000aa",
    },
    server_seq=1,
    server_time="2026-11-26T09:30:01.000001Z",
)


def test_content_is_the_documented_canonical_text() -> None:
    assert event_content(BASE) == (
        '{"actor":"dm.one","actor_role":"duty_manager","client_time":"2026-11-26T09:30:00+00:00",'
        '"device":"desk-1","id":"0190c3a0-0000-7000-8000-000000000001","payload":{"contact_id":'
        '"0190c3a0-0000-7000-8000-0000000000aa","text":"Siobhán \\"quoted\\"\\n\\u0001"},'
        '"schema_version":1,"server_seq":1,"server_time":"2026-11-26T09:30:01.000001Z",'
        '"type":"note.added"}'
    )
    # A fixed vector: sha256 of GENESIS followed by the text above, worked out once outside
    # the code under test, so a change to the formula cannot pass unnoticed.
    assert event_hash(GENESIS, BASE) == (
        "b420f31ba12a49c63bef3fcb1bdd544c1e5756659e08b6beab80c241f2f5eb40"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "someone.else"},
        {"actor_role": "practitioner"},
        {"device": "desk-2"},
        {"client_time": "2026-11-26T09:31:00+00:00"},
        {"payload": {"text": "other"}},
        {"server_seq": 2},
        {"server_time": "2026-11-26T09:30:01.000002Z"},
        {"type": "record.viewed"},
        {"id": "0190c3a0-0000-7000-8000-000000000002"},
        {"schema_version": 2},
    ],
)
def test_every_field_changes_the_hash(change: dict[str, object]) -> None:
    assert event_hash(GENESIS, dataclasses.replace(BASE, **change)) != event_hash(GENESIS, BASE)


def test_the_previous_hash_is_part_of_the_hash() -> None:
    assert event_hash("1" * 64, BASE) != event_hash(GENESIS, BASE)


def test_an_unsynced_event_has_no_content() -> None:
    with pytest.raises(ValidationError, match="no server sequence"):
        event_content(dataclasses.replace(BASE, server_seq=None))


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)


@given(
    st.lists(_TEXT, min_size=7, max_size=7),
    st.integers(0, 2**40),
    st.integers(-2, 2**40),
    st.dictionaries(_TEXT, _JSON, max_size=5),
)
def test_content_is_canonical_json_of_the_whole_object(
    text: list[str], schema_version: int, seq: int, payload: dict[str, object]
) -> None:
    """Oracle: the text written out key by key (issue 19c) is ``canonical_json`` of the
    object it stands for, for any text, numbers and payload."""
    e = Event(*text[:6], payload, schema_version, seq, text[6])  # type: ignore[arg-type]
    whole = {**e.recorded(), "server_seq": seq, "server_time": text[6]}
    assert event_content(e) == canonical_json(whole)


@pytest.mark.parametrize(
    "change", [{"schema_version": True}, {"server_seq": 2.0}, {"actor": None}, {"device": 7}]
)
def test_content_of_an_envelope_that_is_not_plain_text_and_integers_is_still_canonical(
    change: dict[str, object],
) -> None:
    e = dataclasses.replace(BASE, **change)  # type: ignore[arg-type]
    whole = {**e.recorded(), "server_seq": e.server_seq, "server_time": e.server_time}
    assert event_content(e) == canonical_json(whole)


# A server event whose payload text carries a lone surrogate escape ("\udc80"): json.loads
# takes it, but the hash is defined over UTF-8, which cannot hold it. The server's submit
# never stores one (PostgreSQL's jsonb refuses it), so such an event has no hash the server
# made: it is an event that does not match its hash, never a crash of the chain check.
@pytest.mark.parametrize(
    "change",
    [
        {"payload": {**BASE.payload, "text": "\udc80"}},
        {"payload": {**BASE.payload, "\ud800": "key"}},
        {"device": "desk-\udcff"},
    ],
)
def test_content_that_is_not_unicode_has_no_hash_and_matches_none(change: dict) -> None:
    from dutydesk.domain.hashchain import hash_matches

    e = dataclasses.replace(BASE, **change)
    with pytest.raises(ValidationError, match="Unicode"):
        event_hash(GENESIS, e)
    text = canonical_json(e.payload)
    ascii_text = canonical_json(e.payload).encode("utf-8", "backslashreplace").decode()
    for claimed in (
        "0" * 64,
        event_hash(GENESIS, BASE),
        # the hash an attacker made over the escaped text, or with the surrogates passed
        event_hash(GENESIS, dataclasses.replace(BASE, payload={"x": 1}), ascii_text),
    ):
        assert not hash_matches(GENESIS, e, claimed)
        assert not hash_matches(GENESIS, e, claimed, text)


def test_a_pulled_chain_with_such_an_event_is_a_chain_problem_not_a_crash() -> None:
    from dutydesk.sync.engine import _chain_problem

    bad = dataclasses.replace(BASE, payload={**BASE.payload, "text": "\udc80"}, hash="0" * 64)
    good = dataclasses.replace(BASE, hash=event_hash(GENESIS, BASE), prev_hash=GENESIS)
    batch = [good, dataclasses.replace(bad, server_seq=2, prev_hash=good.hash)]
    texts = [canonical_json(e.payload) for e in batch]
    assert _chain_problem(batch, texts, None) == "the event at seq 2 does not match its own hash"
