"""Differential fuzz of ``schema_fast`` (issue 19g review): for every event type's spec, and
every spec nested in one, payloads built from the spec's own checks (valid forms, forms the
reference normalises, and adversarial ones: padding of every kind of whitespace, NBSP,
non-ASCII and fullwidth digits, combining marks, lone surrogates, True/1/1.0/-0.0/NaN,
int and str subclasses, UUIDs in upper case, braces or urn form, lists at and past their
limits, repeated items, unknown and left-out fields, None and "").

For each payload, the compiled code may accept only what ``Spec.validate`` accepts, with
exactly its normal form (key order, types); ``schema_fast.validate`` answers as the reference
does; and ``check_pulled`` keeps the pulled text only when it is the canonical text of the
reference's normal form (the row ``append`` used to write), for the payload as given and as
it comes back from the server's JSON text. Deterministic (derandomize), a few seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutydesk.domain import schema_fast
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import CATALOGUE, Event, canonical_json, check_pulled
from dutydesk.domain.nhs import nhs_check_digit
from dutydesk.domain.schema import Context, Spec
from dutydesk.domain.triage import factors

TODAY = date(2026, 11, 26)
CTX = Context(today=TODAY)
CLIENT_TIME = "2026-11-26T09:00:00+00:00"

FUZZ = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


class IntSub(int):
    pass


class StrSub(str):
    pass


PADS = ["", " ", "  ", "\u00a0", "\t", "\n", "\r\n", "\u3000", "\u2003", "\u200b", "\ufeff",
        "\x1c", "\x85", "\u2028", "\u0301"]  # fmt: skip
ODD: list[Any] = [
    None, "", " ", "\u00a0", "\u3000", True, False, 0, 1, -1, 1.0, -0.0, 0.0, float("nan"),
    float("inf"), 2**64, -(2**63), [], {}, [None], [""], {"a": 1}, "null", "true", "1",
    "\x00", "x\x00", "\udc80", "e\u0301", IntSub(1), StrSub("x"), ["a", "a"],
]  # fmt: skip
FULLWIDTH = str.maketrans("0123456789abcdef", "０１２３４５６７８９ａｂｃｄｅｆ")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
odd = st.sampled_from(ODD) | json_value


def padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pad = st.sampled_from(PADS)
    return st.builds(lambda a, b, c: a + b + c, pad, core, pad)


def _rule(check: Any) -> dict[str, Any]:
    return getattr(check, "server_rule", None) or {}


def _factor(check: Any) -> factors.Factor | None:
    for cell in getattr(check, "__closure__", None) or ():
        if isinstance(cell.cell_contents, factors.Factor):
            return cell.cell_contents
    return None


def text_values(rule: dict[str, Any], valid: bool) -> st.SearchStrategy[Any]:
    m, strip = int(rule["max"]), bool(rule["strip"])
    if valid:
        chars = st.characters(codec="utf-8", exclude_characters="\x00")
        near = ["x" * m, "x" * max(m - 1, 0), "é" * m, "a\u00a0b", "\u00a0a\u00a0\u00a0b\u00a0"]
        if strip:
            near += ["\u00a0" + "x" * m, "x" * m + " \n", "\u3000x\u2003"]
        pad = st.sampled_from(PADS) if strip else st.just("")
        core = st.text(chars, min_size=1, max_size=min(m, 12))
        return st.builds(lambda a, b, c: a + b + c, pad, core, pad).filter(
            lambda t: (t.replace("\u00a0", " ").strip() if strip else t) and len(t) <= m + 6
        ) | st.sampled_from(near).filter(bool)
    near = ["x" * (m + 1), " " * (m + 3), "e\u0301" * (m // 2 + 1), "\x00", "a\x00b", " \x00 "]
    if not strip:
        near += ["\u00a0" + "x" * m, " " + "x" * m]
    return st.one_of(
        padded(st.text(max_size=12)),
        st.sampled_from(near),
        st.just("\udc80"),
    )


def integer_values(rule: dict[str, Any], valid: bool) -> st.SearchStrategy[Any]:
    lo = rule["min"] if rule["min"] is not None else -5
    hi = rule["max"] if rule["max"] is not None else lo + 10_000
    if valid:
        return st.integers(lo, min(hi, lo + 30)) | st.sampled_from([lo, hi])
    wrong = [lo - 1, hi + 1, True, False, float(lo), float(hi), -0.0, float(hi) + 0.5,
             IntSub(lo), str(lo), str(lo).translate(FULLWIDTH), float("nan"), 2**64]  # fmt: skip
    return st.sampled_from(wrong)


def uuid_values(valid: bool) -> st.SearchStrategy[Any]:
    forms = [
        lambda u: u,
        lambda u: u,
        str.upper,
        lambda u: "{" + u + "}",
        lambda u: "urn:uuid:" + u,
        lambda u: u.replace("-", ""),
        lambda u: u.translate(FULLWIDTH),  # uuid.UUID reads non-ASCII digits
    ]
    if not valid:
        forms = [
            lambda u: " " + u,
            lambda u: u + "\n",
            lambda u: u[:-1],
            lambda u: u + "0",
            lambda u: u.replace("-", "", 1),
            lambda u: u.replace("-", "_"),
            lambda u: int(u.replace("-", ""), 16),
            StrSub,
        ]
    return st.builds(lambda u, f: f(str(u)), st.uuids(), st.sampled_from(forms))


def nhs_values(valid: bool) -> st.SearchStrategy[Any]:
    def number(nine: str) -> str | None:
        check = nhs_check_digit(nine)
        if check is None or len(set(nine + str(check))) == 1:
            return None
        return nine + str(check)

    forms = [
        lambda n: n,
        lambda n: n,
        lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
        lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda n: n[:3] + "\u00a0" + n[3:],
        lambda n: int(n) if n[0] != "0" else n,
    ]
    if not valid:
        forms = [
            lambda n: n.translate(FULLWIDTH),
            lambda n: n.translate(ARABIC),
            lambda n: n.translate(DEVANAGARI),
            lambda n: " " + n + "\t",
            lambda n: n + "\n",
            lambda n: n[:9],
            lambda n: n[0] * 10,
            lambda n: n[:9] + str((int(n[9]) + 1) % 10),
            lambda n: n[:3] + "\u2009" + n[3:],
            lambda n: float(n),
            lambda n: StrSub(n),
        ]
    nine = st.text(alphabet="0123456789", min_size=9, max_size=9).map(number).filter(bool)
    return st.builds(lambda n, f: f(n), nine, st.sampled_from(forms))


def date_values(rule: dict[str, Any], valid: bool) -> st.SearchStrategy[Any]:
    forms = [
        date.isoformat,
        date.isoformat,
        lambda d: d.strftime("%Y%m%d"),
        lambda d: "{:04d}-W{:02d}-{}".format(*d.isocalendar()),
    ]
    if not valid:
        forms = [
            lambda d: d.isoformat() + "T00:00",
            lambda d: " " + d.isoformat(),
            lambda d: d.isoformat().translate(FULLWIDTH),
            lambda d: d.isoformat().replace("-", "/"),
            lambda d: d.toordinal(),
        ]
    lo, hi = date(1900, 1, 1), date(2028, 12, 31)
    if rule.get("not_future"):
        hi = TODAY
    if rule.get("not_past"):
        lo = TODAY.replace(year=TODAY.year - 1)
    edges = [lo, hi]
    if not valid:
        edges = [lo - timedelta(days=1), hi + timedelta(days=1), date(1899, 12, 31)]
        lo, hi = date(1890, 1, 1), date(2030, 12, 31)
    days = st.dates(lo, hi) | st.sampled_from(edges)
    return st.builds(lambda d, f: f(d), days, st.sampled_from(forms))


def datetime_values(valid: bool) -> st.SearchStrategy[Any]:
    forms = [
        datetime.isoformat,
        datetime.isoformat,
        lambda t: t.isoformat().replace("+00:00", "Z"),
        lambda t: t.isoformat().replace("T", " "),
        lambda t: t.isoformat().replace("+00:00", "+01:00"),
        lambda t: t.isoformat(timespec="minutes"),
    ]
    if not valid:
        forms = [
            lambda t: t.replace(tzinfo=None).isoformat(),
            lambda t: " " + t.isoformat(),
            lambda t: t.isoformat().translate(FULLWIDTH),
            lambda t: t.isoformat().replace("+00:00", "z"),
            lambda t: t.timestamp(),
        ]
    times = st.datetimes(datetime(1950, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC))
    return st.builds(lambda t, f: f(t), times, st.sampled_from(forms))


def enum_values(values: list[str], valid: bool) -> st.SearchStrategy[Any]:
    if valid:
        return st.sampled_from(values)
    forms = [str.upper, lambda v: v + " ", lambda v: v + "\u0301", lambda v: "\u00a0" + v,
             lambda v: [v], StrSub]  # fmt: skip
    return st.builds(lambda v, f: f(v), st.sampled_from(values), st.sampled_from(forms))


def factor_values(f: factors.Factor, valid: bool) -> st.SearchStrategy[Any]:
    if f.kind == factors.YES_NO:
        return st.booleans() if valid else st.sampled_from([0, 1, "true", None, 1.0])
    if f.kind in (factors.COUNT, factors.CHILD):
        limit = 99 if f.kind == factors.CHILD else f.maximum
        if valid:
            return (
                st.integers(0, 3) | st.just(limit) if f.kind == factors.COUNT else st.integers(0, 1)
            )
        return st.sampled_from([-1, limit + 1, True, 1.0, "1", IntSub(1)])
    return enum_values([k for k, _ in f.choices], valid)


def values(check: Any) -> st.SearchStrategy[Any]:
    """Values for ``check``: mostly ones it takes (some it normalises), some it refuses."""
    return st.one_of(own_values(check, True), own_values(check, True), own_values(check, False))


def own_values(check: Any, valid: bool) -> st.SearchStrategy[Any]:
    if isinstance(check, Spec):
        return payloads(check, valid)
    found = _factor(check)
    if found is not None:
        return factor_values(found, valid)
    rule = _rule(check)
    kind = rule.get("kind")
    if kind == "text":
        return text_values(rule, valid)
    if kind == "integer":
        return integer_values(rule, valid)
    if kind == "boolean":
        return st.booleans() if valid else st.sampled_from([0, 1, 1.0, "true", "false"])
    if kind == "uuid":
        return uuid_values(valid)
    if kind == "nhs_number":
        return nhs_values(valid)
    if kind == "date":
        return date_values(rule, valid)
    if kind == "datetime":
        return datetime_values(valid)
    if kind == "enum":
        return enum_values(list(rule["values"]), valid)
    if kind == "postcode":
        if valid:
            return padded(
                st.sampled_from(["SW1A 1AA", "sw1a1aa", "M1 1AE", "B33\u00a08TH", "CR2 6XH"])
            )
        return st.sampled_from(["X", "12345", "SW1A", 12345, "ＳＷ１Ａ １ＡＡ"])
    if kind == "object":
        return st.dictionaries(st.text(max_size=6), json_value, max_size=4)
    if kind == "list":
        return list_values(rule, valid)
    return odd


def list_values(rule: dict[str, Any], valid: bool) -> st.SearchStrategy[Any]:
    lo, hi = int(rule["min"]), int(rule["max"])
    item = rule["item"]
    if valid:
        return st.lists(own_values(item, True), min_size=lo, max_size=min(hi, lo + 3))
    some = st.lists(values(item), min_size=max(lo - 1, 0), max_size=min(hi + 1, lo + 4))
    # a repeated item: the unique check
    repeated = st.lists(own_values(item, True), min_size=1, max_size=3).map(lambda xs: xs + xs[:1])
    out = some | repeated | st.sampled_from(ODD)
    if hi <= 50:  # at the limit and one past it
        out = out | st.builds(
            lambda x, n: [x] * n, own_values(item, True), st.sampled_from([hi, hi + 1])
        )
    return out


_SPEC_STRATEGIES: dict[tuple[int, bool], st.SearchStrategy[dict[str, Any]]] = {}


def payloads(spec: Spec, valid: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads of ``spec``: required fields present, optional ones sometimes, each value
    mostly one its check takes; then at times a field left out, an unknown one added, one
    set to None, "" or a value its check refuses, or the keys in another order."""
    known = _SPEC_STRATEGIES.get((id(spec), valid))
    if known is not None:
        return known

    def later(check: Any) -> st.SearchStrategy[Any]:
        return st.deferred(lambda: own_values(check, True) if valid else values(check))

    required = {f.name: later(f.check) for f in spec.fields if f.required}
    optional = {f.name: later(f.check) for f in spec.fields if not f.required}
    base = st.fixed_dictionaries(required, optional=optional)
    checks = {f.name: f.check for f in spec.fields}

    def mutate(payload: dict[str, Any], how: int, name: str, extra: Any) -> dict[str, Any]:
        out = dict(payload)
        if how == 0:
            out.pop(name, None)
        elif how == 1:
            out["not_a_field"] = extra
        elif how == 2:
            out[name] = None
        elif how == 3:
            out[name] = ""
        elif how == 4:
            out = dict(reversed(list(out.items())))  # another key order
        return out

    def wrong(payload: dict[str, Any], change: tuple[str, Any]) -> dict[str, Any]:
        return {**payload, change[0]: change[1]}

    names = st.sampled_from(sorted(checks))
    mutated = st.builds(mutate, base, st.integers(0, 4), names, odd)
    changes = names.flatmap(lambda n: st.tuples(st.just(n), own_values(checks[n], False)))
    refused = st.builds(wrong, base, changes)
    strategy = base | base | mutated | refused if valid else base | mutated | refused
    _SPEC_STRATEGIES[(id(spec), valid)] = strategy
    return strategy


