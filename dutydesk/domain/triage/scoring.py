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
from ..errors import ValidationError
from ..history import POLICE_SOURCE, ChildHistory
from ..people import age_in_months
from ..projection import ContactChildRow, ContactRow
from ..referrals import referral_date
from . import factors as catalogue
from .policy import Band, Policy, ResponseTime

MAX_SCORE = 10_000

# Bumped whenever a change to this code (not to a policy file) changes the rating some
# contact would get: a policy's version names the points, this names the arithmetic that
# applies them. Every ``contact.rated`` it makes carries it (``scorer_revision``), and a
# desk re-rates the open contacts whose rating a lower revision made (docs/triage.md).
#   1: up to 2 Dec 2026.
#   2: history windows and a child's age count London dates whatever UTC offset a time
#      was written with (a partner's "Z" time near midnight in summer was counted on
#      the wrong day: 12-month counts, the under-1 and non-mobile bands).
SCORER_REVISION = 2
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
            "scorer_revision": SCORER_REVISION,
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


# ---- scoring: a compact key per reason; texts only when a reason is shown or recorded --
#
# A reason key is ``(factor, points, kind, *params)``: the factor and points a reason
# records, and the parameters its evidence and text are made from. Keys compare (and
# hash) as plain tuples, so the bulk re-rating compares what the policy says now with what
# is stored without making a text for every contact (issue 19); ``format_reason`` makes
# the ``{"factor", "points", "evidence", "text"}`` mapping a ``contact.rated`` event
# records and the queue's tooltip and the detail pane show, from the key and the policy.

ReasonKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    """A contact's score with its reasons as keys (``format_reason``): what bulk rating
    compares; ``result()`` is the ``TriageResult`` with the texts."""

    contact_id: str
    score: int
    rating: Rating
    keys: tuple[ReasonKey, ...]
    policy: Policy
    due_at: datetime | None
    decision_due_at: datetime
    hard_rules: tuple[str, ...] = ()

    def reasons(self) -> tuple[dict[str, Any], ...]:
        return tuple(format_reason(key, self.policy) for key in self.keys)

    def result(self) -> TriageResult:
        return TriageResult(
            contact_id=self.contact_id,
            score=self.score,
            rating=self.rating,
            reasons=self.reasons(),
            policy_version=self.policy.version,
            due_at=self.due_at,
            decision_due_at=self.decision_due_at,
            hard_rules=self.hard_rules,
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
    return score_keys(_facts(contact, children), histories, policy, now).result()


def score_keys(
    facts: ContactFacts, histories: Sequence[ChildHistory], policy: Policy, now: datetime
) -> Scored:
    """``score_contact`` with the reasons as keys (no text made)."""
    keys: list[ReasonKey] = []
    _contact_points(facts, policy, keys)
    on = referral_date(facts.received_at)  # the London day, whatever the offset written
    ages = [(child, _months_old(child, on)) for child in facts.children]  # once per child
    _age_points(ages, policy, keys)
    _history_points(facts, histories, policy, keys)
    score = min(MAX_SCORE, sum([k[1] for k in keys]))
    by_score = policy.rating_for(score)
    rating, rank = by_score, _RANK[by_score]
    true_facts = _true_facts(facts, ages, histories, policy)  # once per contact
    fired, rule_rank = _fired(policy, frozenset(true_facts))
    if rule_rank < rank:
        rank = rule_rank
        rating = _BY_RANK[rank]
    if len(keys) > 1:
        keys.sort(key=_key_order)
    unasked = _unasked(facts, ages, score, rank, true_facts, policy) if rank else []
    summary = ("rating", 0, "summary", score, rating, bool(fired) and rating != by_score)
    start = now if now < facts.received_at else facts.received_at  # as min(): ties keep it
    if fired:
        rules = policy.hard_rules
        at_once = any(rules[i].respond_now for i in fired)
        head = (summary, *[_rule_key(policy, i) for i in fired], *unasked)
        ids = tuple(rules[i].id for i in fired)
    else:
        at_once, head, ids = False, (summary, *unasked), ()
    # One clock start for both due times (``due_time`` starts it for each), started only
    # when a due time is counted on office time.
    response = policy.response[rating]
    if policy.decision.unit in _CLOCKED or (not at_once and response.unit in _CLOCKED):
        started = policy.office.clock_start(start)
    else:
        started = start
    decision = _due_from(policy, policy.decision, started)
    return Scored(
        facts.contact_id,
        score,
        rating,
        head + tuple(keys),
        policy,
        start if at_once else _due_from(policy, response, started),
        decision or start,
        ids,
    )


_CLOCKED = frozenset({"working_hours", "hours", "working_days"})


_RANK = {r: r.rank for r in Rating}
_BY_RANK = {r.rank: r for r in Rating}
_NO_RULE = len(_RANK)  # ranks are 0 (most urgent) upwards: no rule fired sorts after all


def _key_order(k: ReasonKey) -> tuple[int, str]:
    return -k[1], k[0]


def _fired(p: Policy, facts: frozenset[str]) -> tuple[tuple[int, ...], int]:
    """The hard rules (indexes, in policy order) that ``facts`` fire, and the most urgent
    rank among them. Remembered per policy and set of facts: contacts share a few hundred
    sets of true facts, and a policy checks every rule for each."""
    cache = p.fired_cache
    found = cache.get(facts)
    if found is None:
        fired = []
        best = _NO_RULE
        for i, (_, all_of, any_of, rule_rank) in enumerate(p.rule_sets):
            if all_of <= facts and (not any_of or not any_of.isdisjoint(facts)):
                fired.append(i)
                best = min(best, rule_rank)
        if len(cache) >= 100_000:
            cache.clear()
        found = cache[facts] = (tuple(fired), best)
    return found


def _rule_key(p: Policy, i: int) -> ReasonKey:
    return (f"hard_rule:{p.hard_rules[i].id}", 0, "hard_rule", i)


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
) -> list[ReasonKey]:
    """A 0-point reason for each key question nobody answered whose "yes" would give a
    higher rating: not asked is scored like "no", and this says so where it matters, so
    a question left unanswered never lowers a rating silently (issue 14). Not called for
    the most urgent rank: no "yes" could raise it (issue 19)."""
    out: list[ReasonKey] = []
    for name in _KEY_QUESTIONS:
        if not _not_asked(f, name):
            continue
        facts = true_facts | {name}
        if name == "injury_reported":
            # The facts with injury_reported true: the injured child's facts join them
            # (nothing else in ``_true_facts`` reads injury_reported).
            _injury_facts(f, ages, facts)
        would_rank = _RANK[p.rating_for(min(MAX_SCORE, score + p.flags.get(name, 0)))]
        would_rank = min(would_rank, _fired(p, frozenset(facts))[1])
        if would_rank < rank:
            out.append((f"not_asked:{name}", 0, "not_asked", name, _BY_RANK[would_rank]))
    return out


