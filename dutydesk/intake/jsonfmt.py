"""The intake exchange format: one JSON object, a JSON array, or JSON lines.

Each object is a ``contact.received`` payload (docs/intake-format.md). ``contact_id`` is
optional: a stable one is made from ``external_ref``, or from the object's content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..domain.events import canonical_json
from ..domain.ids import stable_id
from ..domain.schema import not_unicode
from .hardened import JsonRefused, loads
from .ids import contact_event_id
from .model import LIMITS, Draft, FileRefused, Limits, ParsedRow, RowError

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(obj: Any, path: str) -> Any:
    """The value at ``children[0].nhs_number`` inside ``obj``, or None."""
    for name, index in _PART.findall(path):
        try:
            obj = obj[int(index)] if index else obj[name]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return obj if not isinstance(obj, dict | list) else None


def parse(text: str, file: str, now: datetime, limits: Limits = LIMITS) -> Iterator[ParsedRow]:
    stripped = text.lstrip()
    if not stripped:
        raise FileRefused(file, "holds no JSON")
    if stripped[0] == "[":
        items = _whole_file(text, file)
        if not isinstance(items, list):
            raise FileRefused(file, "is not a JSON array of records")
        for i, item in enumerate(items, 1):
            yield _row(i, item, json.dumps(item, ensure_ascii=False), file, now)
        return
    if not _looks_like_lines(stripped):
        yield from _whole_object(text, file, now)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(line) > limits.max_line_chars:
            yield _bad(
                number,
                line[:200],
                file,
                f"line is {len(line):,} characters; at most {limits.max_line_chars:,} allowed",
            )
            continue
        try:
            item = loads(line)
        except json.JSONDecodeError as err:
            yield _bad(number, line, file, f"not valid JSON: {err.msg} at column {err.colno}")
            continue
        except JsonRefused as err:
            yield _bad(number, line[:200], file, f"refused: {err}")
            continue
        yield _row(number, item, line, file, now)


def _looks_like_lines(stripped: str) -> bool:
    """JSON lines when the second non-empty line starts a new object too."""
    lines = (ln.strip() for ln in stripped.splitlines())
    non_empty = [ln for _, ln in zip(range(2), (ln for ln in lines if ln), strict=False)]
    return len(non_empty) < 2 or non_empty[1].startswith("{")


def _whole_object(text: str, file: str, now: datetime) -> Iterator[ParsedRow]:
    """A single (pretty-printed) object."""
    yield _row(1, _whole_file(text, file), text, file, now)


def _whole_file(text: str, file: str) -> Any:
    """The file read as one JSON value; a file that is not JSON, or that the reader's
    limits refuse, is refused whole."""
    try:
        return loads(text)
    except json.JSONDecodeError as err:
        raise FileRefused(
            file, f"is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except JsonRefused as err:
        raise FileRefused(file, f"is refused: {err}") from None


def _bad(number: int, line: str, file: str, rule: str) -> ParsedRow:
    row = ParsedRow(number=number, ref="", raw={"record": line})
    row.errors.append(RowError(file, number, "", "", rule))
    return row


def _not_unicode_at(value: Any, path: str = "") -> tuple[str, str, str] | None:
    """(path, value, why) of the first text in ``value`` that is not Unicode (a lone
    surrogate: json.loads takes a "\\udc80" escape), the value written with escapes."""
    if isinstance(value, str):
        why = not_unicode(value)
        return (path, value.encode("utf-8", "backslashreplace").decode(), why) if why else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _not_unicode_at(key, path or "(a field name)") or _not_unicode_at(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _not_unicode_at(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _row(number: int, item: Any, source: str, file: str, now: datetime) -> ParsedRow:
    if not isinstance(item, dict):
        return _bad(number, source, file, f"expected a JSON object, got {type(item).__name__}")
    # before any id is made of the content (a hash of text that has no UTF-8)
    found = _not_unicode_at(item)
    if found is not None:
        path, shown, why = found
        row = ParsedRow(number=number, ref="", raw={"record": json.dumps(item)})
        row.errors.append(RowError(file, number, path, shown, why))
        return row
    payload = dict(item)
    ref = str(payload.get("external_ref") or "")
    if not payload.get("contact_id"):
        basis = ("ref", ref) if ref else ("content", canonical_json(payload))
        payload["contact_id"] = stable_id("intake-json", *basis)
    cid = str(payload["contact_id"])
    row = ParsedRow(
        number=number,
        ref=ref or cid[:8],
        raw={"record": source},
        lookup=lambda path: value_at(item, path),
        summary=_summary(payload),
    )
    row.drafts.append(Draft("contact.received", payload, contact_event_id(cid), now))
    return row


def _summary(payload: dict[str, Any]) -> str:
    children = payload.get("children")
    n = len(children) if isinstance(children, list) else 0
    return (
        f"{payload.get('received_at', '?')} source {payload.get('source_code', '?')}, "
        f"{n} child{'ren' if n != 1 else ''}"
    )
