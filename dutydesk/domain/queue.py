"""The order of the duty queue: rating, then due time, then score, then arrival.

Stable and explainable: two contacts compare by these keys only, and the contact id
breaks exact ties so the order never flickers between refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from .codes import Rating

UNRATED_RANK = 1  # an unrated contact sits with Amber until triage rates it


class Queueable(Protocol):
    contact_id: str
    rating: str | None
    due_at: str | None
    score: int | None
    received_at: str


def _utc_key(stamp: str | None) -> str:
    if not stamp:
        return "9999"
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()


def order_key(item: Queueable) -> tuple[int, str, int, str, str]:
    rank = Rating(item.rating).rank if item.rating else UNRATED_RANK
    return (rank, _utc_key(item.due_at), -(item.score or 0), _utc_key(item.received_at),
            item.contact_id)
