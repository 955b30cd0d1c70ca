"""Issue 19g: each spec's compiled code (``schema_fast``) against ``Spec.validate``.

Payloads of every event type the synthetic county makes, payloads made from every event
type's spec (required fields only, every field), and each of them mutated field by
field (left out, empty, padded, upper case, another type, too long, a NUL, an unknown
field, nested fields likewise). For every one: what the compiled code accepts in line must
be exactly the reference's normal form (keys in the same order, same values and types);
``schema_fast.validate`` must answer as the reference does, normal form or error; and
``check_pulled`` may keep the payload's canonical text only when it is the normal form's.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from dutydesk.demo.synthetic import generate
from dutydesk.domain import schema_fast
from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import CATALOGUE, Event, canonical_json, check_pulled
from dutydesk.domain.ids import new_id
from dutydesk.domain.schema import Context, Spec
from tests.factories import contact_payload, decision_payload

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
CTX = Context(today=NOW.date())


_GUESSES: tuple[Any, ...] = (True, 1, "x", "2026-11-20", NOW.isoformat(), new_id(), {"a": 1})


def _valid(check: Any, full: bool) -> Any:
    """A value ``check`` accepts, made from its description (``server_rule``)."""
    if isinstance(check, Spec):
        return _made(check, full)
    rule = getattr(check, "server_rule", {})
    kind = rule.get("kind")
    if kind == "list":
        return [_valid(rule["item"], full) for _ in range(max(rule["min"], int(full)))]
    made = {
        "text": "some text",
        "integer": rule.get("min") or 0,
        "boolean": True,
        "uuid": new_id(),
        "date": NOW.date().isoformat(),
        "datetime": NOW.isoformat(),
        "enum": (rule.get("values") or [None])[0],
        "nhs_number": "9434765919",
        "postcode": "LS9 5NW",
        "object": {"a": 1},
    }.get(str(kind))
    for value in (made, *_GUESSES):
        try:
            check(value, CTX)
        except Exception:  # noqa: BLE001, S112 - try the next guess
            continue
        return value
    return None


def _made(spec: Spec, full: bool) -> dict[str, Any]:
    """A payload with the required fields (and, ``full``, every field) of ``spec``."""
    out = {f.name: _valid(f.check, full) for f in spec.fields if full or f.required}
    return {k: v for k, v in out.items() if v is not None}


def _made_for_every_type() -> list[tuple[str, dict[str, Any]]]:
    """Payloads made from each event type's spec that the reference accepts (a full one
    may break a cross-field rule: each field then left out in turn)."""
    out = []
    for event_type, spec in CATALOGUE.items():
        for full in (False, True):
            payload = _made(spec, full)
            tries = [
                payload,
                *({k: v for k, v in payload.items() if k != drop} for drop in payload),
            ]
            for candidate in tries:
                try:
                    spec.validate(candidate, CTX)
                except ValidationError:
                    continue
                out.append((event_type, json.loads(canonical_json(candidate))))
                break
    return out


def _samples() -> list[tuple[str, dict[str, Any]]]:
    seen: dict[str, int] = {}
    out = []
    for e in generate(7, 3000, now=NOW):
        if seen.get(e.type, 0) < 25:  # a few of each type, all types
            seen[e.type] = seen.get(e.type, 0) + 1
            out.append((e.type, json.loads(canonical_json(e.payload))))
    contact = contact_payload()
    out.append(("contact.received", json.loads(canonical_json(contact))))
    out.append(("decision.recorded", decision_payload(contact["contact_id"])))
    return out + _made_for_every_type()


SAMPLES = _samples()
ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    "  padded\u00a0",
    "UPPER",
    "01A1F943-9BC0-7F13-91CA-4DC4EDFDE416",
    0,
    1,
    1.0,
    True,
    False,
    -5,
    100_000,
    [],
    {},
    ["a", "a"],
    "x" * 20_001,
    "nul\x00",
    "2026-11-26",
    "2026-11-26 09:00:00+00:00",
)


def _mutations(payload: dict[str, Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    yield payload
    yield {**payload, "not_a_field": 1}
    for key, value in payload.items():
        yield {k: v for k, v in payload.items() if k != key}
        for odd in rng.sample(ODD_VALUES, 6):
            yield {**payload, key: odd}
        if isinstance(value, str):
            yield {**payload, key: f" {value} "}
            yield {**payload, key: value.upper()}
        if isinstance(value, dict) and value:
            inner = rng.choice(sorted(value))
            yield {**payload, key: {**value, inner: rng.choice(ODD_VALUES)}}
            yield {**payload, key: {k: v for k, v in value.items() if k != inner}}
        if isinstance(value, list) and value:
            yield {**payload, key: value + value[:1]}
            if isinstance(value[0], dict) and value[0]:
                inner = rng.choice(sorted(value[0]))
                yield {**payload, key: [{**value[0], inner: rng.choice(ODD_VALUES)}, *value[1:]]}


def _reference(spec: Spec, payload: Any) -> tuple[str, Any]:
    try:
        return "ok", spec.validate(payload, CTX)
    except ValidationError as err:
        return "error", (err.reason, err.path)


def _exact(value: Any) -> str:
    """The value as JSON in its own key order, types kept (1, 1.0 and true differ)."""
    return json.dumps(value, ensure_ascii=False)


def test_every_event_type_is_sampled() -> None:
    assert {t for t, _ in SAMPLES} == set(CATALOGUE)


def test_compiled_code_accepts_only_the_reference_normal_form() -> None:
    rng = random.Random(19)
    decided_in_line = handed_over = normalised = 0
    for event_type, payload in SAMPLES:
        spec = CATALOGUE[event_type]
        compiled = schema_fast.compile_spec(spec)
        for candidate in _mutations(payload, rng):
            want = _reference(spec, candidate)
            try:
                got = compiled(candidate, CTX)
            except Exception:  # noqa: BLE001 - handed to the reference, checked below
                handed_over += 1
            else:
                decided_in_line += 1
                assert want[0] == "ok", (event_type, candidate, want)
                assert _exact(got) == _exact(want[1]), (event_type, candidate)
            try:
                answer: tuple[str, Any] = ("ok", schema_fast.validate(spec, candidate, CTX))
            except ValidationError as err:
                answer = ("error", (err.reason, err.path))
            assert _exact(answer) == _exact(want), (event_type, candidate)
            if want[0] == "ok" and _exact(want[1]) != _exact(candidate):
                normalised += 1
    # the mutations reach both sides of the compiled code, and normal forms that differ
    assert decided_in_line > 1000 and handed_over > 1000 and normalised > 100, (
        decided_in_line,
        handed_over,
        normalised,
    )


def test_check_pulled_keeps_the_text_only_of_a_payload_in_normal_form() -> None:
    rng = random.Random(7)
    kept = remade = 0
    for event_type, payload in SAMPLES:
        for candidate in _mutations(payload, rng):
            text = canonical_json(candidate)
            e = Event(new_id(), event_type, "a", "duty_manager", "d", NOW.isoformat(), candidate)
            try:
                checked, out = check_pulled(e, text)
            except ValidationError:
                continue
            assert out == canonical_json(checked.payload), (event_type, candidate)
            kept += out is text
            remade += out is not text
    assert kept > 100 and remade > 100, (kept, remade)


@pytest.mark.parametrize("odd", [1.0, True])
def test_a_number_of_another_type_is_never_taken_for_the_same(odd: Any) -> None:
    """1.0 and True equal 1 in Python; a whole-number field refuses both, so a payload
    that compares equal after checking never hides a number of another JSON type."""
    contact = json.loads(canonical_json(contact_payload()))
    contact["children"][0]["slot"] = odd
    e = Event(new_id(), "contact.received", "a", "duty_manager", "d", NOW.isoformat(), contact)
    with pytest.raises(ValidationError):
        check_pulled(e, canonical_json(contact))