def due_time(policy: Policy, response: ResponseTime, start: datetime) -> datetime | None:
    """When a response measured by ``response`` falls due for a clock started at ``start``."""
    if response.unit not in _CLOCKED:
        return None
    return _due_from(policy, response, policy.office.clock_start(start))


def _due_from(policy: Policy, response: ResponseTime, started: datetime) -> datetime | None:
    """``due_time`` for a clock already started (``OfficeHours.clock_start``)."""
    office = policy.office
    if response.unit == "working_hours":
        return office.working_hours_after(started, response.amount)
    if response.unit == "hours":
        return office.elapsed_hours_after(started, response.amount)
    if response.unit == "working_days":
        days = int(response.amount)
        if days < 0:
            raise ValidationError(f"cannot add {days} working days", "days")
        return office.working_hours_after(started, days * office.hours_per_day)
    return None


def _facts(
    contact: ContactFacts | ContactRow | Mapping[str, Any], children: Sequence[ContactChildRow]
) -> ContactFacts:
    if isinstance(contact, ContactFacts):
        return contact
    if isinstance(contact, ContactRow):
        return facts_from_row(contact, children)
    return facts_from_payload(contact)


def _plus(points: int) -> str:
    return f" (+{points})"


_FLAG_TEXT = {
    "immediate_danger": "Child reported to be in immediate danger",
    "injury_reported": "Injury or bruising reported",
    "disclosure": "Child has disclosed abuse",
}


def _who(slot: int | None) -> str:
    return "a child" if slot is None else f"child {slot + 1}"


_COUNT_TEXT = {
    "referrals_12m": "{n} referrals in the last {m} months",
    "contacts_12m": "{n} earlier contacts in the last {m} months",
}
_HISTORY_FLAG_TEXT = {
    "open_case": "Open case: an allocated worker holds it",
    "looked_after": "Looked-after child",
}


