"""How DutyDesk words things for people: dates, times left, counts, the short "why" of a
rating. One place, so the queue, the detail, dialogs, printouts and the command line say
the same thing the same way.

Conventions:
- People read dates as ``30 Nov 2026`` and times as ``30 Nov 2026 14:05`` (24-hour clock,
  in England's time, whatever offset the stamp was stored with). ISO 8601 is for files
  and the record only.
- A time left is always hours and minutes (``45h 36m``, ``0h 05m``), never days in one
  row and hours in the next, so a column of them compares at a glance.
- Counts agree with their noun: ``1 page``, ``2 pages``, ``1 entry``, ``3 entries``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .clock import LONDON

DATE = "%d %b %Y"
DATETIME = "%d %b %Y %H:%M"

_IRREGULAR = {
    "child": "children",
    "person": "people",
    "entry": "entries",
    "match": "matches",
    "category": "categories",
    "policy": "policies",
    "reply": "replies",
    "this": "these",
    "is": "are",
    "was": "were",
    "has": "have",
    "needs": "need",
}


def _local(stamp: str | datetime) -> datetime:
    at = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return at.astimezone(LONDON) if at.tzinfo is not None else at


def human_date(value: str | date | datetime | None, missing: str = "—") -> str:
    """``30 Nov 2026``; a date-time is first put in England's time."""
    if value is None or value == "":
        return missing
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        return _local(value).strftime(DATE)
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime(DATE)


def human_datetime(value: str | datetime | None, missing: str = "—") -> str:
    """``30 Nov 2026 14:05`` in England's time."""
    if value is None or value == "":
        return missing
    return _local(value).strftime(DATETIME)


def duration_text(seconds: float) -> str:
    """``45h 36m``: whole hours and minutes, always both (negative is read as positive)."""
    total = int(abs(seconds)) // 60
    hours, minutes = divmod(total, 60)
    return f"{hours}h {minutes:02d}m"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 page``, ``2 pages``, ``0 entries``: the count and the noun that agrees with it."""
    return f"{count} {noun if count == 1 else many or plural_of(noun)}"


def plural_of(noun: str) -> str:
    last = noun.rsplit(" ", 1)
    head, word = (last[0] + " ", last[1]) if len(last) == 2 else ("", noun)
    if word in _IRREGULAR:
        return head + _IRREGULAR[word]
    if re.search(r"(s|x|z|ch|sh)$", word):
        return head + word + "es"
    if re.search(r"[^aeiou]y$", word):
        return head + word[:-1] + "ies"
    return head + word + "s"


_POINTS = re.compile(r"\s*\([+-]?\d+( points?)?\)$")
_ALWAYS = re.compile(r":\s*always \w+$")


def short_reason(reason: Mapping[str, Any]) -> str | None:
    """A rating reason in a few words for a queue row (None for the score summary)."""
    factor = str(reason.get("factor") or "")
    text = reason.get("text")
    if factor == "rating" or not isinstance(text, str) or not text:
        return None
    text = _ALWAYS.sub("", _POINTS.sub("", text)).strip()
    text = text.removeprefix("Concern: ")
    text = re.sub(r"^A child (is reported to be|has) ", "", text)
    return text[:1].upper() + text[1:]


def top_reasons(reasons: Iterable[Mapping[str, Any]], limit: int = 2) -> list[str]:
    """The few reasons that carry a rating: hard rules first, then the biggest points.
    The policy already lists them in that order after its score summary. A key question
    nobody answered ("Not asked, scored as no: …", 0 points) carries nothing: it comes
    only when nothing else does (the detail pane lists it in full)."""
    listed = list(reasons)
    carrying = [r for r in listed if not str(r.get("factor") or "").startswith("not_asked:")]
    out: list[str] = []
    for reason in carrying + [r for r in listed if r not in carrying]:
        text = short_reason(reason)
        folded = text.casefold() if text else ""
        if text and not any(o.casefold() in folded or folded in o.casefold() for o in out):
            out.append(text)  # a flag that repeats a hard rule's words adds nothing
        if len(out) == limit:
            break
    return out
