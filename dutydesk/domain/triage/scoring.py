"""Scoring a contact: policy + contact + the children's history -> score, rating, reasons.

Pure and deterministic. The score is a sum of non-negative points, each factor counted
once (the child with the most points for an age or history factor stands for the
contact), so adding a risk factor can never lower it. Hard rules then set a floor on the
rating whatever the score. Every point carries a reason with the evidence that triggered
it and a sentence a duty manager reads in the queue tooltip and the detail pane.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ..codes import ASSESSMENT_FACTORS, Rating, source_label
from ..history import POLICE_SOURCE, ChildHistory
from ..people import age_in_months
from ..projection import ContactChildRow, ContactRow
from . import factors as catalogue
from .policy import Band, Policy, ResponseTime

MAX_SCORE = 10_000
NON_MOBILE_MONTHS = 6  # NICE CG89: all babies under 6 months are treated as non-mobile


@dataclass(frozen=True, slots=True)
class ChildFacts:
    slot: int
    person_id: str | None = None
    date_of_birth: str | None = None
    expected_date_of_birth: str | None = None
    age_years: int | None = None  # approximate age when the date of birth is not known


_NO_ANSWERS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What scoring reads from a contact, whichever form it came in."""

    contact_id: str
    received_at: datetime
    source_code: str
    categories: tuple[str, ...] = ()
    immediate_danger: bool | None = False  # None: not stated (imported history)
    injury_reported: bool = False
    disclosure: bool = False
    dash_level: str | None = None
    dara_level: str | None = None
    children_present: bool | None = None
    previous_incidents: int | None = None
    children: tuple[ChildFacts, ...] = ()
    # Answers to the factor catalogue's questions, by fact name; a fact nobody was asked
    # is absent (``factors.answers``).
    answers: Mapping[str, Any] = field(default_factory=lambda: _NO_ANSWERS)


@dataclass(frozen=True, slots=True)
class TriageResult:
    contact_id: str
    score: int
    rating: Rating
    reasons: tuple[Mapping[str, Any], ...]
    policy_version: str
    due_at: datetime | None
    decision_due_at: datetime
    hard_rules: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        """The ``contact.rated`` payload."""
        out: dict[str, Any] = {
            "contact_id": self.contact_id,
            "score": self.score,
            "rating": self.rating.value,
            "reasons": [dict(r) for r in self.reasons],
            "policy_version": self.policy_version,
            "decision_due_at": self.decision_due_at.isoformat(),
        }
        if self.due_at is not None:
            out["due_at"] = self.due_at.isoformat()
        return out


def facts_from_payload(payload: Mapping[str, Any]) -> ContactFacts:
    """Facts from a validated ``contact.received`` payload."""
    da = payload.get("domestic_abuse") or {}
    return ContactFacts(
        contact_id=payload["contact_id"],
        received_at=datetime.fromisoformat(payload["received_at"]),
        source_code=payload["source_code"],
        categories=tuple(payload.get("categories", ())),
        immediate_danger=catalogue.danger_answer(payload),
        injury_reported=bool(payload.get("injury_reported")),
        disclosure=bool(payload.get("disclosure")),
        dash_level=da.get("dash_level"),
        dara_level=da.get("dara_level"),
        children_present=da.get("children_present"),
        previous_incidents=da.get("previous_incidents"),
        children=tuple(
            ChildFacts(
                int(c.get("slot", i)),
                c.get("person_id"),
                c.get("date_of_birth"),
                c.get("expected_date_of_birth"),
                c.get("age_years"),
            )
            for i, c in enumerate(payload.get("children", ()))
        ),
        answers=catalogue.answers(payload),
    )


def facts_from_row(row: ContactRow, children: Sequence[ContactChildRow]) -> ContactFacts:
    """Facts from the projected contact and its children."""
    return ContactFacts(
        contact_id=row.contact_id,
        received_at=datetime.fromisoformat(row.received_at),
        source_code=row.source_code,
        categories=tuple(row.categories),
        immediate_danger=row.immediate_danger,
        injury_reported=row.injury_reported,
        disclosure=row.disclosure,
        dash_level=row.dash_level,
        dara_level=row.dara_level,
        children_present=row.children_present,
        previous_incidents=row.previous_incidents,
        children=tuple(
            ChildFacts(c.slot, c.person_id, c.date_of_birth, c.expected_date_of_birth, c.age_years)
            for c in children
        ),
        answers=row.answers or _NO_ANSWERS,
    )


