"""Reading hostile files safely: XML without DTDs or entities in any encoding, xlsx within
size and expansion limits, JSON within depth and number-size limits with duplicate keys
refused. Every refusal is a ``FileRefused`` (or a row error) naming the file, the part
and the limit; nothing here lets a parser's traceback escape.

* **XML** is parsed with ``defusedxml`` (expat underneath, so the DOCTYPE check does not
  depend on where the declaration is or how the document is encoded: UTF-16, a DOCTYPE
  after 8 KB of comments). A DTD, an entity declaration or an external reference refuses
  the file. Encodings expat cannot read (Shift-JIS, for example) are refused by name.
* **xlsx** is a zip: before any XML in it is read, the central directory is checked
  (member count, each member's and the total expanded size, the expansion ratio), so an
  800 KB file that would expand to gigabytes is refused without expanding it. Python's
  ``zipfile`` never inflates past a member's declared size, so the declared sizes bound
  the memory used. Every XML part's prolog is then checked for a DTD.
* **JSON**: nesting deeper than ``MAX_JSON_DEPTH``, integers longer than
  ``MAX_NUMBER_DIGITS`` digits, ``NaN``/``Infinity`` and duplicate keys in one object are
  refused with the place they were found.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from .model import FileRefused

MAX_JSON_DEPTH = 20  # an intake record nests 4 levels; 20 is generous
MAX_NUMBER_DIGITS = 30  # no field of a contact needs a longer number


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_members: int = 2_000
    max_member_bytes: int = 256 * 1024 * 1024  # one expanded part (a sheet)
    max_total_bytes: int = 512 * 1024 * 1024  # everything expanded
    max_ratio: int = 200  # expanded / compressed, for big parts
    ratio_from_bytes: int = 1024 * 1024  # small parts may compress very well


ZIP_LIMITS = ZipLimits()


# ---- XML ----------------------------------------------------------------------------------


def _xml_refusal(file: str, err: Exception, part: str = "") -> FileRefused:
    where = f" (part {part})" if part else ""
    if isinstance(err, defusedxml.DTDForbidden):
        return FileRefused(
            file,
            f"contains a DOCTYPE (document type declaration){where}; "
            "import files never need one, so it is refused",
        )
    if isinstance(err, defusedxml.EntitiesForbidden):
        return FileRefused(
            file,
            f"declares an XML entity{where}; entities are refused "
            "(they can expand without limit or read other files)",
        )
    if isinstance(err, defusedxml.ExternalReferenceForbidden):
        return FileRefused(file, f"refers to an external resource{where}; refused")
    if isinstance(err, ParseError):
        line, col = getattr(err, "position", (0, 0))
        message = str(err).split(":")[0]
        return FileRefused(
            file, f"is not well-formed XML{where} (line {line}, column {col}: {message})"
        )
    if isinstance(err, ValueError | LookupError):  # expat: an encoding it cannot read
        return FileRefused(
            file,
            f"cannot be read as XML{where}: its encoding is not "
            f"supported ({str(err)[:120]}); save it as UTF-8",
        )
    return FileRefused(file, f"cannot be read as XML{where} ({type(err).__name__})")


XML_ERRORS = (ParseError, defusedxml.DefusedXmlException, ValueError, LookupError)


def iterparse(
    source: IO[bytes], file: str, part: str = "", events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, Element]]:
    """``ElementTree.iterparse`` that refuses DTDs, entities and external references
    whatever the encoding; errors become ``FileRefused`` naming the file (and part)."""
    try:
        yield from SafeET.iterparse(
            source, events=events, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except XML_ERRORS as err:
        raise _xml_refusal(file, err, part) from None


def check_xml_prolog(source: IO[bytes], file: str, part: str) -> None:
    """Parse up to the root element (where any DOCTYPE must already have appeared)."""
    for _ in iterparse(source, file, part, events=("start",)):
        return


# ---- xlsx ---------------------------------------------------------------------------------


def check_xlsx(data: bytes, file: str, limits: ZipLimits = ZIP_LIMITS) -> None:
    """Refuse a workbook that would expand beyond the limits or carries a DTD anywhere."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as err:
        raise FileRefused(file, f"is not a readable Excel workbook ({err})") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise FileRefused(
                file,
                f"holds {len(members):,} parts; an Excel workbook with "
                f"more than {limits.max_members:,} is refused",
            )
        total = 0
        for m in members:
            total += m.file_size
            if m.file_size > limits.max_member_bytes:
                raise FileRefused(
                    file,
                    f"part {m.filename} would expand to "
                    f"{m.file_size:,} bytes; at most "
                    f"{limits.max_member_bytes:,} are read (zip bomb?)",
                )
            if m.file_size > limits.ratio_from_bytes and m.file_size > limits.max_ratio * max(
                m.compress_size, 1
            ):
                raise FileRefused(
                    file,
                    f"part {m.filename} would expand "
                    f"{m.file_size // max(m.compress_size, 1):,} times "
                    f"(to {m.file_size:,} bytes); more than "
                    f"{limits.max_ratio} times is refused (zip bomb?)",
                )
        if total > limits.max_total_bytes:
            raise FileRefused(
                file,
                f"would expand to {total:,} bytes in all; at most "
                f"{limits.max_total_bytes:,} are read (zip bomb?)",
            )
        for m in members:
            if m.filename.lower().endswith((".xml", ".rels", ".vml")):
                try:
                    with archive.open(m) as part:
                        check_xml_prolog(part, file, m.filename)
                except (
                    zipfile.BadZipFile,
                    OSError,
                    EOFError,
                    RuntimeError,
                    NotImplementedError,
                ) as err:
                    raise FileRefused(file, f"part {m.filename} cannot be read ({err})") from None


# ---- JSON ---------------------------------------------------------------------------------


class JsonRefused(ValueError):
    """JSON that breaks a limit: the message says which and where."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonRefused(
                f"duplicate key {key[:60]!r} in one object (which value is "
                "meant cannot be known, so the record is refused)"
            )
        out[key] = value
    return out


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise JsonRefused(
            f"a number with {digits:,} digits; at most {MAX_NUMBER_DIGITS} are accepted"
        )
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise JsonRefused(
            f"a number written with {len(text):,} characters; at most "
            f"{MAX_NUMBER_DIGITS + 10} are accepted"
        )
    return float(text)


def _constant(name: str) -> float:
    raise JsonRefused(f"{name} is not a JSON number")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a decoded value, stopping once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def loads(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` within the limits; ``JsonRefused`` (a ValueError) says what broke,
    ``json.JSONDecodeError`` is raised for JSON that is not well formed."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except RecursionError:
        raise JsonRefused(f"nested more than {max_depth} levels deep") from None
    if _depth(value, max_depth) > max_depth:
        raise JsonRefused(f"nested more than {max_depth} levels deep")
    return value
