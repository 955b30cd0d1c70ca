"""Filtering the queue on ids: triage order kept through live updates, filters, saved
views as JSON with named errors."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.queue import order_key
from dutydesk.services.queue_filter import QueueFilter, QueueIndex
from dutydesk.services.snapshots import ChildSummary, QueueItem

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


def item(n: int, rating: str | None = "amber", hours: float | None = 5, **kw) -> QueueItem:  # type: ignore[no-untyped-def]
    base = dict(
        contact_id=f"c{n:05d}",
        rating=rating,
        score=n % 50,
        due_at=(NOW + timedelta(hours=hours)).isoformat() if hours is not None else None,
        decision_due_at=None,
        received_at=(NOW - timedelta(hours=n)).isoformat(),
        status="new",
        assignee=None,
        source_code="6",
        concern=f"concern {n}",
        categories_json="[]",
        children=(ChildSummary(0, None, f"Child{n} Smith", "5 y", None),),
        office="North",
        team="A",
        conflict=False,
        immediate_danger=False,
        reasons_json="[]",
    )
    base.update(kw)
    return QueueItem(**base)  # type: ignore[arg-type]


RATINGS = st.sampled_from(["red", "amber", "green", "blue", None])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(RATINGS, st.integers(-48, 200)), min_size=1, max_size=40),
    st.randoms(use_true_random=False),
)
def test_updates_keep_triage_order(rows, rnd: random.Random) -> None:  # type: ignore[no-untyped-def]
    items = [item(n, r, h) for n, (r, h) in enumerate(rows)]
    index = QueueIndex(items[: len(items) // 2])
    index.update(items[len(items) // 2 :])
    gone = [i.contact_id for i in rnd.sample(items, k=len(items) // 3)]
    index.update([], gone)
    rerated = [item(int(i.contact_id[1:]), "red", 1) for i in items if i.contact_id not in gone][:3]
    index.update(rerated)
    expected = sorted(
        list({i.contact_id: i for i in items + rerated if i.contact_id not in gone}.values()),
        key=order_key,
    )
    assert list(index.ranked) == [i.contact_id for i in expected]


def test_filters_combine() -> None:
    items = [
        item(1, "red", -1),
        item(2, "amber", 3, office="South"),
        item(3, None, None),
        item(4, "green", 10, team="B", source_code="2A"),
    ]
    index = QueueIndex(items)
    assert index.select(QueueFilter(ratings=frozenset({"unrated"})), NOW) == ["c00003"]
    assert index.select(QueueFilter(overdue=True), NOW) == ["c00001"]
    assert index.select(QueueFilter(offices=frozenset({"North"}), teams=frozenset({"A"})), NOW) == [
        "c00001",
        "c00003",
    ]
    assert index.select(QueueFilter(text="child4 SMITH"), NOW) == ["c00004"]
    assert index.select(QueueFilter(text="school"), NOW) == ["c00004"]  # source short name
    assert index.select(QueueFilter(sources=frozenset({"6"}), text="smith"), NOW) == [
        "c00001",
        "c00002",
        "c00003",
    ]
    assert index.values("office") == ["North", "South"]


def test_saved_view_round_trip_and_bad_views_are_named() -> None:
    view = QueueFilter(ratings=frozenset({"red"}), overdue=True, text="police")
    assert QueueFilter.from_json(view.to_json()) == view
    with pytest.raises(ValidationError, match="colour"):
        QueueFilter.from_json({"colour": "red"})
    with pytest.raises(ValidationError, match="ratings"):
        QueueFilter.from_json({"ratings": "red"})