def score_contact(
    contact: ContactFacts | ContactRow | Mapping[str, Any],
    histories: Sequence[ChildHistory],
    policy: Policy,
    now: datetime,
    *,
    children: Sequence[ContactChildRow] = (),
) -> TriageResult:
    """Score ``contact`` (facts, a projected row plus ``children``, or a payload).

    ``now`` is the injected clock's time: a clock never starts after it, so a contact
    stamped in the future (a partner's skewed clock) is not given extra time.
    """
    facts = _facts(contact, children)
    reasons: list[dict[str, Any]] = []
    _contact_points(facts, policy, reasons)
    on = facts.received_at.date()
    ages = [(child, _months_old(child, on)) for child in facts.children]  # once per child
    _age_points(ages, policy, reasons)
    _history_points(facts, histories, policy, reasons)
    score = min(MAX_SCORE, sum(r["points"] for r in reasons))
    rating = policy.rating_for(score)
    rank = _RANK[rating]
    true_facts = _true_facts(facts, ages, histories, policy)  # once per contact
    fired = []
    for rule, all_of, any_of, rule_rank in policy.rule_sets:
        if all_of <= true_facts and (not any_of or not any_of.isdisjoint(true_facts)):
            fired.append(rule)
            if rule_rank < rank:
                rating, rank = rule.rating, rule_rank
    reasons.sort(key=_reason_order)
    unasked = _unasked(facts, ages, score, rank, true_facts, policy)
    rules = [
        _reason(
            f"hard_rule:{rule.id}",
            0,
            "hard rule in policy " + policy.version,
            f"{rule.text}: always {rule.rating.value.capitalize()}",
        )
        for rule in fired
    ]
    summary = _reason("rating", 0, f"score {score}", _summary(score, rating, policy, fired))
    start = min(facts.received_at, now)
    at_once = any(rule.respond_now for rule in fired)
    return TriageResult(
        contact_id=facts.contact_id,
        score=score,
        rating=rating,
        reasons=tuple([summary, *rules, *unasked, *reasons]),
        policy_version=policy.version,
        due_at=start if at_once else due_time(policy, policy.response[rating], start),
        decision_due_at=due_time(policy, policy.decision, start) or start,
        hard_rules=tuple(rule.id for rule in fired),
    )


_RANK = {r: r.rank for r in Rating}


def _reason_order(r: Mapping[str, Any]) -> tuple[int, str]:
    return -r["points"], r["factor"]


# The yes/no questions whose "yes" adds points of its own or fires a hard rule.
_KEY_QUESTIONS = ("immediate_danger", "injury_reported", "disclosure")


def _not_asked(f: ContactFacts, name: str) -> bool:
    if name == "immediate_danger":
        return f.immediate_danger is None
    return not getattr(f, name) and name not in f.answers


def _unasked(
    f: ContactFacts,
    ages: Sequence[tuple[ChildFacts, int | None]],
    score: int,
    rank: int,
    true_facts: set[str],
    p: Policy,
) -> list[dict[str, Any]]:
    """A 0-point reason for each key question nobody answered whose "yes" would give a
    higher rating: not asked is scored like "no", and this says so where it matters, so
    a question left unanswered never lowers a rating silently (issue 14)."""
    out: list[dict[str, Any]] = []
    if rank == 0:  # already the most urgent: no "yes" could raise it (issue 19)
        return out
    for name in _KEY_QUESTIONS:
        if not _not_asked(f, name):
            continue
        facts = true_facts | {name}
        if name == "injury_reported":
            # The facts with injury_reported true: the injured child's facts join them
            # (nothing else in ``_true_facts`` reads injury_reported).
            _injury_facts(f, ages, facts)
        would = p.rating_for(min(MAX_SCORE, score + p.flags.get(name, 0)))
        would_rank = _RANK[would]
        for rule, all_of, any_of, rule_rank in p.rule_sets:
            if (
                rule_rank < would_rank
                and all_of <= facts
                and (not any_of or not any_of.isdisjoint(facts))
            ):
                would, would_rank = rule.rating, rule_rank
        if would_rank < rank:
            word = would.value.capitalize()
            question = catalogue.BY_NAME[name].question
            text = (
                f"Immediate danger not stated: a yes would make it {word}"
                if name == "immediate_danger"
                else f"Not asked, scored as no: {question} A yes would make it {word}"
            )
            out.append(_reason(f"not_asked:{name}", 0, f"{name} not asked", text))
    return out


