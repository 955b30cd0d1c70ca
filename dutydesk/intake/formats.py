"""Which parser reads a file: chosen by the user, or detected from name and content."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import annex_a, cin_xml, jsonfmt, police_csv
from .model import LIMITS, FileRefused, Limits, ParsedRow
from .text import decode, read_bytes

FORMATS = ("json", "police-csv", "annex-a", "cin-xml")
_BY_SUFFIX = {
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".csv": "police-csv",
    ".xlsx": "annex-a",
    ".xlsm": "annex-a",
    ".xml": "cin-xml",
}


@dataclass
class OpenedFile:
    name: str
    format: str
    encoding: str
    rows: Iterator[ParsedRow]
    data: bytes


def detect(path: Path, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "annex-a"
    by_suffix = _BY_SUFFIX.get(path.suffix.lower())
    if by_suffix:
        return by_suffix
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return "cin-xml"
    if start in (b"{", b"["):
        return "json"
    return "police-csv"


def guarded(rows: Iterator[ParsedRow], file: str) -> Iterator[ParsedRow]:
    """The parser's rows, with any failure the parser did not foresee turned into a
    ``FileRefused`` naming the file and the last row read (a hostile file must never end
    in a traceback)."""
    last = 0
    try:
        for row in rows:
            last = row.number
            yield row
    except FileRefused:
        raise
    except (RecursionError, MemoryError) as err:
        raise FileRefused(
            file, f"is too complex to read ({type(err).__name__}) after row {last}"
        ) from None
    except Exception as err:  # noqa: BLE001 - any parser failure refuses the file, named
        raise FileRefused(
            file, f"cannot be read after row {last} ({type(err).__name__}: {str(err)[:200]})"
        ) from None


def open_file(path: Path, fmt: str, now: datetime, limits: Limits = LIMITS) -> OpenedFile:
    """Read and start parsing; ``FileRefused`` when the whole file cannot be used."""
    opened = _open(path, fmt, now, limits)
    opened.rows = guarded(opened.rows, opened.name)
    return opened


def _open(path: Path, fmt: str, now: datetime, limits: Limits) -> OpenedFile:
    data = read_bytes(path, limits)
    name = path.name
    kind = detect(path, data) if fmt == "auto" else fmt
    if kind not in FORMATS:
        raise FileRefused(name, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if kind == "annex-a":
        if not data.startswith(b"PK\x03\x04"):
            raise FileRefused(name, "is not an Excel .xlsx workbook")
        return OpenedFile(name, kind, "xlsx", annex_a.parse(data, name, now, limits), data)
    if kind == "cin-xml":
        return OpenedFile(name, kind, "xml", cin_xml.parse(data, name, now, limits), data)
    text, encoding = decode(data, name)
    module = jsonfmt if kind == "json" else police_csv
    return OpenedFile(name, kind, encoding, module.parse(text, name, now, limits), data)
