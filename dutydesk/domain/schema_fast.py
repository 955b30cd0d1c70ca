"""Payload specs compiled to one Python function each, for events checked in bulk.

A pull re-validates every event the server sends (``events.check_envelope``): it is what
quarantines a bad server's event. ``Spec.validate`` walks its fields and calls a check
per field; for a pulled log that walk cost more than the checks (issue 19). Here each
``Spec`` becomes generated code with the common checks written in line (text, whole
numbers, true/false, canonical UUIDs, code lists, lists, nested objects) and every other
check called as it is.

The compiled function only ever answers for a payload that passes: anything it does not
accept in line (a wrong type, a value out of range, a missing field, a rule's objection,
any exception) hands the payload to ``Spec.validate``, whose answer (the normal form, or
the error naming the field) is the one returned. So the reference decides every
rejection, and the compiled code must give, for a payload it accepts, exactly the normal
form ``Spec.validate`` gives: same keys in the same order, same values
(``tests/unit/domain/test_schema_fast.py`` compares the two on every event type, real and
mutated payloads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import schema
from .nhs import is_normal_nhs_number
from .schema import Context, Spec

Compiled = Callable[[Any, Context], dict[str, Any]]


class _NotInLine(Exception):
    """The compiled code does not decide this payload: the reference does."""


def _factory(check: Any) -> str | None:
    """Which of ``schema``'s check factories made ``check`` (None: another function)."""
    if getattr(check, "__module__", None) != schema.__name__:
        return None
    name = getattr(check, "__qualname__", "")
    return name.removesuffix(".<locals>.check") if name.endswith(".<locals>.check") else None


class _Writer:
    """Generated source for one spec and the values its code refers to."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {"_NotInLine": _NotInLine, "_str": str, "_int": int}
        self.lines: list[str] = []

    def name(self, value: Any) -> str:
        key = f"_v{len(self.scope)}"
        self.scope[key] = value
        return key

    def value_expr(self, check: Any, raw: str, ctx: str) -> tuple[list[str], str]:
        """(statements, expression): the checked value of ``raw``; statements raise
        ``_NotInLine`` where the check would not simply return a value."""
        kind = _factory(check)
        rule = getattr(check, "server_rule", {})
        if isinstance(check, Spec):
            return [], f"{self.name(compile_spec(check))}({raw}, {ctx})"
        if check is schema.uuid_text:
            match = self.name(schema._CANONICAL_UUID.match)  # noqa: SLF001 - the same pattern
            return [f"if {raw}.__class__ is not _str or not {match}({raw}): raise _NotInLine"], raw
        if check is schema.boolean:
            return [f"if {raw} is not True and {raw} is not False: raise _NotInLine"], raw
        if check is schema.nhs_number:
            normal = self.name(is_normal_nhs_number)
            return [f"if {raw}.__class__ is not _str or not {normal}({raw}): raise _NotInLine"], raw
        if check is schema.free_object:
            deep = self.name(schema.not_unicode_within)
            return [
                f"if {raw}.__class__ is not dict or {deep}({raw}) is not None: raise _NotInLine"
            ], f"dict({raw})"
        if kind == "text":
            out = f"{raw}.replace('\\u00a0', ' ').strip()" if rule["strip"] else raw
            return [
                f"if {raw}.__class__ is not _str: raise _NotInLine",
                f"{raw} = {out}",
                f"if len({raw}) > {int(rule['max'])} or '\\x00' in {raw}: raise _NotInLine",
                f"if not {raw}.isascii() and {self.name(schema.not_unicode)}({raw}): "
                "raise _NotInLine",
            ], raw
        if kind == "integer":
            limits = [f"{raw}.__class__ is not _int"]
            if rule["min"] is not None:
                limits.append(f"{raw} < {int(rule['min'])}")
            if rule["max"] is not None:
                limits.append(f"{raw} > {int(rule['max'])}")
            return [f"if {' or '.join(limits)}: raise _NotInLine"], raw
        if kind == "one_of":
            allowed = self.name(frozenset(rule["values"]))
            return [
                f"if {raw}.__class__ is not _str or {raw} not in {allowed}: raise _NotInLine"
            ], raw
        if kind == "list_of":
            return self._list(rule, raw, ctx)
        return [], f"{self.name(check)}({raw}, {ctx})"

    def _list(self, rule: dict[str, Any], raw: str, ctx: str) -> tuple[list[str], str]:
        item = self.name(_item_function(rule["item"]))
        lines = [
            f"if {raw}.__class__ is not list or not "
            f"{int(rule['min'])} <= len({raw}) <= {int(rule['max'])}: raise _NotInLine",
            f"{raw} = [{item}(x, {ctx}) for x in {raw}]",
        ]
        if rule["unique"]:
            lines.append(f"if len(set(map(_str, {raw}))) != len({raw}): raise _NotInLine")
        return lines, raw


def _item_function(check: Any) -> Callable[[Any, Context], Any]:
    """A list item's check as one function (compiled when it is a spec)."""
    if isinstance(check, Spec):
        return compile_spec(check)
    writer = _Writer()
    statements, expr = writer.value_expr(check, "raw", "ctx")
    body = [*statements, f"return {expr}"]
    source = "def item(raw, ctx):\n" + "".join(f"    {s}\n" for s in body)
    exec(compile(source, "<schema_fast item>", "exec"), writer.scope)  # noqa: S102
    return writer.scope["item"]


_compiled: dict[int, tuple[Spec, Compiled]] = {}


def compile_spec(spec: Spec) -> Compiled:
    """``spec``'s compiled function (made once per spec): the normal form of a payload
    the code accepts in line; ``_NotInLine`` for any other (``validate`` decides)."""
    known = _compiled.get(id(spec))
    if known is not None and known[0] is spec:
        return known[1]
    w = _Writer()
    body = [
        "if value.__class__ is not dict or not known.issuperset(value): raise _NotInLine",
        "out = {}",
        "get = value.get",
    ]
    w.scope["known"] = spec.known
    for f in spec.fields:
        body.append(f"raw = get({f.name!r})")
        body.append("if raw is None or raw == '':")
        body.append("    raise _NotInLine" if f.required else "    pass")
        body.append("else:")
        statements, expr = w.value_expr(f.check, "raw", "ctx")
        body.extend(f"    {s}" for s in statements)
        body.append(f"    out[{f.name!r}] = {expr}")
    for rule in spec.rules:
        body.append(f"{w.name(rule)}(out)")
    body.append("return out")
    source = "def validate(value, ctx):\n" + "".join(f"    {s}\n" for s in body)
    exec(compile(source, "<schema_fast spec>", "exec"), w.scope)  # noqa: S102
    function: Compiled = w.scope["validate"]
    _compiled[id(spec)] = (spec, function)
    return function


def validate(spec: Spec, value: Any, ctx: Context) -> dict[str, Any]:
    """``spec.validate(value, ctx)``: the compiled code's answer when it accepts the
    payload in line, else the reference's (its normal form or its error)."""
    try:
        return compile_spec(spec)(value, ctx)
    except Exception:  # noqa: BLE001 - whatever it is, the reference decides
        return spec.validate(value, ctx)
