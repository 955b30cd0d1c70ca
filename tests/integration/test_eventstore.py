"""The local event log: append, projections, idempotency, refusals that write nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import Event
from dutydesk.store.eventstore import DuplicateEventError, EventStore
from tests.factories import contact_payload, decision_payload, event

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
HISTORY = generate(7, 900, now=NOW)


def test_append_projects_a_contact_and_its_decision(store: EventStore, now: datetime) -> None:
    received = event("contact.received", contact_payload(), now)
    cid = received.payload["contact_id"]
    store.append([received])
    model = store.read_model()
    assert model.contacts[cid].status == "new"
    assert model.children[(cid, 0)].given_name == "Siobhán"
    store.append([event("decision.recorded", decision_payload(cid), now + timedelta(hours=1))])
    model = store.read_model()
    assert model.contacts[cid].status == "decided"
    assert model.contacts[cid].is_referral
    assert store.events_for_contact(cid)[0].id == received.id


def test_replaying_an_event_adds_nothing(store: EventStore, now: datetime) -> None:
    e = event("contact.received", contact_payload(), now)
    assert store.append([e]).added == (e.id,)
    again = store.append([e])
    assert again.added == () and again.already_present == (e.id,)
    assert store.event_count() == 1


def test_same_id_with_other_content_is_refused(store: EventStore, now: datetime) -> None:
    e = event("contact.received", contact_payload(), now)
    store.append([e])
    changed = Event(
        **{
            **{f: getattr(e, f) for f in Event.__dataclass_fields__},
            "payload": {**e.payload, "concern": "something else"},
        }
    )
    with pytest.raises(DuplicateEventError, match="different content"):
        store.append([changed])
    assert store.get_event(e.id).payload["concern"] == e.payload["concern"]  # type: ignore[union-attr]


def test_a_bad_event_in_a_batch_writes_nothing(store: EventStore, now: datetime) -> None:
    good = event("contact.received", contact_payload(), now)
    bad = Event(
        **{
            **{f: getattr(good, f) for f in Event.__dataclass_fields__},
            "id": "0190c3a0-0000-7000-8000-000000000001",
            "payload": {
                **good.payload,
                "contact_id": good.payload["contact_id"],
                "source_code": "ZZ",
            },
        }
    )
    with pytest.raises(ValidationError, match="source_code"):
        store.append([good, bad])
    assert store.event_count() == 0
    assert store.read_model().contacts == {}


def test_unknown_event_type_from_outside_is_refused(store: EventStore, now: datetime) -> None:
    good = event("note.added", {"text": "hello"}, now)
    odd = Event(
        **{**{f: getattr(good, f) for f in Event.__dataclass_fields__}, "type": "contact.deleted"}
    )
    with pytest.raises(ValidationError, match="unknown event type"):
        store.append([odd])
    assert store.event_count() == 0


def test_rebuild_gives_the_same_projections_as_appending(store: EventStore) -> None:
    store.append(HISTORY)
    incremental = store.read_model()
    assert store.rebuild() == len(HISTORY)
    assert store.read_model() == incremental


def test_history_of_a_person_is_one_indexed_read(store: EventStore) -> None:
    store.import_events(HISTORY)
    pid = next(e.payload["person_id"] for e in HISTORY if e.type == "person.registered")
    events = store.events_for_person(pid)
    assert events and all(pid in e.person_ids for e in events)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30),
    st.integers(min_value=0, max_value=2**16),
)
def test_incremental_application_in_any_batching_equals_rebuild(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], seed: int
) -> None:
    events = generate(seed, 150, now=NOW)
    store = EventStore.open(tmp_path_factory.mktemp("prop") / "s.db")
    at = 0
    for size in sizes * 20:
        if at >= len(events):
            break
        store.append(events[at : at + size])
        at += size
    store.append(events[at:])
    incremental = store.read_model()
    store.rebuild()
    assert store.read_model() == incremental
    store.close()


def test_store_is_in_wal_mode_with_foreign_keys(store: EventStore) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_store_meta_round_trips(store: EventStore) -> None:
    assert store.get_meta("device_id") is None
    store.set_meta("device_id", "desk-1")
    store.set_meta("device_id", "desk-2")
    assert store.get_meta("device_id") == "desk-2"


@pytest.mark.parametrize("value", [None, 5, b"desk-3"])
def test_store_meta_refuses_anything_but_text_and_keeps_the_value(
    store: EventStore, value: object
) -> None:
    """None used to reach the driver (NOT NULL: sqlite3's own IntegrityError, which no
    caller expects) and a number was stored as text silently; callers clear a fact with
    ``""``. Refused before the store is touched, naming the key, the value left as it was."""
    store.set_meta("device_id", "desk-1")
    with pytest.raises(TypeError, match=r"store meta 'device_id': the value must be text"):
        store.set_meta("device_id", value)  # type: ignore[arg-type]
    assert store.get_meta("device_id") == "desk-1"
    store.set_meta("device_id", "")
    assert store.get_meta("device_id") == ""


def test_unreadable_file_gives_a_clear_error(tmp_path: Path) -> None:
    from dutydesk.store.database import StoreError

    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the local store"):
        EventStore.open(bad)


@pytest.mark.parametrize(
    "child, why",
    [
        ({"given_name": "Ava", "date_of_birth": "2030-05-01"}, "in the future"),
        ({"given_name": "Ava", "nhs_number": "1234567890"}, "check digit"),
        ({"given_name": "Ava", "ethnicity": "XXXX"}, "ethnicity"),
    ],
)
def test_bad_payload_from_outside_is_refused_and_nothing_written(
    store: EventStore, now: datetime, child: dict, why: str
) -> None:
    good = event("contact.received", contact_payload(), now)
    forged = Event(
        **{
            **{f: getattr(good, f) for f in Event.__dataclass_fields__},
            "payload": {**good.payload, "children": [child]},
        }
    )
    with pytest.raises(ValidationError, match=why) as err:
        store.append([forged])
    assert err.value.path.startswith("contact.received.children[0]")
    assert store.event_count() == 0
