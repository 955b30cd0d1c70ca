"""The queue order: rating, then due time, then score, then arrival; stable and explained."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.domain.queue import order_key


@dataclass
class Item:
    contact_id: str
    rating: str | None
    due_at: str | None
    score: int | None
    received_at: str
    immediate_danger: bool = False


ITEMS = [
    Item("r1", "red", "2026-11-26T13:00:00+00:00", 70, "2026-11-26T08:00:00+00:00"),
    Item("r2", "red", "2026-11-26T13:00:00+00:00", 90, "2026-11-26T08:30:00+00:00"),
    Item("r3", "red", "2026-11-26T14:00:00+01:00", 95, "2026-11-26T07:00:00+00:00"),
    Item("a1", "amber", "2026-11-27T10:00:00+00:00", 40, "2026-11-25T08:00:00+00:00"),
    Item("u1", None, None, None, "2026-11-26T09:00:00+00:00"),
    Item("g1", "green", "2026-11-27T09:00:00+00:00", 20, "2026-11-26T08:00:00+00:00"),
    Item("g2", "green", "2026-11-27T09:00:00+00:00", 20, "2026-11-26T08:00:00+00:00"),
    Item("b1", "blue", None, 3, "2026-11-20T08:00:00+00:00"),
]


def test_order_is_rating_due_score_arrival_then_id() -> None:
    ranked = [i.contact_id for i in sorted(ITEMS, key=order_key)]
    # r3's due time 14:00+01:00 is 13:00 UTC, the same instant as r1/r2: then score wins.
    assert ranked == ["r3", "r2", "r1", "a1", "u1", "g1", "g2", "b1"]


def test_order_is_stable_under_any_input_order() -> None:
    expected = sorted(ITEMS, key=order_key)
    rng = random.Random(4)
    for _ in range(50):
        shuffled = ITEMS[:]
        rng.shuffle(shuffled)
        assert sorted(shuffled, key=order_key) == expected


def test_the_key_explains_itself() -> None:
    danger, rank, due, minus_score, received, cid = order_key(ITEMS[0])
    assert (danger, rank, minus_score, cid) == (1, 0, -70, "r1")
    assert due.startswith("2026-11-26T13:00") and received.startswith("2026-11-26T08:00")


def test_immediate_danger_goes_above_an_overdue_red() -> None:
    danger = Item(
        "d1",
        "red",
        "2026-11-26T10:00:00+00:00",
        60,
        "2026-11-26T10:00:00+00:00",
        immediate_danger=True,
    )
    ranked = [i.contact_id for i in sorted([*ITEMS, danger], key=order_key)]
    assert ranked[0] == "d1"


def test_an_item_without_the_danger_answer_is_refused_not_sunk() -> None:
    """A caller that forgets immediate_danger fails loudly (it used to default to False)."""
    import pytest

    @dataclass
    class Bare:
        contact_id: str
        rating: str | None
        due_at: str | None
        score: int | None
        received_at: str

    with pytest.raises(AttributeError):
        order_key(Bare("x", "red", None, 1, "2026-11-26T10:00:00+00:00"))


def _reference_utc_key(stamp: str | None) -> str:
    """The key as it was always computed: every stamp parsed and written again in UTC."""
    if not stamp:
        return "9999"
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()


@settings(max_examples=400, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
        ),
    ),
    timespec=st.sampled_from(["seconds", "minutes", "milliseconds", "microseconds", "auto"]),
    sep=st.sampled_from(["T", " "]),
)
def test_the_key_of_a_stamp_already_in_utc_is_the_stamp_as_converting_it_gives(
    when: datetime, timespec: str, sep: str
) -> None:
    """Oracle: the conversion of every stamp (the code before). UTC stamps to the second
    take the short way (the store's form), every other form the conversion."""
    stamp = when.isoformat(sep=sep, timespec=timespec)
    item = Item("c", "red", stamp, 1, stamp)
    expected = _reference_utc_key(stamp)
    assert order_key(item)[2] == order_key(item)[4] == expected


def test_a_stamp_that_is_no_time_fails_as_before() -> None:
    for stamp in (
        "2026-13-01T10:00:00+00:00",
        "2026-02-30T10:00:00+00:00",
        "2026-11-26T25:00:00+00:00",
    ):
        with pytest.raises(ValueError):
            _reference_utc_key(stamp)
        with pytest.raises(ValueError):
            order_key(Item("c", "red", stamp, 1, "2026-11-26T08:00:00+00:00"))
