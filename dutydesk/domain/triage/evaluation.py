"""Checking triage against what happened: sensitivity, under-triage and disparity.

For contacts that led to a strategy discussion / section 47 enquiry or immediate
protection, how many were first rated Red or Amber (sensitivity), and which were first
rated Green or Blue (under-triage). Rating rates are broken down by ethnicity, disability
and age band, one row per child on a contact (as Annex A counts), with a disparity ratio:
the group's Red-or-Amber rate divided by the rate for all children. A ratio far from 1 is
a question for the authority, not an answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from ..cells import SafeCsvWriter
from ..codes import Outcome, Rating
from ..people import age_in_years

SERIOUS_OUTCOMES = frozenset({Outcome.STRATEGY_S47.value, Outcome.IMMEDIATE_PROTECTION.value})
URGENT = frozenset({Rating.RED.value, Rating.AMBER.value})
RATINGS = tuple(r.value for r in Rating) + ("unrated",)


@dataclass(frozen=True, slots=True)
class EvalChild:
    ethnicity: str | None = None
    disabilities: tuple[str, ...] = ()
    date_of_birth: str | None = None
    expected_date_of_birth: str | None = None


@dataclass(frozen=True, slots=True)
class EvalContact:
    contact_id: str
    received_at: str
    first_rating: str | None
    outcomes: frozenset[str]
    children: tuple[EvalChild, ...] = ()

    @property
    def serious(self) -> bool:
        return bool(self.outcomes & SERIOUS_OUTCOMES)


@dataclass(frozen=True, slots=True)
class GroupRow:
    dimension: str
    group: str
    children: int
    by_rating: dict[str, int]
    urgent_rate: float
    disparity: float | None


@dataclass(slots=True)
class Evaluation:
    contacts: int = 0
    serious: int = 0
    serious_urgent: int = 0
    under_triaged: list[EvalContact] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)

    @property
    def sensitivity(self) -> float | None:
        return self.serious_urgent / self.serious if self.serious else None


def age_band(child: EvalChild, on: date) -> str:
    if child.expected_date_of_birth and not child.date_of_birth:
        return "unborn"
    if not child.date_of_birth:
        return "age not known"
    born = date.fromisoformat(child.date_of_birth)
    if born > on:
        return "unborn"
    years = age_in_years(born, on)
    for limit, label in ((1, "under 1"), (5, "1-4"), (10, "5-9"), (16, "10-15")):
        if years < limit:
            return label
    return "16+"


def disability_group(child: EvalChild) -> str:
    if not child.disabilities:
        return "not recorded"
    return "no disability" if set(child.disabilities) == {"NONE"} else "disabled"


def evaluate(contacts: Iterable[EvalContact]) -> Evaluation:
    """Only decided contacts (with an outcome) take part."""
    out = Evaluation()
    tallies: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    for c in contacts:
        if not c.outcomes:
            continue
        out.contacts += 1
        rating = c.first_rating or "unrated"
        if c.serious:
            out.serious += 1
            if rating in URGENT:
                out.serious_urgent += 1
            elif rating != "unrated":
                out.under_triaged.append(c)
        on = date.fromisoformat(c.received_at[:10])
        for child in c.children:
            overall[rating] += 1
            tallies[("ethnicity", child.ethnicity or "not recorded")][rating] += 1
            tallies[("disability", disability_group(child))][rating] += 1
            tallies[("age band", age_band(child, on))][rating] += 1
    base = _urgent_rate(overall)
    out.groups = [_row("all", "all children", overall, base)] + [
        _row(dim, group, counts, base) for (dim, group), counts in sorted(tallies.items())
    ]
    out.under_triaged.sort(key=lambda c: (c.received_at, c.contact_id))
    return out


def _urgent_rate(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return sum(counts[r] for r in URGENT) / total if total else 0.0


def _row(dim: str, group: str, counts: Counter[str], base: float) -> GroupRow:
    rate = _urgent_rate(counts)
    return GroupRow(
        dim,
        group,
        sum(counts.values()),
        {r: counts[r] for r in RATINGS},
        rate,
        rate / base if base else None,
    )


def report_text(ev: Evaluation, *, source: str, min_group: int = 10) -> str:
    """A readable report. Groups under ``min_group`` children are marked as too small."""
    lines = [f"Triage evaluation: {source}", ""]
    lines.append(f"Decided contacts: {ev.contacts}")
    lines.append(f"Led to strategy discussion / s47 or immediate protection: {ev.serious}")
    if ev.sensitivity is None:
        lines.append("Sensitivity: no such contacts to measure")
    else:
        lines.append(
            f"Sensitivity (first rated Red or Amber): {ev.serious_urgent} of "
            f"{ev.serious} = {ev.sensitivity:.1%}"
        )
    lines += ["", f"Under-triaged (first rated Green or Blue): {len(ev.under_triaged)}"]
    for c in ev.under_triaged[:50]:
        lines.append(
            f"  {c.received_at[:16]}  {c.contact_id}  first {c.first_rating}  "
            f"outcome {', '.join(sorted(c.outcomes))}"
        )
    if len(ev.under_triaged) > 50:
        lines.append(f"  ... and {len(ev.under_triaged) - 50} more (see the CSV)")
    lines += [
        "",
        "Ratings by group (one row per child on a contact; disparity = group's "
        "Red-or-Amber rate / all children's)",
    ]
    header = (
        f"  {'dimension':<11} {'group':<16} {'children':>8} "
        + " ".join(f"{r:>7}" for r in RATINGS)
        + f" {'R/A rate':>9} {'disparity':>9}"
    )
    lines.append(header)
    for g in ev.groups:
        ratio = "-" if g.disparity is None else f"{g.disparity:.2f}"
        if g.children < min_group and g.dimension != "all":
            ratio += "*"
        lines.append(
            f"  {g.dimension:<11} {g.group:<16} {g.children:>8} "
            + " ".join(f"{g.by_rating[r]:>7}" for r in RATINGS)
            + f" {g.urgent_rate:>9.1%} {ratio:>9}"
        )
    lines += ["", f"* fewer than {min_group} children: too few to read a ratio from."]
    return "\n".join(lines) + "\n"


def csv_rows(ev: Evaluation) -> Sequence[list[str]]:
    """Rows for the CSV: summary, group and under-triaged rows under one header."""
    header = [
        "section",
        "dimension",
        "group",
        "children",
        *RATINGS,
        "red_amber_rate",
        "disparity_ratio",
        "contact_id",
        "received_at",
        "first_rating",
        "outcomes",
    ]
    blank = [""] * len(RATINGS)
    rows: list[list[str]] = [header]
    rows.append(
        [
            "summary",
            "sensitivity",
            "serious contacts rated red/amber",
            str(ev.serious),
            *blank,
            "" if ev.sensitivity is None else f"{ev.sensitivity:.4f}",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    for g in ev.groups:
        rows.append(
            [
                "group",
                g.dimension,
                g.group,
                str(g.children),
                *(str(g.by_rating[r]) for r in RATINGS),
                f"{g.urgent_rate:.4f}",
                "" if g.disparity is None else f"{g.disparity:.4f}",
                "",
                "",
                "",
                "",
            ]
        )
    for c in ev.under_triaged:
        rows.append(
            [
                "under_triaged",
                "",
                "",
                "",
                *blank,
                "",
                "",
                c.contact_id,
                c.received_at,
                c.first_rating or "",
                ";".join(sorted(c.outcomes)),
            ]
        )
    return rows


def write_csv(out: TextIO, ev: Evaluation) -> None:
    """The CSV of ``csv_rows``, every text cell neutralised (``domain.cells``)."""
    SafeCsvWriter(out).writerows(csv_rows(ev))
