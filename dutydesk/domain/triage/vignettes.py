"""Practice vignettes: contacts written from public guidance, each with the ratings practice
would accept, run through the policy to see where it agrees (tests/data/vignettes/).

A vignette's facts are an intake-format contact, validated by the same rules as any
``contact.received`` payload; its history (earlier contacts, plans, care status) is turned
into the children's histories by the same ``build_history`` the desk uses. The policy is
judged against the vignettes, never the other way round.

A file may say ``"split": "held-out"``: its vignettes were written after the policy was
tuned on the others and first rated by it unchanged, so their first result measures how
the policy does on contacts it was not fitted to. The report gives the figures per split.

For the evaluation report a vignette whose acceptable ratings are all Red or Amber counts
as one practice would take to a strategy discussion or immediate protection, so the same
sensitivity, under-triage and disparity figures as for real decisions can be read from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..codes import Outcome, Rating
from ..errors import ValidationError
from ..events import validate_payload
from ..history import ChildHistory, PastContact, build_history
from ..ids import stable_id
from ..projection import PersonRow
from .evaluation import EvalChild, EvalContact
from .policy import Policy
from .scoring import TriageResult, score_contact

RATINGS = tuple(r.value for r in Rating)
TUNING = "tuning"
HELD_OUT = "held-out"
SPLITS = (TUNING, HELD_OUT)


class VignetteError(ValidationError):
    """A vignette file that cannot be used; the path names the file and the vignette."""


@dataclass(frozen=True, slots=True)
class Vignette:
    id: str
    source: str
    why: str
    acceptable: tuple[str, ...]
    payload: Mapping[str, Any]  # a validated contact.received payload
    history: tuple[Mapping[str, Any], ...] = ()
    file: str = ""
    split: str = TUNING

    @property
    def red_only(self) -> bool:
        return self.acceptable == (Rating.RED.value,)

    @property
    def serious(self) -> bool:
        """Practice would act the same day or next: only Red or Amber are acceptable."""
        return set(self.acceptable) <= {Rating.RED.value, Rating.AMBER.value}


@dataclass(frozen=True, slots=True)
class VignetteResult:
    vignette: Vignette
    result: TriageResult

    @property
    def rating(self) -> str:
        return self.result.rating.value

    @property
    def within(self) -> bool:
        return self.rating in self.vignette.acceptable

    @property
    def under(self) -> bool:
        """Rated lower than every acceptable rating."""
        rank = Rating(self.rating).rank
        return all(rank > Rating(a).rank for a in self.vignette.acceptable)

    @property
    def over(self) -> bool:
        rank = Rating(self.rating).rank
        return all(rank < Rating(a).rank for a in self.vignette.acceptable)


def parse_file(text: str, source: str) -> list[Vignette]:
    """The vignettes in one file: ``{"defaults": {...}, "vignettes": [...]}``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise VignetteError(f"not valid JSON: {err.msg}", f"{source}, line {err.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("vignettes"), list):
        raise VignetteError('expected {"defaults": {...}, "vignettes": [...]}', source)
    unknown_top = sorted(set(data) - {"defaults", "vignettes", "split", "note"})
    if unknown_top:
        raise VignetteError(f"unknown key {unknown_top[0]!r}", source)
    split = data.get("split", TUNING)
    if split not in SPLITS:
        raise VignetteError(f"split must be one of {', '.join(SPLITS)}, got {split!r}", source)
    defaults = data.get("defaults") or {}
    out = []
    for i, item in enumerate(data["vignettes"]):
        where = f"{source}: vignettes[{i}]"
        if not isinstance(item, dict):
            raise VignetteError("expected an object", where)
        unknown = sorted(set(item) - {"id", "source", "why", "acceptable", "contact", "history"})
        if unknown:
            raise VignetteError(f"unknown key {unknown[0]!r}", where)
        for key in ("id", "source", "why", "acceptable", "contact"):
            if not item.get(key):
                raise VignetteError(f"{key} is missing", where)
        vid = str(item["id"])
        where = f"{source}: {vid}"
        acceptable = tuple(item["acceptable"])
        bad = [a for a in acceptable if a not in RATINGS]
        if bad:
            raise VignetteError(f"unknown rating {bad[0]!r}", f"{where}: acceptable")
        history = tuple(item.get("history") or ())
        body = {**defaults, **item["contact"]}
        body.setdefault("contact_id", stable_id("vignette", vid))
        children = [dict(c) for c in body.get("children", ())]
        for entry in history:
            slot = entry.get("slot", 0)
            if not isinstance(slot, int) or not 0 <= slot < len(children):
                raise VignetteError(
                    f"history names child slot {slot!r}, which the contact does not have",
                    f"{where}: history",
                )
            children[slot].setdefault("person_id", stable_id("vignette-person", vid, str(slot)))
        body["children"] = children
        try:
            received = datetime.fromisoformat(str(body.get("received_at")))
            payload = validate_payload("contact.received", body, today=received.date())
        except (ValidationError, ValueError) as err:
            raise VignetteError(str(err), f"{where}: contact") from None
        out.append(
            Vignette(
                vid,
                str(item["source"]),
                str(item["why"]),
                tuple(sorted(acceptable, key=lambda r: Rating(r).rank)),
                payload,
                history,
                source,
                split,
            )
        )
    return out


def load_texts(files: Iterable[tuple[str, str]]) -> list[Vignette]:
    """Vignettes from ``(name, text)`` pairs; ids must be unique across files."""
    out: list[Vignette] = []
    seen: dict[str, str] = {}
    for name, text in files:
        for v in parse_file(text, name):
            if v.id in seen:
                raise VignetteError(f"id {v.id!r} already used in {seen[v.id]}", name)
            seen[v.id] = name
            out.append(v)
    if not out:
        raise VignetteError("no vignettes found", ", ".join(n for n, _ in files) or "(none)")
    return out


def histories(v: Vignette, policy: Policy) -> list[ChildHistory]:
    """The children's histories as at the vignette's contact, from its ``history``."""
    at = datetime.fromisoformat(v.payload["received_at"])
    out = []
    for entry in v.history:
        slot = entry.get("slot", 0)
        pid = v.payload["children"][slot]["person_id"]
        earlier = []
        for n, past in enumerate(entry.get("earlier", ())):
            when = at - timedelta(days=int(past["days_before"]))
            outcome = past.get("outcome")
            if outcome is not None:
                Outcome(outcome)  # a misspelt outcome fails loudly
            earlier.append(
                PastContact(
                    contact_id=stable_id("vignette-past", v.id, str(slot), str(n)),
                    received_at=when.isoformat(),
                    source_code=str(past["source_code"]),
                    outcome=outcome,
                    is_referral=bool(past.get("referral")),
                    decided_at=(when + timedelta(days=1)).isoformat(),
                )
            )
        person = PersonRow(
            person_id=pid,
            open_case=bool(entry.get("open_case")),
            cp_plan=entry.get("cp_plan"),
            looked_after=bool(entry.get("looked_after")),
        )
        out.append(
            build_history(
                pid,
                person,
                earlier,
                at,
                rereferral_months=policy.history.rereferral_months,
                police_months=policy.history.police_months,
            )
        )
    return out


def run(vignettes: Sequence[Vignette], policy: Policy) -> list[VignetteResult]:
    out = []
    for v in vignettes:
        at = datetime.fromisoformat(v.payload["received_at"])
        out.append(
            VignetteResult(
                v, score_contact(v.payload, histories(v, policy), policy, at + timedelta(minutes=1))
            )
        )
    return out


def as_eval_contacts(results: Sequence[VignetteResult]) -> list[EvalContact]:
    """Vignettes in the shape ``evaluation.evaluate`` reads: a serious vignette stands for
    a contact that led to a strategy discussion, any other for one that did not."""
    out = []
    for r in results:
        p = r.vignette.payload
        outcome = (Outcome.STRATEGY_S47 if r.vignette.serious else Outcome.EARLY_HELP).value
        children = tuple(
            EvalChild(
                c.get("ethnicity"),
                tuple(c.get("disabilities", ())),
                c.get("date_of_birth") or _approx_birth(p, c),
                c.get("expected_date_of_birth"),
            )
            for c in p["children"]
        )
        out.append(
            EvalContact(r.vignette.id, p["received_at"], r.rating, frozenset({outcome}), children)
        )
    return out


def _approx_birth(payload: Mapping[str, Any], child: Mapping[str, Any]) -> str | None:
    years = child.get("age_years")
    if years is None:
        return None
    on = datetime.fromisoformat(payload["received_at"]).date()
    return (
        on.replace(year=on.year - int(years)).isoformat()
        if not (on.month == 2 and on.day == 29)
        else on.replace(year=on.year - int(years), day=28).isoformat()
    )


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    within: int
    red_only: int
    red_only_red: int
    under: tuple[VignetteResult, ...]
    over: tuple[VignetteResult, ...]

    @property
    def red_recall(self) -> float | None:
        return self.red_only_red / self.red_only if self.red_only else None


def summarise(results: Sequence[VignetteResult]) -> Summary:
    red_only = [r for r in results if r.vignette.red_only]
    return Summary(
        total=len(results),
        within=sum(1 for r in results if r.within),
        red_only=len(red_only),
        red_only_red=sum(1 for r in red_only if r.rating == "red"),
        under=tuple(r for r in results if r.under),
        over=tuple(r for r in results if r.over),
    )


def report_text(results: Sequence[VignetteResult], policy: Policy, source: str) -> str:
    s = summarise(results)
    lines = [f"Triage vignettes: {source}", f"Policy: {policy.name} ({policy.version})", ""]
    lines.append(f"Within the acceptable ratings: {s.within} of {s.total}")
    recall = "-" if s.red_recall is None else f"{s.red_recall:.0%}"
    lines.append(
        f"Red-only vignettes rated Red (recall): {s.red_only_red} of {s.red_only} = {recall}"
    )
    lines.append(f"Under-triaged (below every acceptable rating): {len(s.under)}")
    lines.append(f"Over-triaged (above every acceptable rating): {len(s.over)}")
    splits = [split for split in SPLITS if any(r.vignette.split == split for r in results)]
    if len(splits) > 1:
        for split in splits:
            part = summarise([r for r in results if r.vignette.split == split])
            recall = "-" if part.red_recall is None else f"{part.red_recall:.0%}"
            lines.append(
                f"  {split + ':':<10} within {part.within} of {part.total}; Red-only "
                f"Red {part.red_only_red} of {part.red_only} = {recall}; under "
                f"{len(part.under)}, over {len(part.over)}"
            )
    lines += ["", f"  {'vignette':<46} {'acceptable':<18} {'rated':<6} {'score':>5}  rule"]
    for r in results:
        mark = "" if r.within else ("  UNDER" if r.under else "  OVER")
        lines.append(
            f"  {r.vignette.id:<46} {'/'.join(r.vignette.acceptable):<18} "
            f"{r.rating:<6} {r.result.score:>5}  "
            f"{', '.join(r.result.hard_rules) or '-'}{mark}"
        )
    return "\n".join(lines) + "\n"


def markdown_table(results: Sequence[VignetteResult]) -> str:
    """The results as a Markdown table (docs/triage.md)."""
    lines = [
        "| vignette | source | acceptable | rated | score | hard rule | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        source = r.vignette.source.split(";")[0].replace("|", "/")
        lines.append(
            f"| {r.vignette.id} | {source} | {'/'.join(r.vignette.acceptable)} | "
            f"{r.rating} | {r.result.score} | "
            f"{', '.join(r.result.hard_rules) or '-'} | "
            f"{'yes' if r.within else 'NO'} |"
        )
    return "\n".join(lines) + "\n"