def due_time(policy: Policy, response: ResponseTime, start: datetime) -> datetime | None:
    """When a response measured by ``response`` falls due for a clock started at ``start``."""
    office = policy.office
    if response.unit == "working_hours":
        return office.add_working_hours(start, response.amount)
    if response.unit == "hours":
        return office.add_elapsed_hours(start, response.amount)
    if response.unit == "working_days":
        return office.add_working_days(start, int(response.amount))
    return None


def _facts(
    contact: ContactFacts | ContactRow | Mapping[str, Any], children: Sequence[ContactChildRow]
) -> ContactFacts:
    if isinstance(contact, ContactFacts):
        return contact
    if isinstance(contact, ContactRow):
        return facts_from_row(contact, children)
    return facts_from_payload(contact)


def _reason(factor: str, points: int, evidence: str, text: str) -> dict[str, Any]:
    return {"factor": factor, "points": points, "evidence": evidence, "text": text}


def _plus(points: int) -> str:
    return f" (+{points})"


_FLAG_TEXT = {
    "immediate_danger": "Child reported to be in immediate danger",
    "injury_reported": "Injury or bruising reported",
    "disclosure": "Child has disclosed abuse",
}


@lru_cache(maxsize=2048)
def _category_reason(code: str, points: int) -> tuple[str, str, str]:
    label = ASSESSMENT_FACTORS[code].label if code in ASSESSMENT_FACTORS else code
    return f"category:{code}", f"concern category {code}", f"Concern: {label}{_plus(points)}"


@lru_cache(maxsize=256)
def _flag_reason(flag: str, points: int) -> tuple[str, str, str]:
    return f"flag:{flag}", f"{flag} = true", _FLAG_TEXT[flag] + _plus(points)


@lru_cache(maxsize=256)
def _source_reason(code: str, points: int) -> tuple[str, str, str]:
    return (
        f"source:{code}",
        f"source code {code}",
        f"Referred by {source_label(code)}{_plus(points)}",
    )


def _contact_points(f: ContactFacts, p: Policy, out: list[dict[str, Any]]) -> None:
    # The reasons' texts depend only on the code and its points: made once each.
    for code in f.categories:
        points = p.categories.get(code, 0)
        if points:
            factor, evidence, text = _category_reason(code, points)
            out.append(_reason(factor, points, evidence, text))
    for flag in _FLAG_TEXT:
        if getattr(f, flag):
            points = p.flags.get(flag, 0)
            if points:
                factor, evidence, text = _flag_reason(flag, points)
                out.append(_reason(factor, points, evidence, text))
    levels = [lv for lv in (f.dash_level, f.dara_level) if lv is not None and lv in p.da_levels]
    if levels:
        level = max(levels, key=lambda lv: p.da_levels[lv])
        points = p.da_levels[level]
        if points:
            tool = "DASH" if level == f.dash_level else "DARA"
            out.append(
                _reason(
                    f"da_level:{level}",
                    points,
                    f"{tool} level {level}",
                    f"Domestic abuse risk ({tool}) {level}{_plus(points)}",
                )
            )
    if f.children_present and p.children_present:
        out.append(
            _reason(
                "da:children_present",
                p.children_present,
                "domestic_abuse.children_present = true",
                "Children present at the domestic abuse incident" + _plus(p.children_present),
            )
        )
    band = _band(p.previous_incidents, f.previous_incidents or 0)
    if band:
        out.append(
            _reason(
                "da:previous_incidents",
                band.points,
                f"{f.previous_incidents} police-recorded incidents in 12 months",
                f"{f.previous_incidents} earlier domestic abuse incidents in 12 "
                f"months{_plus(band.points)}",
            )
        )
    if f.answers and (p.factors or p.factor_bands):
        _factor_points(f.answers, p, out)
    points = p.sources.get(f.source_code, 0)
    if points:
        factor, evidence, text = _source_reason(f.source_code, points)
        out.append(_reason(factor, points, evidence, text))


def _factor_points(answers: Mapping[str, Any], p: Policy, out: list[dict[str, Any]]) -> None:
    """Points for the catalogue's yes/no facts answered "yes" and its counts' bands."""
    for name, value in answers.items():  # usually a handful: walk the answers, not the policy
        if value is True:
            points = p.factors.get(name, 0)
            if points:
                text = catalogue.BY_NAME[name].reason
                out.append(_reason(f"fact:{name}", points, f"{name} = yes", text + _plus(points)))
        elif name in p.factor_bands and isinstance(value, int) and value is not False:
            band = _band(p.factor_bands[name], value)
            if band and band.points:
                text = catalogue.BY_NAME[name].reason
                out.append(
                    _reason(
                        f"fact:{name}",
                        band.points,
                        f"{name} = {value}",
                        f"{text}: {value}{_plus(band.points)}",
                    )
                )


