"""Police domestic abuse notifications as CSV, one incident per row (docs/police-csv.md).

Headers are matched loosely (case, spaces and punctuation ignored, common aliases), so an
export from a force's system works without editing. Children are in numbered columns
``child1_given_name`` ... ``child8_sex``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from ..domain.ids import stable_id
from ..domain.triage import factors as catalogue
from .ids import contact_event_id
from .model import LIMITS, Draft, FileRefused, Limits, ParsedRow, RowError
from .values import clean, parse_date, parse_datetime, sex_code, source_code, yes_no

MAX_CHILDREN = 8

# canonical column -> accepted header spellings (after normalising).
ALIASES: dict[str, tuple[str, ...]] = {
    "incident_ref": (
        "incident_ref",
        "incident_reference",
        "incident_no",
        "incident_number",
        "occurrence_ref",
        "crime_ref",
        "ppn_ref",
        "reference",
    ),
    "incident_at": (
        "incident_at",
        "incident_datetime",
        "incident_date_time",
        "incident_date",
        "date_time_of_incident",
        "date_of_incident",
    ),
    "notified_at": (
        "notified_at",
        "received_at",
        "date_received",
        "notification_date",
        "date_notified",
        "shared_at",
    ),
    "dash_level": (
        "dash_level",
        "dash",
        "dash_risk",
        "dash_risk_level",
        "risk_level",
        "dash_dara_level",
        "risk",
    ),
    "dara_level": ("dara_level", "dara", "dara_risk", "dara_risk_level"),
    "children_present": ("children_present", "child_present", "children_present_at_incident"),
    "previous_incidents": (
        "previous_incidents",
        "prev_incidents",
        "previous_incidents_12_months",
        "previous_da_incidents",
    ),
    "address": ("address", "incident_address", "home_address"),
    "postcode": ("postcode", "post_code"),
    "concern": (
        "concern",
        "concern_text",
        "circumstances",
        "summary",
        "details",
        "incident_summary",
        "narrative",
    ),
    "officer": ("officer", "reporting_officer", "officer_name", "oic"),
    "force": ("force", "police_force", "agency"),
    "source": ("source", "source_code", "referral_source"),
    "immediate_danger": ("immediate_danger", "child_in_immediate_danger"),
    "consent": ("consent",),
    "categories": ("categories", "factors", "assessment_factors"),
}
# Yes/no domestic abuse facts of the factor catalogue that a police export can carry
# (strangulation, weapon, pregnancy): their columns come from the catalogue.
DA_FACTS = tuple(
    f.path[1]
    for f in catalogue.FACTORS
    if catalogue.POLICE_CSV in f.sources
    and f.path[0] == "domestic_abuse"
    and f.kind == catalogue.YES_NO
    and f.csv_aliases
)
ALIASES.update({name: catalogue.BY_NAME[name].csv_aliases for name in DA_FACTS})
CHILD_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "first_name", "forename", "forenames"),
    "family_name": ("family_name", "surname", "last_name"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date"),
    "sex": ("sex", "gender"),
    "nhs_number": ("nhs_number", "nhs", "nhs_no"),
    "school": ("school",),
}
# immediate_danger is required, never defaulted: a blank or absent answer is not "no"
# (issue 14: "not asked" is distinct from "no" everywhere, printed documents included).
REQUIRED = ("incident_ref", "concern", "immediate_danger")
BLANK_DANGER = "immediate danger is blank: the police notification must say yes or no"
LEVELS = {
    "standard": "standard",
    "s": "standard",
    "low": "standard",
    "medium": "medium",
    "m": "medium",
    "high": "high",
    "h": "high",
}
CONSENTS = ("given", "refused", "not_sought", "not_required", "unknown")


def norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", clean(header).casefold()).strip("_")


def _header_map(headers: list[str], file: str) -> tuple[dict[str, int], list[str]]:
    """canonical name -> column index; and headers nobody understood."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    for i, header in enumerate(headers):
        key = norm(header)
        m = re.fullmatch(r"child_?(\d)_?(.+)", key)
        if m and 1 <= int(m.group(1)) <= MAX_CHILDREN:
            field = next((f for f, al in CHILD_FIELDS.items() if m.group(2) in al), None)
            if field:
                found[f"child{m.group(1)}_{field}"] = i
                continue
        if key in lookup and lookup[key] not in found:
            found[lookup[key]] = i
        elif key:
            unknown.append(header)
    missing = [c for c in REQUIRED if c not in found]
    if "incident_at" not in found and "notified_at" not in found:
        missing.append("incident_at or notified_at")
    if not any(k.startswith("child") for k in found):
        missing.append("child1_given_name / child1_date_of_birth")
    if missing:
        raise FileRefused(
            file,
            "is not a police notification CSV: missing column(s) "
            + ", ".join(missing)
            + " (see docs/police-csv.md)",
        )
    return found, unknown


def parse(text: str, file: str, now: datetime, limits: Limits = LIMITS) -> Iterator[ParsedRow]:
    csv.field_size_limit(limits.max_field_chars)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error) as err:
        raise FileRefused(file, f"has no readable header row ({err})") from None
    columns, unknown = _header_map(headers, file)
    names = {canon: headers[i] for canon, i in columns.items()}
    seen: dict[str, int] = {}
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            row = ParsedRow(number=reader.line_num, ref="", raw={})
            row.errors.append(
                RowError(
                    file,
                    reader.line_num,
                    "",
                    "",
                    f"unreadable CSV ({err}); fields are limited to "
                    f"{limits.max_field_chars:,} characters",
                )
            )
            yield row
            continue
        if not any(c.strip() for c in cells):
            continue
        raw = {
            headers[i] if i < len(headers) else f"column {i + 1}": c for i, c in enumerate(cells)
        }
        row = _row(reader.line_num, raw, columns, names, file, now)
        if number == 2 and unknown:
            row.warnings.append(
                RowError(
                    file,
                    1,
                    ", ".join(unknown),
                    "",
                    "column(s) not in the mapping were ignored",
                    warning=True,
                )
            )
        ref = row.ref.casefold()
        if ref and ref in seen:
            row.errors.append(
                RowError(
                    file,
                    row.number,
                    names["incident_ref"],
                    row.ref,
                    f"incident reference already used on row {seen[ref]}",
                )
            )
        elif ref:
            seen[ref] = row.number
        yield row


