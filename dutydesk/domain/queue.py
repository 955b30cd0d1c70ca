"""The one order of the duty queue: immediate danger first, then rating, due time, score
and arrival. The window, ``dutydesk triage FILE`` and the printed duty log all sort with
``order_key``, so they can never disagree.

Stable and explainable: two contacts compare by these keys only, and the contact id
breaks exact ties so the order never flickers between refreshes. A contact whose reporter
said a child is in immediate danger goes above everything else, even Reds that are
already overdue: that answer is the one fact that cannot wait for a rank.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Protocol

from .codes import Rating

UNRATED_RANK = 1  # an unrated contact sits with Amber until triage rates it


class Queueable(Protocol):
    @property
    def contact_id(self) -> str: ...
    @property
    def rating(self) -> str | None: ...
    @property
    def due_at(self) -> str | None: ...
    @property
    def score(self) -> int | None: ...
    @property
    def received_at(self) -> str: ...
    @property
    def immediate_danger(self) -> bool | None: ...  # None (not stated) sorts as not known


# A stamp already in UTC, to the second, as ``datetime.isoformat`` writes it: how the
# store keeps received and due times. Its key is itself (checked to be a real time), so
# the conversion below, ~2 us a stamp and twice a contact, runs only for other stamps.
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", re.ASCII).fullmatch


def _utc_key(stamp: str | None) -> str:
    if not stamp:
        return "9999"
    if _CANONICAL_UTC(stamp):
        datetime.fromisoformat(stamp)  # a month 13 or hour 25 fails here as before
        return stamp
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()


def order_key(item: Queueable) -> tuple[int, int, str, int, str, str]:
    # Read as an attribute, never defaulted: a caller that forgot it would otherwise put an
    # immediate-danger contact below an overdue Red without anyone noticing.
    danger = 0 if item.immediate_danger else 1
    rank = Rating(item.rating).rank if item.rating else UNRATED_RANK
    return (
        danger,
        rank,
        _utc_key(item.due_at),
        -(item.score or 0),
        _utc_key(item.received_at),
        item.contact_id,
    )