def _months_old(child: ChildFacts, on: date) -> int | None:
    """Age in whole months on ``on``; -1 for an unborn child; None when not known. An
    approximate age of N years counts as N years exactly (the youngest it can be)."""
    if child.date_of_birth:
        born = date.fromisoformat(child.date_of_birth)
        return -1 if born > on else age_in_months(born, on)
    if child.expected_date_of_birth:
        return -1
    if child.age_years is not None:
        return child.age_years * 12
    return None


def _age_points(
    ages: Sequence[tuple[ChildFacts, int | None]], p: Policy, out: list[dict[str, Any]]
) -> None:
    best: tuple[int, str, str, str] | None = None  # points, factor, evidence, text
    for child, months in ages:
        who = f"child {child.slot + 1}"
        if months is None:
            continue
        if months < 0:
            found = (p.unborn, "age:unborn", f"{who} is unborn", "Unborn child")
        else:
            band = next((b for b in p.age_bands if months < b.under_months), None)
            if band is None:
                continue
            found = (
                band.points,
                f"age:{band.id}",
                f"{who} is {months} months old",
                band.label[0].upper() + band.label[1:],
            )
        if found[0] and (best is None or found[0] > best[0]):
            best = found
    if best:
        out.append(_reason(best[1], best[0], best[2], best[3] + _plus(best[0])))


def _best(
    histories: Sequence[tuple[str, ChildHistory]], value: Any
) -> tuple[str, ChildHistory] | None:
    """The first child with the highest non-zero ``value`` (a plain loop: called six times
    per contact)."""
    found: tuple[str, ChildHistory] | None = None
    top: Any = None
    for who, h in histories:
        v = value(h)
        if v and (found is None or v > top):
            found, top = (who, h), v
    return found


def _blank(h: ChildHistory) -> bool:
    """Nothing in ``h`` can give a history factor (no count, flag or plan)."""
    return not (
        h.re_referral
        or h.referrals_12m
        or h.contacts_12m
        or h.police_notifications
        or h.cp_plan
        or h.open_case
        or h.looked_after
    )


def _history_points(
    f: ContactFacts, histories: Sequence[ChildHistory], p: Policy, out: list[dict[str, Any]]
) -> None:
    # A child with nothing on record gives no history factor (every test below needs a
    # true or non-zero value), so only the others are named and searched.
    marked = [h for h in histories if not _blank(h)]
    if marked:
        slot_of = {c.person_id: c.slot for c in f.children if c.person_id}
        named = [
            (f"child {slot_of[h.person_id] + 1}" if h.person_id in slot_of else "a child", h)
            for h in marked
        ]
    else:
        named = []
    w = p.history
    this_police = 1 if f.source_code == POLICE_SOURCE else 0

    found = _best(named, lambda h: h.re_referral)
    if found and w.re_referral:
        who, h = found
        out.append(
            _reason(
                "history:re_referral",
                w.re_referral,
                f"{who}: referral on {h.last_referral_on}",
                f"Referred within the last {w.rereferral_months} months: a new "
                f"referral would be a re-referral{_plus(w.re_referral)}",
            )
        )
    for key, value, text in (
        ("referrals_12m", lambda h: h.referrals_12m, "{n} referrals in the last {m} months"),
        ("contacts_12m", lambda h: h.contacts_12m, "{n} earlier contacts in the last {m} months"),
    ):
        found = _best(named, value)
        band = _band(getattr(w, key), value(found[1])) if found else None
        if found and band:
            n = value(found[1])
            out.append(
                _reason(
                    f"history:{key}",
                    band.points,
                    f"{found[0]}: {n}",
                    text.format(n=n, m=w.rereferral_months) + _plus(band.points),
                )
            )
    police = max((h.police_notifications for _, h in named), default=0) + this_police
    band = _band(w.police_notifications, police)
    if band:
        out.append(
            _reason(
                "history:police_notifications",
                band.points,
                f"{police} police notifications in {w.police_months} months"
                + (" including this one" if this_police else ""),
                f"Repeated police notifications: {police} in {w.police_months} "
                f"months (escalation){_plus(band.points)}",
            )
        )
    if w.agencies_12m and histories:  # with no history only this contact's source counts
        agencies = _agencies(f, histories)
        band = _band(w.agencies_12m, agencies)
        if band and band.points:
            out.append(
                _reason(
                    "history:agencies_12m",
                    band.points,
                    f"{agencies} different sources in {w.rereferral_months} "
                    "months, this one included",
                    f"Concerns from {agencies} different agencies or people in "
                    f"{w.rereferral_months} months{_plus(band.points)}",
                )
            )
    _cp_plan_points(named, w, out)
    for factor, points, test, text in (
        (
            "open_case",
            w.open_case,
            lambda h: h.open_case,
            "Open case: an allocated worker holds it",
        ),
        ("looked_after", w.looked_after, lambda h: h.looked_after, "Looked-after child"),
    ):
        found = _best(named, test)
        if found and points:
            out.append(
                _reason(f"history:{factor}", points, f"{found[0]}: {factor}", text + _plus(points))
            )