def _texts(key: ReasonKey, p: Policy) -> tuple[str, str]:
    """The evidence and text of the reason ``key`` under policy ``p``."""
    _, points, kind, *a = key
    plus = _plus(points)
    w = p.history
    if kind == "summary":
        score, rating, by_rule = a
        head = f"Score {score}: {p.rating_for(score).value.capitalize()} by score ({p.steps_text})"
        return (
            f"score {score}",
            f"{head}; {rating.value.capitalize()} by hard rule" if by_rule else head,
        )
    if kind == "hard_rule":
        rule = p.hard_rules[a[0]]
        return (
            "hard rule in policy " + p.version,
            f"{rule.text}: always {rule.rating.value.capitalize()}",
        )
    if kind == "not_asked":
        name, would = a
        word = would.value.capitalize()
        if name == "immediate_danger":
            return f"{name} not asked", f"Immediate danger not stated: a yes would make it {word}"
        question = catalogue.BY_NAME[name].question
        return (
            f"{name} not asked",
            f"Not asked, scored as no: {question} A yes would make it {word}",
        )
    if kind == "category":
        (code,) = a
        label = ASSESSMENT_FACTORS[code].label if code in ASSESSMENT_FACTORS else code
        return f"concern category {code}", f"Concern: {label}{plus}"
    if kind == "flag":
        (flag,) = a
        return f"{flag} = true", _FLAG_TEXT[flag] + plus
    if kind == "da_level":
        tool, level = a
        return f"{tool} level {level}", f"Domestic abuse risk ({tool}) {level}{plus}"
    if kind == "children_present":
        return (
            "domestic_abuse.children_present = true",
            "Children present at the domestic abuse incident" + plus,
        )
    if kind == "previous_incidents":
        (n,) = a
        return (
            f"{n} police-recorded incidents in 12 months",
            f"{n} earlier domestic abuse incidents in 12 months{plus}",
        )
    if kind == "fact":
        (name,) = a
        return f"{name} = yes", catalogue.BY_NAME[name].reason + plus
    if kind == "fact_count":
        name, value = a
        return f"{name} = {value}", f"{catalogue.BY_NAME[name].reason}: {value}{plus}"
    if kind == "source":
        (code,) = a
        return f"source code {code}", f"Referred by {source_label(code)}{plus}"
    if kind == "unborn":
        (slot,) = a
        return f"{_who(slot)} is unborn", "Unborn child" + plus
    if kind == "age":
        slot, months, label = a
        return f"{_who(slot)} is {months} months old", label[0].upper() + label[1:] + plus
    if kind == "re_referral":
        slot, on = a
        return (
            f"{_who(slot)}: referral on {on}",
            f"Referred within the last {w.rereferral_months} months: a new "
            f"referral would be a re-referral{plus}",
        )
    if kind == "history_count":
        name, slot, n = a
        return f"{_who(slot)}: {n}", _COUNT_TEXT[name].format(n=n, m=w.rereferral_months) + plus
    if kind == "police":
        police, this_police = a
        return (
            f"{police} police notifications in {w.police_months} months"
            + (" including this one" if this_police else ""),
            f"Repeated police notifications: {police} in {w.police_months} "
            f"months (escalation){plus}",
        )
    if kind == "agencies":
        (agencies,) = a
        return (
            f"{agencies} different sources in {w.rereferral_months} months, this one included",
            f"Concerns from {agencies} different agencies or people in "
            f"{w.rereferral_months} months{plus}",
        )
    if kind == "cp_plan":
        slot, plan = a
        text = (
            "Child protection plan: current"
            if plan == "current"
            else "Child protection plan in the past"
        )
        return f"{_who(slot)}: cp_plan = {plan}", text + plus
    if kind == "history_flag":
        slot, factor = a
        return f"{_who(slot)}: {factor}", _HISTORY_FLAG_TEXT[factor] + plus
    raise ValueError(f"unknown reason kind {kind!r}")


def format_reason(key: ReasonKey, policy: Policy) -> dict[str, Any]:
    """The reason ``key`` as a ``contact.rated`` event records it and the desk shows it."""
    evidence, text = _texts(key, policy)
    return {"factor": key[0], "points": key[1], "evidence": evidence, "text": text}


@lru_cache(maxsize=2048)
def _category_key(code: str, points: int) -> ReasonKey:
    return (f"category:{code}", points, "category", code)


@lru_cache(maxsize=256)
def _source_key(code: str, points: int) -> ReasonKey:
    return (f"source:{code}", points, "source", code)


def _contact_points(f: ContactFacts, p: Policy, out: list[ReasonKey]) -> None:
    for code in f.categories:
        points = p.categories.get(code, 0)
        if points:
            out.append(_category_key(code, points))
    for flag in _FLAG_TEXT:
        if getattr(f, flag):
            points = p.flags.get(flag, 0)
            if points:
                out.append((f"flag:{flag}", points, "flag", flag))
    if f.dash_level is not None or f.dara_level is not None:
        levels = [lv for lv in (f.dash_level, f.dara_level) if lv is not None and lv in p.da_levels]
        if levels:
            level = max(levels, key=lambda lv: p.da_levels[lv])
            points = p.da_levels[level]
            if points:
                tool = "DASH" if level == f.dash_level else "DARA"
                out.append((f"da_level:{level}", points, "da_level", tool, level))
    if f.children_present and p.children_present:
        out.append(("da:children_present", p.children_present, "children_present"))
    band = _band(p.previous_incidents, f.previous_incidents or 0)
    if band:
        out.append(
            ("da:previous_incidents", band.points, "previous_incidents", f.previous_incidents)
        )
    if f.answers and (p.factors or p.factor_bands):
        _factor_points(f.answers, p, out)
    points = p.sources.get(f.source_code, 0)
    if points:
        out.append(_source_key(f.source_code, points))


