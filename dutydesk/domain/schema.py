"""A small declarative validator for event payloads and intake records.

Why not JSON Schema at run time: the rules here need the event's own date (a date of birth
may not be after the day it was recorded), DfE code lists and the NHS check digit, and
errors must name the field in words a duty manager understands. ``docs/`` carries a
JSON Schema of the intake format generated from the same specs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .errors import ValidationError
from .nhs import validate_nhs_number

Check = Callable[[Any, "Context"], Any]


def server_twin(check: Any, **rule: Any) -> Any:
    """Describe ``check`` (or a Spec cross-field rule) for the shared server.

    The server validates payloads with rules generated from these descriptions
    (``dutydesk.domain.server_rules``), so every check made here needs one; a check
    without it makes ``dutydesk server init|upgrade`` refuse, naming the field.
    """
    check.server_rule = rule
    return check


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may compare against: the day the record was made."""

    today: date


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    check: Check
    required: bool = True
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Spec:
    """An object: named fields, no others allowed (a typo must not pass silently)."""

    fields: tuple[Field, ...]
    rules: tuple[Callable[[dict[str, Any]], None], ...] = field(default=())
    # the field names, computed once (every pulled or imported event is validated)
    known: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", frozenset(f.name for f in self.fields))

    def validate(self, value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected an object, got {type(value).__name__}")
        unknown = sorted(set(value) - self.known) if not self.known.issuperset(value) else ()
        if unknown:
            raise ValidationError(f"unknown field {unknown[0]!r}", unknown[0])
        out: dict[str, Any] = {}
        for f in self.fields:
            raw = value.get(f.name)
            if raw is None or raw == "":
                if f.required:
                    raise ValidationError("is required", f.name)
                continue
            try:
                out[f.name] = f.check(raw, ctx)
            except ValidationError as err:
                located = err.within(f.name) if err.path else ValidationError(err.reason, f.name)
                raise located from None
        for rule in self.rules:
            rule(out)
        return out

    def __call__(self, value: Any, ctx: Context) -> dict[str, Any]:
        return self.validate(value, ctx)


# ---- checks -------------------------------------------------------------------------

# A surrogate code point in a str is never a character: json.loads makes one from a lone
# "\udc80" escape (pairs it joins), the command line from bytes that are not UTF-8
# (surrogateescape). Such text cannot be written as UTF-8: not hashed (the audit chain),
# not stored (SQLite), not sent (the server's jsonb refuses it too). Refused here, at the
# boundary, so no event can carry one.
_SURROGATE = re.compile("[\ud800-\udfff]").search


def not_unicode(value: str) -> str | None:
    """Why ``value`` is not Unicode text (it holds a lone surrogate), or None."""
    found = None if value.isascii() else _SURROGATE(value)
    if found is None:
        return None
    return (
        f"contains U+{ord(found.group()):04X}, half of a UTF-16 surrogate pair on its own: "
        "not a Unicode character (a bad \\u escape?)"
    )


def not_unicode_within(value: Any) -> str | None:
    """``not_unicode`` for every text (keys too) in a JSON value (a free object: triage
    reasons). About 1.5 us a reason object: numbers and ASCII text are passed in line."""
    if isinstance(value, str):
        return not_unicode(value)
    parts: Any
    if isinstance(value, Mapping):
        parts = (*value.keys(), *value.values())
    elif isinstance(value, list | tuple):
        parts = value
    else:
        return None
    for part in parts:
        kind = part.__class__
        if kind is str:
            if not part.isascii() and _SURROGATE(part):
                return not_unicode(part)
        elif kind is not int and kind is not float and kind is not bool and part is not None:
            problem = not_unicode_within(part)
            if problem:
                return problem
    return None


def text(max_len: int = 200, *, strip: bool = True) -> Check:
    def check(value: Any, ctx: Context) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected text, got {type(value).__name__}")
        out = value.replace("\u00a0", " ").strip() if strip else value
        if len(out) > max_len:
            raise ValidationError(f"is {len(out)} characters long; at most {max_len} allowed")
        if "\x00" in out:
            raise ValidationError("contains a NUL character")
        problem = not_unicode(out)
        if problem:
            raise ValidationError(problem)
        return out

    return server_twin(check, kind="text", max=max_len, strip=strip)


def integer(lo: int | None = None, hi: int | None = None) -> Check:
    def check(value: Any, ctx: Context) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected a whole number, got {value!r}")
        if lo is not None and value < lo:
            raise ValidationError(f"{value} is below the minimum {lo}")
        if hi is not None and value > hi:
            raise ValidationError(f"{value} is above the maximum {hi}")
        return value

    return server_twin(check, kind="integer", min=lo, max=hi)


def boolean(value: Any, ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"expected true or false, got {value!r}")
    return value


server_twin(boolean, kind="boolean")


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def uuid_text(value: Any, ctx: Context) -> str:
    if isinstance(value, str) and _CANONICAL_UUID.match(value):
        return value  # already what str(uuid.UUID(value)) gives
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(f"{value!r} is not a UUID") from None


server_twin(uuid_text, kind="uuid")


def iso_date(*, not_future: bool = False, not_past: bool = False) -> Check:
    def check(value: Any, ctx: Context) -> str:
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        if parsed.year < 1900:
            raise ValidationError(f"{value} is before 1900")
        if not_future and parsed > ctx.today:
            raise ValidationError(f"{value} is in the future")
        if not_past and parsed < ctx.today.replace(year=ctx.today.year - 1):
            raise ValidationError(f"{value} is more than a year in the past")
        return parsed.isoformat()

    return server_twin(check, kind="date", not_future=not_future, not_past=not_past)


def iso_datetime(value: Any, ctx: Context) -> str:
    """An aware ISO timestamp, normalised to UTC offset form."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a date and time (ISO 8601)") from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{value!r} has no time zone")
    return parsed.isoformat()


server_twin(iso_datetime, kind="datetime")


def one_of(choices: Collection[str], what: str) -> Check:
    allowed = frozenset(str(c) for c in choices)

    def check(value: Any, ctx: Context) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(f"{value!r} is not a known {what}")
        return value

    return server_twin(check, kind="enum", values=sorted(allowed), what=what)


def list_of(
    item: Check, *, min_items: int = 0, max_items: int = 1000, unique: bool = False
) -> Check:
    def check(value: Any, ctx: Context) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(f"expected a list, got {type(value).__name__}")
        if len(value) < min_items:
            raise ValidationError(f"needs at least {min_items} item(s)")
        if len(value) > max_items:
            raise ValidationError(f"has {len(value)} items; at most {max_items} allowed")
        out = []
        for i, raw in enumerate(value):
            try:
                out.append(item(raw, ctx))
            except ValidationError as err:
                raise ValidationError(
                    err.reason, f"[{i}]" + (f".{err.path}" if err.path else "")
                ) from None
        if unique and len(set(map(str, out))) != len(out):
            raise ValidationError("has the same value twice")
        return out

    return server_twin(check, kind="list", item=item, min=min_items, max=max_items, unique=unique)


def nhs_number(value: Any, ctx: Context) -> str:
    return validate_nhs_number(str(value))


server_twin(nhs_number, kind="nhs_number")


def postcode(value: Any, ctx: Context) -> str:
    """Letters A-Z and digits 0-9 only, checked before upper-casing: str.isalpha() takes
    any script's letters and upper() turns "ß" into "SS" (the server checks ASCII too)."""
    compact = "".join(str(value).replace("\u00a0", " ").split())
    if not compact.isascii() or not compact.isalnum():
        raise ValidationError(f"{value!r} is not a UK postcode (letters A-Z and digits 0-9)")
    compact = compact.upper()
    if not (5 <= len(compact) <= 7) or not compact[:1].isalpha() or not compact[-2:].isalpha():
        raise ValidationError(f"{value!r} is not a UK postcode")
    return compact[:-3] + " " + compact[-3:]


server_twin(postcode, kind="postcode")


def free_object(value: Any, ctx: Context) -> dict[str, Any]:
    """A JSON object whose inner shape belongs to another module (e.g. triage reasons)."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"expected an object, got {type(value).__name__}")
    problem = not_unicode_within(value)
    if problem:
        raise ValidationError(problem)
    return dict(value)


server_twin(free_object, kind="object")
