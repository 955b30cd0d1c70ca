"""What a parsed import file is made of: rows, the events each row would write, and errors.

Parsers turn a partner's row into *drafts* (event type, payload, stable id, time); the
builder validates drafts with the event log's own rules. Errors name the file, the row,
the source column, the value and the rule broken, so a partner can fix their export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what an import will read; beyond them the file is refused, not truncated."""

    max_file_bytes: int = 512 * 1024 * 1024
    max_field_chars: int = 20_000
    max_line_chars: int = 1_000_000


LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int
    column: str
    value: str
    rule: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        where = f"{self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        value = f" (value {shown!r})" if self.value else ""
        return f"{where}: {kind}: {self.rule}{value}"


class FileRefused(Exception):
    """The whole file cannot be read (too big, wrong encoding, not the format claimed)."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.message = message
        super().__init__(f"{file}: {message}")


@dataclass(slots=True)
class Draft:
    """An event a row would write, before validation."""

    event_type: str
    payload: dict[str, Any]
    event_id: str
    at: datetime


@dataclass(slots=True)
class ParsedRow:
    """One row (or record) of a file: its raw cells, drafts and errors."""

    number: int
    ref: str
    raw: Mapping[str, str]
    drafts: list[Draft] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    # Payload path ("children[0].date_of_birth") -> the column the partner wrote it in.
    column_of: Callable[[str], str] = str
    summary: str = ""
    # For nested records (JSON, XML): the value at a path, when ``raw`` is not flat.
    lookup: Callable[[str], Any] | None = None

    def value(self, column: str) -> str:
        found = self.lookup(column) if self.lookup else self.raw.get(column, "")
        return "" if found is None else str(found)

    @property
    def ok(self) -> bool:
        return not self.errors
