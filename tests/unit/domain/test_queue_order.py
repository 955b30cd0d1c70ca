"""The queue order: rating, then due time, then score, then arrival; stable and explained."""

from __future__ import annotations

import random
from dataclasses import dataclass

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