def _nested_specs() -> dict[str, Spec]:
    found: dict[str, Spec] = {}

    def walk(spec: Spec, where: str) -> None:
        for f in spec.fields:
            check = f.check
            if _rule(check).get("kind") == "list":
                check = _rule(check)["item"]
            if isinstance(check, Spec):
                name = f"{where}.{f.name}"
                if all(s is not check for s in found.values()):
                    found[name] = check
                walk(check, name)

    for event_type, spec in CATALOGUE.items():
        walk(spec, event_type)
    return found


NESTED = _nested_specs()


def _reference(spec: Spec, payload: Any) -> tuple[str, Any]:
    try:
        return "ok", spec.validate(payload, CTX)
    except ValidationError as err:
        return "error", (err.reason, err.path)
    except Exception as err:  # noqa: BLE001 - a crash instead of a validation error
        return "raised", (type(err).__name__, str(err))


def _exact(value: Any) -> str:
    """The value as JSON in its own key order, types kept (1, 1.0 and true differ)."""
    return json.dumps(value, ensure_ascii=False) + "|" + repr(value)


def _compare(spec: Spec, payload: Any) -> tuple[str, Any]:
    want = _reference(spec, payload)
    try:
        got = schema_fast.compile_spec(spec)(payload, CTX)
    except Exception:  # noqa: BLE001 - handed to the reference, compared below
        pass
    else:
        assert want[0] == "ok", ("compiled accepted what the reference refuses", payload, want)
        assert _exact(got) == _exact(want[1]), ("compiled normal form differs", payload)
    try:
        answer: tuple[str, Any] = ("ok", schema_fast.validate(spec, payload, CTX))
    except ValidationError as err:
        answer = ("error", (err.reason, err.path))
    except Exception as err:  # noqa: BLE001 - the reference's own exception, as it raised it
        answer = ("raised", (type(err).__name__, str(err)))
    assert _exact(answer) == _exact(want), payload
    return want


