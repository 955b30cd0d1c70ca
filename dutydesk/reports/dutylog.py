"""The daily duty log: every contact received and every decision made by an office or team
in a date range, with times, so a duty manager can sign off a shift.

Rows come from the projections (``ReportQueries.duty_log``); the digest covers the
events behind every row (each contact's receipt and each decision's events), so the
printed log verifies against the record like the case log does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from ..domain.codes import SOURCE_SHORT
from ..domain.projection import ContactChildRow
from ..domain.queue import order_key
from ..domain.route_text import describe
from . import blocks
from .blocks import facts, outcome_label, person_role_text, person_text
from .digest import EventDigest
from .page import DocumentMeta, Styles, para_text, render
from .records import DutyLogData
from .seal import seal

CONCERN_CHARS = 240  # the log is an index; the full concern is in the case log


def _period(first: date, last: date) -> str:
    if first == last:
        return first.strftime("%d %b %Y")
    return f"{first.strftime('%d %b %Y')} to {last.strftime('%d %b %Y')}"


def duty_log_title(first: date, last: date, office: str | None, team: str | None) -> str:
    where = " / ".join(x for x in (office, team) if x) or "all offices"
    return f"Duty log: {where}, {_period(first, last)}"


def write_duty_log(
    data: DutyLogData,
    first: date,
    last: date,
    meta: DocumentMeta,
    out: BinaryIO,
    *,
    names: Mapping[str, str] | None = None,
) -> EventDigest:
    """``names`` (login -> display name, the people directory): people are shown by name
    with their login beside it."""
    digest = EventDigest.of(data.events)
    story = _story(data, first, last, meta, Styles(), dict(names or {}))
    out.write(seal(render(story, meta, digest), meta, digest))
    return digest


def _time(value: str, one_day: bool) -> str:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return at.strftime("%H:%M") if one_day else at.strftime("%d %b %H:%M")


def _children(kids: Sequence[ContactChildRow]) -> str:
    return ", ".join(k.display_name for k in kids) or "not named"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CONCERN_CHARS else text[: CONCERN_CHARS - 1] + "…"


def _story(
    data: DutyLogData,
    first: date,
    last: date,
    meta: DocumentMeta,
    s: Styles,
    names: Mapping[str, str],
) -> list[Flowable]:
    one_day = first == last
    outcomes = Counter(outcome_label(d.outcome) for d in data.decisions)
    undecided = sum(1 for c in data.contacts if not c.decision_ids)
    out: list[Flowable] = [
        Paragraph(para_text(meta.title), s.title),
        facts(
            s,
            [
                ("Period", _period(first, last)),
                ("Contacts received", str(len(data.contacts))),
                ("Of which not yet decided", str(undecided)),
                ("Decisions made", str(len(data.decisions))),
                ("Outcomes", "; ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))),
            ],
            label_width=48 * mm,
        ),
    ]
    if not one_day:
        out.append(s.p("Times are shown as day, month and 24-hour time (UK time).", s.small))

    out.append(Paragraph(f"Contacts received ({len(data.contacts)})", s.h1))
    out.append(
        s.p(
            "In queue order, as the duty window shows them: immediate danger first, "
            "then rating, time due, score and arrival.",
            s.small,
        )
    )
    out.extend(
        blocks.chunked_table(
            s,
            ("Received", "Children", "Source", "Rating", "Concern", "Now"),
            (
                (
                    _time(c.received_at, one_day),
                    _children(data.children.get(c.contact_id, ())),
                    SOURCE_SHORT.get(c.source_code, c.source_code),
                    (c.rating or "").upper() + (" (overridden)" if c.overridden else ""),
                    _clip(c.concern),
                    outcome_label(c.outcome) if c.outcome else c.status.replace("_", " "),
                )
                for c in sorted(data.contacts, key=order_key)
            ),
            (20 * mm, 32 * mm, 20 * mm, 17 * mm, None, 28 * mm),
        )
    )

    out.append(CondPageBreak(30 * mm))
    out.append(Paragraph(f"Decisions made ({len(data.decisions)})", s.h1))
    out.extend(
        blocks.chunked_table(
            s,
            ("Decided", "Children", "Outcome", "Level", "Decided by", "Sign-off"),
            (
                (
                    _time(d.decided_at, one_day),
                    _children(data.children.get(d.contact_id, ())),
                    outcome_label(d.outcome)
                    + (f" (amended {d.amendments}×)" if d.amendments else "")
                    + (" (superseded)" if d.superseded else ""),
                    str(d.threshold_level),
                    person_role_text(d.decided_by, d.decided_role, names),
                    f"{person_text(d.signed_off_by, names)} {_time(d.signed_off_at or '', one_day)}"
                    if d.signed_off_by
                    else (
                        "awaiting sign-off" if d.status == "proposed" else "recorded by a manager"
                    ),
                )
                for d in data.decisions
            ),
            (20 * mm, 34 * mm, None, 11 * mm, 38 * mm, 30 * mm),
        )
    )
    if data.followups:
        out.append(CondPageBreak(30 * mm))
        out.append(
            Paragraph(
                f"After the decision: routes, strategy discussions, hand-offs "
                f"and corrections ({len(data.followups)})",
                s.h1,
            )
        )
        out.extend(
            blocks.chunked_table(
                s,
                ("When", "Children", "What", "By"),
                (
                    (
                        _time(e.client_time, one_day),
                        _children(data.children.get(e.contact_id or "", ())),
                        describe(e) or e.type,
                        person_role_text(e.actor, e.actor_role, names),
                    )
                    for e in data.followups
                ),
                (20 * mm, 34 * mm, None, 38 * mm),
            )
        )
    out.append(Spacer(0, 6 * mm))
    out.append(blocks.signature_block(s, "Shift signed off by the duty manager"))
    return out
