"""Reading intake records for ``dutydesk triage FILE``: JSON (one object or an array) or
JSON lines, each validated as a ``contact.received`` payload.

Errors name the file, the line and the field, and nothing is scored unless every record
is valid: half a ranking would hide the contacts that failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from ..errors import ValidationError
from ..events import validate_payload
from ..ids import new_id, stable_id


class IntakeFileError(ValidationError):
    """An intake file that cannot be read; the message names file and line."""


def parse_records(text: str, source: str) -> list[tuple[int, Any]]:
    """``(line number, parsed value)`` for each record in ``text``."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise IntakeFileError("the file holds no records", source)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as whole_err:
        return _json_lines(text, source, whole_err)
    if isinstance(whole, list):
        # Line numbers of array items are not kept by json; report the item index instead.
        return [(0, item) for item in whole]
    return [(1, whole)]


def _json_lines(text: str, source: str, whole_err: json.JSONDecodeError) -> list[tuple[int, Any]]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    try:
        json.loads(lines[0][1])
    except json.JSONDecodeError:
        # Not JSON lines either: one (pretty-printed) document with an error in it.
        raise IntakeFileError(
            f"not valid JSON: {whole_err.msg} (column {whole_err.colno})",
            f"{source}, line {whole_err.lineno}",
        ) from None
    out = []
    for n, line in lines:
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as err:
            raise IntakeFileError(
                f"not valid JSON: {err.msg} (column {err.colno})", f"{source}, line {n}"
            ) from None
    return out


def validate_records(
    records: list[tuple[int, Any]], source: str, today: date, make_id: Callable[[], str] = new_id
) -> list[dict[str, Any]]:
    """Each record as a validated ``contact.received`` payload, with a ``contact_id``
    made when missing (stable from ``external_ref`` so re-running gives the same id)."""
    out = []
    for index, (line, record) in enumerate(records):
        where = f"{source}, line {line}" if line else f"{source}, record {index + 1}"
        if not isinstance(record, dict):
            raise IntakeFileError(f"expected a JSON object, got {type(record).__name__}", where)
        body = dict(record)
        if not body.get("contact_id"):
            ref = body.get("external_ref")
            body["contact_id"] = (
                stable_id("intake", str(ref)) if isinstance(ref, str) and ref else make_id()
            )
        try:
            out.append(validate_payload("contact.received", body, today=today))
        except ValidationError as err:
            raise IntakeFileError(f"{err.path}: {err.reason}", where) from None
    return out