def _factor_points(answers: Mapping[str, Any], p: Policy, out: list[ReasonKey]) -> None:
    """Points for the catalogue's yes/no facts answered "yes" and its counts' bands."""
    for name, value in answers.items():  # usually a handful: walk the answers, not the policy
        if value is True:
            points = p.factors.get(name, 0)
            if points:
                out.append((f"fact:{name}", points, "fact", name))
        elif name in p.factor_bands and isinstance(value, int) and value is not False:
            band = _band(p.factor_bands[name], value)
            if band and band.points:
                out.append((f"fact:{name}", band.points, "fact_count", name, value))


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
    ages: Sequence[tuple[ChildFacts, int | None]], p: Policy, out: list[ReasonKey]
) -> None:
    best: ReasonKey | None = None
    for child, months in ages:
        if months is None:
            continue
        if months < 0:
            found: ReasonKey = ("age:unborn", p.unborn, "unborn", child.slot)
        else:
            band = next((b for b in p.age_bands if months < b.under_months), None)
            if band is None:
                continue
            found = (f"age:{band.id}", band.points, "age", child.slot, months, band.label)
        if found[1] and (best is None or found[1] > best[1]):
            best = found
    if best:
        out.append(best)


def _best(
    histories: Sequence[tuple[int | None, ChildHistory]], value: Any
) -> tuple[int | None, ChildHistory] | None:
    """The first child with the highest non-zero ``value`` (a plain loop: called six times
    per contact)."""
    found: tuple[int | None, ChildHistory] | None = None
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
    f: ContactFacts, histories: Sequence[ChildHistory], p: Policy, out: list[ReasonKey]
) -> None:
    # A child with nothing on record gives no history factor (every test below needs a
    # true or non-zero value), so only the others are named (by slot; None: "a child",
    # not on this contact) and searched.
    w = p.history
    this_police = 1 if f.source_code == POLICE_SOURCE else 0
    marked = [h for h in histories if not _blank(h)]
    if not marked:
        band = _band(w.police_notifications, this_police)
        if band:
            out.append(
                ("history:police_notifications", band.points, "police", this_police, this_police)
            )
        if w.agencies_12m and histories:
            _agencies_points(f, histories, w, out)
        return
    slot_of = {c.person_id: c.slot for c in f.children if c.person_id}
    named = [(slot_of.get(h.person_id), h) for h in marked]

    found = _best(named, lambda h: h.re_referral)
    if found and w.re_referral:
        out.append(
            (
                "history:re_referral",
                w.re_referral,
                "re_referral",
                found[0],
                found[1].last_referral_on,
            )
        )
    for key, value in (
        ("referrals_12m", lambda h: h.referrals_12m),
        ("contacts_12m", lambda h: h.contacts_12m),
    ):
        found = _best(named, value)
        band = _band(getattr(w, key), value(found[1])) if found else None
        if found and band:
            out.append(
                (f"history:{key}", band.points, "history_count", key, found[0], value(found[1]))
            )
    police = max(h.police_notifications for _, h in named) + this_police
    band = _band(w.police_notifications, police)
    if band:
        out.append(("history:police_notifications", band.points, "police", police, this_police))
    if w.agencies_12m:  # with no history only this contact's source counts
        _agencies_points(f, histories, w, out)
    _cp_plan_points(named, w, out)
    for factor, points, test in (
        ("open_case", w.open_case, lambda h: h.open_case),
        ("looked_after", w.looked_after, lambda h: h.looked_after),
    ):
        found = _best(named, test)
        if found and points:
            out.append((f"history:{factor}", points, "history_flag", found[0], factor))


def _agencies_points(
    f: ContactFacts, histories: Sequence[ChildHistory], w: Any, out: list[ReasonKey]
) -> None:
    agencies = _agencies(f, histories)
    band = _band(w.agencies_12m, agencies)
    if band and band.points:
        out.append(("history:agencies_12m", band.points, "agencies", agencies))


def _cp_plan_points(
    histories: Sequence[tuple[int | None, ChildHistory]], w: Any, out: list[ReasonKey]
) -> None:
    """One factor for the whole contact: the child whose plan weighs most (a current plan
    outranks a past one), so a plan becoming current can never lower the score."""
    points = {"current": w.cp_plan_current, "past": w.cp_plan_past}
    found = _best(histories, lambda h: points.get(h.cp_plan or "", 0))
    if found:
        slot, h = found
        out.append(
            (f"history:cp_plan_{h.cp_plan}", points[h.cp_plan or ""], "cp_plan", slot, h.cp_plan)
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
