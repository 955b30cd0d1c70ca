"""The triage policy as data: loading and validating a policy TOML file.

An authority ships its own policy (weights, hard rules, thresholds, response times). A
policy that would silently mis-rank children must not load, so every problem is an error
naming the file and the key: an unknown factor code, a negative time, a missing rating,
a misspelt section. Points are never negative, which is what keeps the score monotone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..codes import ASSESSMENT_FACTORS, REFERRAL_SOURCES, DaRiskLevel, Rating
from ..errors import ValidationError
from ..timescales import OfficeHours
from . import factors as catalogue

UNITS = ("working_hours", "hours", "working_days", "none")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Facts a hard rule can name: every yes/no fact in the factor catalogue, and these facts
# derived from the children's ages, the injury questions and the DASH/DARA level.
DERIVED_FACTS = frozenset(
    {
        "da_high",
        "child_non_mobile",
        "child_under_1",
        "child_under_2",
        "child_under_5",
        "child_unborn",
        "injured_child_not_mobile",
        "injured_child_under_5",
    }
)
FACTS = DERIVED_FACTS | frozenset(f.name for f in catalogue.FACTORS if f.kind == catalogue.YES_NO)
# Counts a hard rule can compare with ``name>=N``: catalogue counts and the history's.
HISTORY_COUNTS = frozenset(
    {"contacts_12m", "agencies_12m", "referrals_12m", "police_notifications"}
)
COUNTS = HISTORY_COUNTS | frozenset(f.name for f in catalogue.FACTORS if f.kind == catalogue.COUNT)
# Scored by their own sections, so [factors] may not score them a second time.
SCORED_ELSEWHERE = frozenset(
    {"immediate_danger", "injury_reported", "disclosure", "children_present", "previous_incidents"}
)


class PolicyError(ValidationError):
    """A policy file that cannot be used; ``path`` is ``file:[section].key``."""


@dataclass(frozen=True, slots=True)
class ResponseTime:
    unit: str
    amount: float = 0.0

    @property
    def text(self) -> str:
        if self.unit == "none":
            return "no MASH action"
        n = f"{self.amount:g}"
        return f"{n} {self.unit.replace('_', ' ')}"


@dataclass(frozen=True, slots=True)
class Band:
    """At least ``min`` of something earns ``points`` (the highest band reached counts)."""

    min: int
    points: int


@dataclass(frozen=True, slots=True)
class AgeBand:
    id: str
    label: str
    under_months: int
    points: int


@dataclass(frozen=True, slots=True)
class HardRule:
    id: str
    text: str
    all: tuple[str, ...]
    any: tuple[str, ...]
    rating: Rating
    # Due at once, out of hours included: the emergency duty team acts now, whatever
    # the office clock says (a child in immediate danger cannot wait for 09:00).
    respond_now: bool = False


@dataclass(frozen=True, slots=True)
class HistoryWeights:
    rereferral_months: int
    police_months: int
    re_referral: int
    referrals_12m: tuple[Band, ...]
    contacts_12m: tuple[Band, ...]
    police_notifications: tuple[Band, ...]
    agencies_12m: tuple[Band, ...]
    open_case: int
    cp_plan_current: int
    cp_plan_past: int
    looked_after: int


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: str
    source: str
    office: OfficeHours
    thresholds: Mapping[Rating, int]  # red, amber, green; below green is blue
    response: Mapping[Rating, ResponseTime]
    decision: ResponseTime
    categories: Mapping[str, int]
    unborn: int
    age_bands: tuple[AgeBand, ...]
    flags: Mapping[str, int]
    children_present: int
    da_levels: Mapping[str, int]
    previous_incidents: tuple[Band, ...]
    sources: Mapping[str, int]
    history: HistoryWeights
    hard_rules: tuple[HardRule, ...]
    # Points for yes/no facts from the factor catalogue, and bands for its counts.
    factors: Mapping[str, int] = field(default_factory=dict)
    factor_bands: Mapping[str, tuple[Band, ...]] = field(default_factory=dict)

    # Derived from the hard rules whenever a Policy is made (``dataclasses.replace``
    # included), so they can never go stale: ``(condition, count name, minimum)`` for each
    # ``name>=N``, and each rule with its "all" and "any" conditions as sets (set tests run
    # in C; a policy with eleven rules checks them for every contact scored), with the
    # rank of the rule's rating (``Rating.rank``, looked up once here rather than twice per
    # rule per contact).
    count_conditions: tuple[tuple[str, str, int], ...] = field(init=False, default=())
    rule_sets: tuple[tuple[HardRule, frozenset[str], frozenset[str], int], ...] = field(
        init=False, default=()
    )
    # "Red from 60, Amber from 35, Green from 15": the same text for every contact.
    steps_text: str = field(init=False, default="")
    # ``(threshold, rating)`` from Red down, for ``rating_for`` (called several times per
    # contact scored).
    rating_steps: tuple[tuple[int, Rating], ...] = field(init=False, default=())
    # The hard rules each set of true facts fires (``scoring._fired``), filled as contacts
    # are scored; made new with every Policy, so never stale.
    fired_cache: dict[frozenset[str], tuple[tuple[int, ...], int]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        found = []
        for rule in self.hard_rules:
            for cond in (*rule.all, *rule.any):
                parsed = parse_count_condition(cond)
                if parsed:
                    found.append((cond, *parsed))
        object.__setattr__(self, "count_conditions", tuple(dict.fromkeys(found)))
        object.__setattr__(
            self,
            "rule_sets",
            tuple(
                (rule, frozenset(rule.all), frozenset(rule.any), rule.rating.rank)
                for rule in self.hard_rules
            ),
        )
        object.__setattr__(
            self,
            "rating_steps",
            tuple((self.thresholds[r], r) for r in (Rating.RED, Rating.AMBER, Rating.GREEN)),
        )
        object.__setattr__(
            self,
            "steps_text",
            ", ".join(
                f"{r.value.capitalize()} from {self.thresholds[r]}"
                for r in (Rating.RED, Rating.AMBER, Rating.GREEN)
            ),
        )

    def scored_facts(self) -> frozenset[str]:
        """Every catalogue fact this policy gives points to or names in a hard rule."""
        names = {k for k in self.flags if self.flags[k]} | {k for k, v in self.factors.items() if v}
        names |= set(self.factor_bands)
        if self.children_present:
            names.add("children_present")
        if any(b.points for b in self.previous_incidents):
            names.add("previous_incidents")
        if any(self.da_levels.values()):
            names |= {"dash_level", "dara_level"}
        for rule in self.hard_rules:
            for cond in (*rule.all, *rule.any):
                parsed = parse_count_condition(cond)
                name = parsed[0] if parsed else cond
                if name in catalogue.BY_NAME:
                    names.add(name)
                elif name.startswith("injured_child"):
                    names |= {"injury_reported", "injury_child", "injury_child_mobile"}
        return frozenset(names)

    def rating_for(self, score: int) -> Rating:
        for threshold, rating in self.rating_steps:
            if score >= threshold:
                return rating
        return Rating.BLUE


def load_policy(path: Path | str) -> Policy:
    """Read and validate the policy at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise PolicyError(f"cannot read the policy file: {err.strerror}", str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PolicyError("the policy file is not UTF-8 text", str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"not valid TOML: {err}", str(path)) from None
    return parse_policy(data, str(path))


def parse_policy(data: Mapping[str, Any], source: str = "<policy>") -> Policy:
    """A ``Policy`` from parsed TOML, or ``PolicyError`` naming ``source`` and the key."""
    r = _Reader(source)
    r.keys(
        data,
        "",
        required={
            "policy",
            "thresholds",
            "response",
            "decision",
            "categories",
            "age",
            "flags",
            "domestic_abuse",
            "sources",
            "history",
        },
        optional={"office", "hard_rules", "factors", "factor_bands"},
    )
    meta = r.table(data, "policy")
    r.keys(meta, "policy", required={"name", "version"}, optional={"description"})
    thresholds = _thresholds(r, r.table(data, "thresholds"))
    response_t = r.table(data, "response")
    r.keys(response_t, "response", required={x.value for x in Rating})
    response = {rt: _response(r, response_t[rt.value], f"response.{rt.value}") for rt in Rating}
    decision = _response(r, data["decision"], "decision")
    if decision.unit == "none":
        raise r.error("a decision is always due; unit 'none' is not allowed", "decision.unit")
    age = r.table(data, "age")
    r.keys(age, "age", required={"unborn", "bands"})
    flags = r.table(data, "flags")
    r.keys(flags, "flags", required={"immediate_danger", "injury_reported", "disclosure"})
    da = r.table(data, "domestic_abuse")
    r.keys(da, "domestic_abuse", required={"children_present", "levels", "previous_incidents"})
    levels = r.table(da, "levels", "domestic_abuse.levels")
    r.keys(levels, "domestic_abuse.levels", required={x.value for x in DaRiskLevel})
    level_points = {lv: r.points(levels[lv], f"domestic_abuse.levels.{lv}") for lv in levels}
    if not level_points["standard"] <= level_points["medium"] <= level_points["high"]:
        raise r.error(
            "points must not fall as the risk level rises (standard <= medium <= high)",
            "domestic_abuse.levels",
        )
    policy = Policy(
        name=r.text(meta["name"], "policy.name"),
        version=r.text(meta["version"], "policy.version", max_len=60),
        source=source,
        office=_office(r, data.get("office", {})),
        thresholds=MappingProxyType(thresholds),
        response=MappingProxyType(response),
        decision=decision,
        categories=MappingProxyType(
            _coded(
                r,
                r.table(data, "categories"),
                "categories",
                ASSESSMENT_FACTORS,
                "DfE assessment factor code",
            )
        ),
        unborn=r.points(age["unborn"], "age.unborn"),
        age_bands=_age_bands(r, age["bands"]),
        flags=MappingProxyType({k: r.points(v, f"flags.{k}") for k, v in flags.items()}),
        children_present=r.points(da["children_present"], "domestic_abuse.children_present"),
        da_levels=MappingProxyType(level_points),
        previous_incidents=r.bands(da["previous_incidents"], "domestic_abuse.previous_incidents"),
        sources=MappingProxyType(
            _coded(
                r, r.table(data, "sources"), "sources", REFERRAL_SOURCES, "DfE referral source code"
            )
        ),
        history=_history(r, r.table(data, "history")),
        hard_rules=tuple(
            _hard_rule(r, rule, f"hard_rules[{i}]")
            for i, rule in enumerate(r.array(data.get("hard_rules", []), "hard_rules"))
        ),
        factors=MappingProxyType(_factor_points(r, data.get("factors", {}))),
        factor_bands=MappingProxyType(_factor_bands(r, data.get("factor_bands", {}))),
    )
    return policy


def parse_count_condition(text: str) -> tuple[str, int] | None:
    """``("contacts_12m", 3)`` for ``"contacts_12m>=3"``; None for any other condition."""
    name, sep, number = text.partition(">=")
    if not sep or not number.strip().isdigit():
        return None
    return name.strip(), int(number)


def _factor_points(r: _Reader, t: Any) -> dict[str, int]:
    if not isinstance(t, Mapping):
        raise r.error("expected a table", "factors")
    out = {}
    for name, points in t.items():
        factor = catalogue.BY_NAME.get(name)
        if factor is None:
            raise r.error(
                f"{name!r} is not in the factor catalogue (domain/triage/factors.py"
                "): the entry form cannot ask it",
                f"factors.{name}",
            )
        if factor.kind != catalogue.YES_NO:
            hint = (
                "score it in [factor_bands]"
                if factor.kind == catalogue.COUNT
                else "only yes/no facts take points here"
            )
            raise r.error(f"{name!r} is a {factor.kind} fact: {hint}", f"factors.{name}")
        if name in SCORED_ELSEWHERE:
            raise r.error(f"{name!r} is already scored in its own section", f"factors.{name}")
        out[name] = r.points(points, f"factors.{name}")
    return out


def _factor_bands(r: _Reader, t: Any) -> dict[str, tuple[Band, ...]]:
    if not isinstance(t, Mapping):
        raise r.error("expected a table", "factor_bands")
    out = {}
    for name, bands in t.items():
        factor = catalogue.BY_NAME.get(name)
        if factor is None or factor.kind != catalogue.COUNT:
            raise r.error(
                f"{name!r} is not a count in the factor catalogue", f"factor_bands.{name}"
            )
        if name in SCORED_ELSEWHERE:
            raise r.error(f"{name!r} is already scored in its own section", f"factor_bands.{name}")
        out[name] = r.bands(bands, f"factor_bands.{name}")
    return out


class _Reader:
    """Small typed accessors that raise ``PolicyError`` located at ``file:key``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, key: str) -> PolicyError:
        return PolicyError(message, f"{self.source}: {key}" if key else self.source)

    def keys(
        self,
        table: Mapping[str, Any],
        where: str,
        *,
        required: Set[str],
        optional: Set[str] = frozenset(),
    ) -> None:
        prefix = f"{where}." if where else ""
        unknown = sorted(set(table) - required - optional)
        if unknown:
            raise self.error(f"unknown key {unknown[0]!r}", prefix + unknown[0])
        missing = sorted(required - set(table))
        if missing:
            raise self.error("is missing", prefix + missing[0])

    def table(
        self, data: Mapping[str, Any], key: str, where: str | None = None
    ) -> Mapping[str, Any]:
        value = data[key]
        if not isinstance(value, Mapping):
            raise self.error(f"expected a table, got {type(value).__name__}", where or key)
        return value

    def array(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(f"expected an array, got {type(value).__name__}", key)
        return value

    def text(self, value: Any, key: str, max_len: int = 200) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error("expected non-empty text", key)
        if len(value) > max_len:
            raise self.error(f"at most {max_len} characters", key)
        return value.strip()

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {value!r}", key)
        if value < 0:
            raise self.error(f"must not be negative, got {value!r}", key)
        return float(value)

    def points(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"points must be a whole number, got {value!r}", key)
        if value < 0:
            raise self.error(
                f"points must be 0 or more (a risk factor may never lower a score), got {value}",
                key,
            )
        if value > 1000:
            raise self.error(f"at most 1000 points, got {value}", key)
        return value

    def bands(self, value: Any, key: str) -> tuple[Band, ...]:
        out: list[Band] = []
        for i, item in enumerate(self.array(value, key)):
            where = f"{key}[{i}]"
            if not isinstance(item, Mapping):
                raise self.error("expected { min = N, points = P }", where)
            self.keys(item, where, required={"min", "points"})
            low = item["min"]
            if isinstance(low, bool) or not isinstance(low, int) or low < 1:
                raise self.error(
                    f"min must be a whole number of 1 or more, got {low!r}", f"{where}.min"
                )
            band = Band(low, self.points(item["points"], f"{where}.points"))
            if out and (band.min <= out[-1].min or band.points < out[-1].points):
                raise self.error("bands must rise: min and points both increasing", where)
            out.append(band)
        return tuple(out)


def _thresholds(r: _Reader, t: Mapping[str, Any]) -> dict[Rating, int]:
    r.keys(t, "thresholds", required={"red", "amber", "green"})
    out = {Rating(k): r.points(t[k], f"thresholds.{k}") for k in ("red", "amber", "green")}
    if not out[Rating.RED] > out[Rating.AMBER] > out[Rating.GREEN]:
        raise r.error("thresholds must fall from red to amber to green", "thresholds")
    return out


def _response(r: _Reader, value: Any, key: str) -> ResponseTime:
    if not isinstance(value, Mapping):
        raise r.error("expected a table with unit and amount", key)
    unit = value.get("unit")
    if unit not in UNITS:
        raise r.error(f"unit must be one of {', '.join(UNITS)}; got {unit!r}", f"{key}.unit")
    if unit == "none":
        r.keys(value, key, required={"unit"})
        return ResponseTime("none")
    r.keys(value, key, required={"unit", "amount"})
    amount = r.number(value["amount"], f"{key}.amount")
    if unit == "working_days" and amount != int(amount):
        raise r.error("working days must be a whole number", f"{key}.amount")
    return ResponseTime(unit, amount)


def _coded(
    r: _Reader, table: Mapping[str, Any], where: str, codes: Mapping[str, Any], what: str
) -> dict[str, int]:
    out = {}
    for code, points in table.items():
        if code not in codes:
            raise r.error(f"unknown {what} {code!r}", f"{where}.{code}")
        out[code] = r.points(points, f"{where}.{code}")
    return out


def _office(r: _Reader, t: Mapping[str, Any]) -> OfficeHours:
    if not isinstance(t, Mapping):
        raise r.error("expected a table", "office")
    r.keys(t, "office", required=set(), optional={"opens", "closes", "weekdays", "timezone"})
    try:
        zone = ZoneInfo(r.text(t.get("timezone", "Europe/London"), "office.timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise r.error(f"unknown time zone {t.get('timezone')!r}", "office.timezone") from None
    days = r.array(t.get("weekdays", list(WEEKDAYS[:5])), "office.weekdays")
    for d in days:
        if d not in WEEKDAYS:
            raise r.error(f"unknown weekday {d!r} (use {', '.join(WEEKDAYS)})", "office.weekdays")
    opens = _clock(r, t.get("opens", "09:00"), "office.opens")
    closes = _clock(r, t.get("closes", "17:00"), "office.closes")
    try:
        return OfficeHours(
            opens=opens,
            closes=closes,
            weekdays=frozenset(WEEKDAYS.index(d) for d in days),
            zone=zone,
        )
    except ValidationError as err:
        raise r.error(err.reason, err.path) from None


def _clock(r: _Reader, value: Any, key: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise r.error(f'expected a time such as "09:00", got {value!r}', key) from None


def _age_bands(r: _Reader, value: Any) -> tuple[AgeBand, ...]:
    out: list[AgeBand] = []
    for i, item in enumerate(r.array(value, "age.bands")):
        where = f"age.bands[{i}]"
        if not isinstance(item, Mapping):
            raise r.error("expected { id, label, under_months, points }", where)
        r.keys(item, where, required={"id", "label", "under_months", "points"})
        months = item["under_months"]
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise r.error(
                f"under_months must be a whole number of 1 or more, got {months!r}",
                f"{where}.under_months",
            )
        band = AgeBand(
            r.text(item["id"], f"{where}.id"),
            r.text(item["label"], f"{where}.label"),
            months,
            r.points(item["points"], f"{where}.points"),
        )
        if out and band.under_months <= out[-1].under_months:
            raise r.error("age bands must be in rising order of under_months", where)
        out.append(band)
    return tuple(out)


def _history(r: _Reader, t: Mapping[str, Any]) -> HistoryWeights:
    ints = ("re_referral", "open_case", "cp_plan_current", "cp_plan_past", "looked_after")
    bands = ("referrals_12m", "contacts_12m", "police_notifications")
    months = ("rereferral_months", "police_months")
    r.keys(t, "history", required=set(ints) | set(bands) | set(months), optional={"agencies_12m"})
    for key in months:
        value = t[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
            raise r.error(f"a window of 1 to 120 months, got {value!r}", f"history.{key}")
    points = {k: r.points(t[k], f"history.{k}") for k in ints}
    banded = {k: r.bands(t[k], f"history.{k}") for k in bands}
    return HistoryWeights(
        rereferral_months=t["rereferral_months"],
        police_months=t["police_months"],
        re_referral=points["re_referral"],
        referrals_12m=banded["referrals_12m"],
        contacts_12m=banded["contacts_12m"],
        police_notifications=banded["police_notifications"],
        agencies_12m=r.bands(t.get("agencies_12m", []), "history.agencies_12m"),
        open_case=points["open_case"],
        cp_plan_current=points["cp_plan_current"],
        cp_plan_past=points["cp_plan_past"],
        looked_after=points["looked_after"],
    )


def _hard_rule(r: _Reader, rule: Any, where: str) -> HardRule:
    if not isinstance(rule, Mapping):
        raise r.error("expected a table", where)
    r.keys(rule, where, required={"id", "text", "rating"}, optional={"all", "any", "respond_now"})
    respond_now = rule.get("respond_now", False)
    if not isinstance(respond_now, bool):
        raise r.error("respond_now must be true or false", f"{where}.respond_now")
    conditions = {}
    for part in ("all", "any"):
        items = r.array(rule.get(part, []), f"{where}.{part}")
        for fact in items:
            if not _known_fact(fact):
                raise r.error(
                    f"unknown condition {fact!r}; use one of "
                    f"{', '.join(sorted(FACTS))}, category:<code> or "
                    f"<count> >= N with a count from "
                    f"{', '.join(sorted(COUNTS))}",
                    f"{where}.{part}",
                )
        conditions[part] = tuple(items)
    if not conditions["all"] and not conditions["any"]:
        raise r.error("a hard rule needs at least one condition in 'all' or 'any'", f"{where}.all")
    rating = rule["rating"]
    if rating not in {x.value for x in Rating}:
        raise r.error(f"unknown rating {rating!r} (red, amber, green, blue)", f"{where}.rating")
    return HardRule(
        r.text(rule["id"], f"{where}.id", 60),
        r.text(rule["text"], f"{where}.text"),
        conditions["all"],
        conditions["any"],
        Rating(rating),
        respond_now,
    )


def _known_fact(fact: Any) -> bool:
    if not isinstance(fact, str):
        return False
    if fact.startswith("category:"):
        return fact.removeprefix("category:") in ASSESSMENT_FACTORS
    counted = parse_count_condition(fact)
    if counted:
        return counted[0] in COUNTS and counted[1] >= 1
    return fact in FACTS