def _pulled(event_type: str, spec: Spec, payload: dict[str, Any]) -> None:
    """``check_pulled`` keeps the pulled text only where it is the canonical text of the
    reference's normal form: the row ``append`` writes."""
    for form in (payload, _round_trip(payload)):
        if form is None:
            continue
        want = _reference(spec, dict(form))
        text = canonical_json(form)
        e = Event("0" * 8, event_type, "a", "duty_manager", "d", CLIENT_TIME, form)
        try:
            checked, out = check_pulled(e, text)
        except Exception:  # noqa: BLE001 - refused (a pull quarantines it)
            assert want[0] != "ok", form
            continue
        assert want[0] == "ok", form
        assert _exact(checked.payload) == _exact(want[1]), form
        assert out == canonical_json(want[1]), (form, out)


def _round_trip(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload as a pull reads it back from the server's JSON text."""
    try:
        return json.loads(canonical_json(payload))
    except ValueError:  # e.g. a lone surrogate written out and read back
        return None


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_compiled_code_against_the_reference(event_type: str) -> None:
    spec = CATALOGUE[event_type]
    seen = {"ok": 0, "error": 0, "raised": 0}

    @FUZZ
    @given(payloads(spec))
    def check(payload: dict[str, Any]) -> None:
        seen[_compare(spec, payload)[0]] += 1
        _pulled(event_type, spec, payload)

    check()
    assert seen["error"] > 0, seen


@pytest.mark.parametrize("where", sorted(NESTED))
def test_nested_specs_against_the_reference(where: str) -> None:
    spec = NESTED[where]

    @FUZZ
    @given(payloads(spec))
    def check(payload: dict[str, Any]) -> None:
        _compare(spec, payload)

    check()


def test_the_fuzz_reaches_both_sides_of_the_compiled_code() -> None:
    """Most event types see payloads the compiled code accepts in line, and refusals."""
    inline: dict[str, int] = {}
    for event_type, spec in sorted(CATALOGUE.items()):
        compiled = schema_fast.compile_spec(spec)
        inline[event_type] = 0

        @settings(FUZZ, max_examples=20)
        @given(payloads(spec))
        def check(payload: dict[str, Any]) -> None:
            try:
                compiled(payload, CTX)  # noqa: B023 - run at once, in this iteration
            except Exception:  # noqa: BLE001
                return
            inline[event_type] += 1  # noqa: B023

        check()
    reached = sorted(t for t, n in inline.items() if n)
    assert len(reached) >= len(CATALOGUE) * 3 // 4, inline


# ---- targeted cases ------------------------------------------------------------------


def _uuid(n: int = 1) -> str:
    return f"01a1f943-9bc0-7f13-91ca-4dc4edfde4{n:02d}"


@pytest.mark.parametrize(
    "value",
    [
        "4010232137",
        "401 023 2137",
        "4010232137".translate(FULLWIDTH),
        "4010232137".translate(ARABIC),
        "4010232137".translate(DEVANAGARI),
        4010232137,
        "4010232137\n",
        "\u00a04010232137",
        "1111111111",
        "4010232138",
    ],
)
def test_nhs_number_forms(value: Any) -> None:
    spec = CATALOGUE["person.registered"]
    _compare(spec, {"person_id": _uuid(), "nhs_number": value})
    _pulled("person.registered", spec, {"person_id": _uuid(), "nhs_number": value})


@pytest.mark.parametrize(
    "value",
    [_uuid(), _uuid().upper(), "{" + _uuid() + "}", "urn:uuid:" + _uuid(), _uuid().replace("-", ""),
     _uuid() + "\n", _uuid().translate(FULLWIDTH), StrSub(_uuid()), 1, True],
)  # fmt: skip
def test_uuid_forms(value: Any) -> None:
    spec = CATALOGUE["contact.assigned"]
    _compare(spec, {"contact_id": value, "assignee": "A"})
    _pulled("contact.assigned", spec, {"contact_id": value, "assignee": "A"})


@pytest.mark.parametrize("value", [1, True, 1.0, -0.0, 0, IntSub(1), 99, 100, 2**64, float("nan")])
def test_number_forms(value: Any) -> None:
    spec = CATALOGUE["person.linked"]
    payload = {"contact_id": _uuid(), "slot": value, "person_id": _uuid(2), "confidence": value}
    _compare(spec, payload)
    _pulled("person.linked", spec, payload)


def test_a_reason_object_keeps_its_numbers_as_they_came() -> None:
    """A free object passes its values through: 1.0, -0.0, NaN and true stay themselves."""
    spec = CATALOGUE["contact.rated"]
    reasons = [{"w": 1.0, "z": -0.0, "n": float("nan"), "t": True, "i": 1, "big": 10**30}]
    payload = {"contact_id": _uuid(), "score": 1, "rating": "red", "reasons": reasons,
               "policy_version": "p1"}  # fmt: skip
    assert _compare(spec, payload)[0] == "ok"
    _pulled("contact.rated", spec, payload)
    # duplicate keys in the server's text: the last one is what is hashed and stored
    text = canonical_json(payload).replace('"score":1', '"score":true,"score":1')
    pulled = json.loads(text)
    assert pulled["score"] == 1 and pulled["score"] is not True
    _pulled("contact.rated", spec, pulled)
