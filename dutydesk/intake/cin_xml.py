"""DfE Children in Need census XML as history: each referral (``CINdetails``) becomes a
``contact.received`` and a ``decision.recorded`` (NFA -> ``nfa``, otherwise
``cin_assessment``); each child becomes a person with a stable id from ``LAchildID``.

Streamed with a hardened ``iterparse`` (``hardened.iterparse``: defusedxml) so a
50,000-referral return is read in constant memory. Documents with a DOCTYPE, an entity or
an external reference are refused wherever it appears and however the file is encoded: a
census return never needs one, and refusing it rules out entity-expansion attacks.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from ..domain import codes
from ..domain.ids import stable_id
from . import hardened, history
from .model import LIMITS, FileRefused, Limits, ParsedRow, RowError
from .values import clean, ethnicity_code, parse_date, sex_code, source_code, start_of, yes_no


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(el: ET.Element | None, name: str) -> str:
    if el is None:
        return ""
    for child in el:
        if _local(child.tag) == name:
            return clean(child.text)
    return ""


def _all(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el.iter() if _local(c.tag) == name]


def _first(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def parse(data: bytes, file: str, now: datetime, limits: Limits = LIMITS) -> Iterator[ParsedRow]:
    lea = ""
    child_no = 0
    referral_no = 0
    try:
        for _, el in hardened.iterparse(io.BytesIO(data), file):
            tag = _local(el.tag)
            if tag == "LEA":
                lea = clean(el.text)
            elif tag == "Child":
                child_no += 1
                for row in _child(el, child_no, referral_no, lea, file, now, limits):
                    referral_no = row.number
                    yield row
                el.clear()
    except FileRefused as err:
        if referral_no:
            raise FileRefused(
                file, f"{err.message}; it was read as far as referral {referral_no}"
            ) from None
        raise
    if child_no == 0:
        raise FileRefused(file, "holds no <Child> elements: not a CIN census return")


def _child(
    el: ET.Element,
    child_no: int,
    referral_no: int,
    lea: str,
    file: str,
    now: datetime,
    limits: Limits,
) -> Iterator[ParsedRow]:
    ids = _first(el, "ChildIdentifiers")
    chars = _first(el, "ChildCharacteristics")
    la_id = _text(ids, "LAchildID")
    where = f"Child[{child_no}]"
    person: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []  # column, value, rule
    notes: list[tuple[str, str, str]] = []  # warnings: column, value, rule

    def take(key: str, value: str, fn: Any, column: str) -> None:
        if not value:
            return
        try:
            person[key] = fn(value)
        except ValueError as err:
            problems.append((f"{where}/{column}", value, str(err)))

    take(
        "date_of_birth",
        _text(ids, "PersonBirthDate"),
        lambda v: parse_date(v).isoformat(),
        "PersonBirthDate",
    )
    take(
        "expected_date_of_birth",
        _text(ids, "ExpectedPersonBirthDate"),
        lambda v: parse_date(v).isoformat(),
        "ExpectedPersonBirthDate",
    )
    take(
        "date_of_death",
        _text(ids, "PersonDeathDate"),
        lambda v: parse_date(v).isoformat(),
        "PersonDeathDate",
    )
    if "date_of_birth" in person:
        person.pop("expected_date_of_birth", None)
    expected = person.get("expected_date_of_birth")
    if expected and expected < now.date().replace(year=now.year - 1).isoformat():
        # History: a birth expected long ago (the child's date of birth was never sent).
        # The person record only holds expected dates for children not yet born.
        person.pop("expected_date_of_birth")
        notes.append(
            (
                f"{where}/ExpectedPersonBirthDate",
                expected,
                "expected date of birth more than a year ago and no date of birth; not imported",
            )
        )
    take("sex", _text(ids, "Sex") or _text(ids, "GenderCurrent"), sex_code, "Sex")
    take("ethnicity", _text(chars, "Ethnicity"), ethnicity_code, "Ethnicity")
    disabilities = [clean(d.text) for d in _all(chars, "Disability")] if chars is not None else []
    if disabilities:
        person["disabilities"] = list(dict.fromkeys(disabilities))
    details = [d for d in el if _local(d.tag) == "CINdetails"]
    died = "date_of_death" in person
    # A child who has died has no open case and no current plan, whatever else is open.
    person["open_case"] = not died and any(not _text(d, "CINclosureDate") for d in details)
    plans = [p for d in details for p in _all(d, "ChildProtectionPlans")]
    if plans:
        person["cp_plan"] = (
            "current" if not died and any(not _text(p, "CPPendDate") for p in plans) else "past"
        )
    if not details:
        referral_no += 1
        row = ParsedRow(number=referral_no, ref=la_id, raw={"LAchildID": la_id})
        row.errors.append(
            RowError(
                file,
                referral_no,
                f"{where}/CINdetails",
                "",
                "child has no CINdetails (no referral to import)",
            )
        )
        yield row
        return
    child_fields: dict[str, Any] = {
        k: person[k]
        for k in ("date_of_birth", "expected_date_of_birth", "sex", "ethnicity")
        if k in person
    }
    for n, d in enumerate(details, 1):
        referral_no += 1
        row = _referral(
            d,
            referral_no,
            f"{where}/CINdetails[{n}]",
            la_id,
            lea,
            person,
            child_fields,
            problems,
            file,
            now,
        )
        row.warnings.extend(RowError(file, referral_no, c, v, r, warning=True) for c, v, r in notes)
        yield row


def _referral(
    d: ET.Element,
    number: int,
    where: str,
    la_id: str,
    lea: str,
    person: dict[str, Any],
    child: dict[str, Any],
    problems: list[tuple[str, str, str]],
    file: str,
    now: datetime,
) -> ParsedRow:
    raw = {"LAchildID": la_id, **{_local(c.tag): clean(c.text) for c in d if len(c) == 0}}
    row = ParsedRow(
        number=number,
        ref=la_id,
        raw=raw,
        column_of=lambda path: f"{where}/{_COLUMNS.get(path.split('[')[0], path)}",
        lookup=lambda column: raw.get(column.rsplit("/", 1)[-1], ""),
    )
    for column, value, rule in problems:
        row.errors.append(RowError(file, number, column, value, rule))

    def fail(column: str, rule: str) -> None:
        row.errors.append(RowError(file, number, f"{where}/{column}", raw.get(column, ""), rule))

    if not la_id:
        fail("LAchildID", "missing child: no LAchildID")
    referral_day: date | None = None
    try:
        referral_day = (
            parse_date(raw.get("CINreferralDate", "")) if raw.get("CINreferralDate") else None
        )
        if referral_day is None:
            fail("CINreferralDate", "missing referral date")
    except ValueError as err:
        fail("CINreferralDate", f"unreadable date: {err}")
    source = ""
    try:
        source = source_code(raw.get("ReferralSource", ""))
    except ValueError as err:
        fail("ReferralSource", str(err))
    nfa = False
    try:
        nfa = yes_no(raw.get("ReferralNFA", "0") or "0")
    except ValueError as err:
        fail("ReferralNFA", str(err))
    need = raw.get("PrimaryNeedCode", "")
    if need and need not in codes.PRIMARY_NEED:
        row.warnings.append(
            RowError(
                file,
                number,
                f"{where}/PrimaryNeedCode",
                need,
                "unknown primary need code; not imported",
                warning=True,
            )
        )
        need = ""
    factors = []
    for f in _all(d, "AssessmentFactors"):
        code = clean(f.text).upper()
        if code in codes.ASSESSMENT_FACTORS:
            factors.append(code)
        elif code:
            row.warnings.append(
                RowError(
                    file,
                    number,
                    f"{where}/AssessmentFactors",
                    code,
                    "unknown assessment factor; not imported",
                    warning=True,
                )
            )
    if not row.ok or referral_day is None:
        return row
    if referral_day > now.date():
        row.warnings.append(
            RowError(
                file,
                number,
                f"{where}/CINreferralDate",
                referral_day.isoformat(),
                "referral date is in the future; imported as given, check the source",
                warning=True,
            )
        )
    death = person.get("date_of_death")
    if death and referral_day.isoformat() > death:
        row.warnings.append(
            RowError(
                file,
                number,
                f"{where}/CINreferralDate",
                referral_day.isoformat(),
                f"referral date is after the "
                f"child's death ({death}); imported as given, check "
                "the source",
                warning=True,
            )
        )
    closure = raw.get("CINclosureDate", "")
    reason = raw.get("ReasonForClosure", "")
    reason_text = (
        f" ({reason} {codes.CLOSURE_REASONS[reason].label})"
        if reason in codes.CLOSURE_REASONS
        else (f" ({reason})" if reason else "")
    )
    outcome = "nfa" if nfa else "cin_assessment"
    cid = stable_id("cin-referral", la_id, referral_day.isoformat())
    analysis = (
        f"Imported history (DfE CIN census, LA {lea or 'not given'}): "
        f"referral {referral_day.isoformat()}, ReferralNFA {'yes' if nfa else 'no'}"
        + (f", primary need {need}" if need else "")
        + (f", closed {closure}{reason_text}" if closure else ", open at census")
        + "."
    )
    row.drafts = [
        history.person_draft(la_id, person, now),
        *history.contact_drafts(
            contact_id=cid,
            la_child_id=la_id,
            received=start_of(referral_day),
            source=source,
            child=child,
            now=now,
            outcome=outcome,
            external_ref=f"cin:{lea}:{la_id}"[:100],
            concern="Referral imported from the DfE CIN census return (history).",
            analysis=analysis,
            primary_need=need or None,
            categories=list(dict.fromkeys(factors)),
        ),
    ]
    row.summary = f"referral {referral_day.isoformat()}, source {source}, {outcome}"
    return row


# payload field -> the XML element it came from (for error columns)
_COLUMNS = {
    "date_of_birth": "PersonBirthDate",
    "expected_date_of_birth": "ExpectedPersonBirthDate",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "disabilities": "Disability",
    "received_at": "CINreferralDate",
    "source_code": "ReferralSource",
    "children": "LAchildID",
    "categories": "AssessmentFactors",
    "primary_need": "PrimaryNeedCode",
    "date_of_death": "PersonDeathDate",
    "la_child_id": "LAchildID",
}