def _cp_plan_points(
    histories: Sequence[tuple[str, ChildHistory]], w: Any, out: list[dict[str, Any]]
) -> None:
    """One factor for the whole contact: the child whose plan weighs most (a current plan
    outranks a past one), so a plan becoming current can never lower the score."""
    points = {"current": w.cp_plan_current, "past": w.cp_plan_past}
    found = _best(histories, lambda h: points.get(h.cp_plan or "", 0))
    if found:
        who, h = found
        text = (
            "Child protection plan: current"
            if h.cp_plan == "current"
            else "Child protection plan in the past"
        )
        out.append(
            _reason(
                f"history:cp_plan_{h.cp_plan}",
                points[h.cp_plan or ""],
                f"{who}: cp_plan = {h.cp_plan}",
                text + _plus(points[h.cp_plan or ""]),
            )
        )


def _agencies(f: ContactFacts, histories: Sequence[ChildHistory]) -> int:
    """Distinct referral sources about one child in the history window, this contact
    included (the child with the most counts)."""
    return max((len(set(h.sources_12m) | {f.source_code}) for h in histories), default=1)


def _band(bands: Sequence[Band], value: int) -> Band | None:
    reached = [b for b in bands if value >= b.min]
    return reached[-1] if reached else None


def _true_facts(
    f: ContactFacts,
    ages: Sequence[tuple[ChildFacts, int | None]],
    histories: Sequence[ChildHistory],
    p: Policy,
) -> set[str]:
    out = {f"category:{c}" for c in f.categories}
    if f.answers:
        out.update([name for name, value in f.answers.items() if value is True])
    for name in ("immediate_danger", "injury_reported", "disclosure"):
        if getattr(f, name):
            out.add(name)
    if f.children_present:
        out.add("children_present")
    if "high" in (f.dash_level, f.dara_level):
        out.add("da_high")
    for _, months in ages:
        if months is None:
            continue
        if months < 0:
            out.add("child_unborn")
            continue
        if months < 60:
            out.add("child_under_5")
            if months < 24:
                out.add("child_under_2")
                if months < 12:
                    out.add("child_under_1")
                    if months < NON_MOBILE_MONTHS:
                        out.add("child_non_mobile")
    if f.injury_reported:
        _injury_facts(f, ages, out)
    for condition, name, least in p.count_conditions:
        if _count(name, f, histories) >= least:
            out.add(condition)
    return out


def _injury_facts(
    f: ContactFacts, ages: Sequence[tuple[ChildFacts, int | None]], out: set[str]
) -> None:
    """Facts about the injured child: the one named, or any child when none is named.
    Not independently mobile by the form's answer (Panel 2022) or by age (NICE CG89)."""
    named = f.answers.get("injury_child")
    months = [
        m
        for child, m in ages
        if m is not None and m >= 0 and (named is None or child.slot == named)
    ]
    if f.answers.get("injury_child_mobile") == "not_mobile" or any(
        m < NON_MOBILE_MONTHS for m in months
    ):
        out.add("injured_child_not_mobile")
    if any(m < 60 for m in months):
        out.add("injured_child_under_5")


def _count(name: str, f: ContactFacts, histories: Sequence[ChildHistory]) -> int:
    if name in ("contacts_12m", "referrals_12m"):
        return max([getattr(h, name) for h in histories]) if histories else 0
    if name == "agencies_12m":
        return _agencies(f, histories)
    if name == "police_notifications":
        this = 1 if f.source_code == POLICE_SOURCE else 0
        return max((h.police_notifications for h in histories), default=0) + this
    if name == "previous_incidents":
        return f.previous_incidents or 0
    value = f.answers.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _summary(score: int, rating: Rating, p: Policy, fired: Sequence[Any]) -> str:
    by_score = p.rating_for(score)
    head = f"Score {score}: {by_score.value.capitalize()} by score ({p.steps_text})"
    if fired and rating != by_score:
        return f"{head}; {rating.value.capitalize()} by hard rule"
    return head