def _row(
    number: int,
    raw: dict[str, str],
    columns: dict[str, int],
    names: dict[str, str],
    file: str,
    now: datetime,
) -> ParsedRow:
    def cell(canon: str) -> str:
        return clean(raw.get(names[canon], "")) if canon in names else ""

    row = ParsedRow(
        number=number,
        ref=cell("incident_ref"),
        raw=raw,
        column_of=lambda path: names.get(_canonical(path), path),
    )

    def convert(canon: str, fn: Callable[[str], Any]) -> Any:
        value = cell(canon)
        if not value:
            return None
        try:
            return fn(value)
        except ValueError as err:
            row.errors.append(RowError(file, number, names[canon], value, str(err)))
            return None

    incident_at = convert("incident_at", parse_datetime)
    received = convert("notified_at", parse_datetime) or incident_at
    if received is None and not row.errors:
        row.errors.append(
            RowError(
                file,
                number,
                names.get("notified_at") or names["incident_at"],
                "",
                "a date and time is required",
            )
        )
    da: dict[str, Any] = {"incident_ref": cell("incident_ref") or None}
    for canon in ("dash_level", "dara_level"):
        da[canon] = convert(canon, _level)
    da["children_present"] = convert("children_present", yes_no)
    for name in DA_FACTS:
        da[name] = convert(name, yes_no)  # an empty cell stays "not asked"
    da["previous_incidents"] = convert("previous_incidents", _count)
    if incident_at:
        da["incident_at"] = incident_at.isoformat()
    danger = convert("immediate_danger", yes_no)
    if danger is None and not cell("immediate_danger"):
        row.errors.append(RowError(file, number, names["immediate_danger"], "", BLANK_DANGER))
    children = _children(row, cell, convert, file)
    if row.errors:
        return row
    payload: dict[str, Any] = {
        "received_at": received.isoformat() if received else None,
        "channel": "police_notification",
        "source_code": convert("source", source_code) or "6",
        "reporter": {
            k: v for k, v in (("name", cell("officer")), ("agency", cell("force") or "Police")) if v
        },
        "children": children,
        "concern": cell("concern"),
        "categories": [
            c.strip().upper() for c in re.split(r"[;,\s]+", cell("categories")) if c.strip()
        ]
        or ["3B"],
        "consent": convert("consent", _consent) or "unknown",
        "immediate_danger": danger is True,
        "domestic_abuse": {k: v for k, v in da.items() if v is not None},
        "external_ref": cell("incident_ref") or None,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    if row.errors:
        return row
    cid = stable_id("police-csv", row.ref.casefold())
    payload["contact_id"] = cid
    row.drafts.append(Draft("contact.received", payload, contact_event_id(cid), now))
    row.summary = f"incident {row.ref}: {len(children)} child" + (
        "ren" if len(children) != 1 else ""
    )
    return row


def _children(
    row: ParsedRow,
    cell: Callable[[str], str],
    convert: Callable[[str, Callable[[str], Any]], Any],
    file: str,
) -> list[dict[str, Any]]:
    children: list[dict[str, Any]] = []
    for n in range(1, MAX_CHILDREN + 1):
        prefix = f"child{n}_"
        if not any(cell(prefix + f) for f in CHILD_FIELDS):
            continue
        child: dict[str, Any] = {
            "given_name": cell(prefix + "given_name"),
            "family_name": cell(prefix + "family_name"),
            "nhs_number": cell(prefix + "nhs_number"),
            "school": cell(prefix + "school"),
            "address": cell("address"),
            "postcode": cell("postcode"),
        }
        dob = convert(prefix + "date_of_birth", parse_date)
        child["date_of_birth"] = dob.isoformat() if dob else None
        child["sex"] = convert(prefix + "sex", sex_code)
        children.append({k: v for k, v in child.items() if v})
    if not children:
        row.errors.append(
            RowError(
                file,
                row.number,
                "child1_given_name",
                "",
                "missing child: a notification needs at least one child",
            )
        )
    return children


def _canonical(path: str) -> str:
    """``children[1].date_of_birth`` -> ``child2_date_of_birth`` (the mapping's name)."""
    m = re.match(r"children\[(\d+)\]\.?(\w*)", path)
    if m:
        field = m.group(2)
        if field in ("address", "postcode"):
            return field
        return f"child{int(m.group(1)) + 1}_{field or 'given_name'}"
    return {
        "domestic_abuse.dash_level": "dash_level",
        "domestic_abuse.dara_level": "dara_level",
        "domestic_abuse.incident_ref": "incident_ref",
        "received_at": "notified_at",
        "source_code": "source",
        "external_ref": "incident_ref",
    }.get(path, path)


def _level(value: str) -> str:
    key = value.casefold().strip()
    if key in LEVELS:
        return LEVELS[key]
    raise ValueError("is not a DASH/DARA level (standard, medium, high)")


def _count(value: str) -> int:
    if not value.isdigit():
        raise ValueError("is not a whole number of incidents")
    return int(value)


def _consent(value: str) -> str:
    key = value.casefold().replace(" ", "_")
    if key in CONSENTS:
        return key
    raise ValueError("is not a consent status (" + ", ".join(CONSENTS) + ")")
