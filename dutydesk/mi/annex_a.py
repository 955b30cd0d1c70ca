"""Ofsted Annex A Lists 1 to 5 (contacts, early help, referrals, assessments, section 47)
as XLSX and CSV, for a chosen period, from the front door's records.

Headings are exactly those of the Annex A workbook (a copy in ``tests/data/samples/Annex_A.xlsx``):
one sheet per list named "List 1" ... "List 5", headings in row 1, one record per row from
row 2. Coded values keep Ofsted's ordering prefixes: gender "b) Female", ethnicity
"a) WBRI", source "q) 6: Police" (prefix, DfE code, and the category's head word(s) as the
sample writes them, e.g. "j) 3D: Health services"), yes/no answers "a) Yes" / "b) No" /
"c) Unknown" as the guidance lists them. Age is whole years at the last birthday on the
list's date (-1 for a child not yet born), as in the guidance. What the front door does not
know (an early help assessment's completion, whether the child was seen, a conference) is
left blank, never guessed.
Dates are real dates shown DD/MM/YYYY. Files are written to a temporary name and moved
into place, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ..domain import referrals as dfe
from ..domain.cells import SafeCsvWriter, neutral
from ..domain.codes import ETHNICITY, REFERRAL_SOURCES, SEX, Outcome
from ..domain.people import age_in_years
from ..domain.referrals import london_date
from ..domain.route_codes import RouteKind, RouteStep
from ..fileops import replace_file
from .dataset import NONE, Dataset, child_key
from .figures import in_period, matches, referrals_in_period
from .records import ChildLike, ContactChild, Filters, MiInput, PersonLike
from .section47 import Section47, in_last_12_months, section_47_enquiries
from .xlsx_rows import write_sheet

COMMON = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age")
LIST1_HEADINGS = COMMON + ("Date of Contact", "Contact Source")
LIST3_HEADINGS = COMMON + (
    "Date of Referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    "Allocated Team",
    "Allocated Worker",
)
LIST2_HEADINGS = COMMON + (
    "Assessment start date",
    "Assessment completion date",
    "Organisation completing assessment",
)
LIST4_HEADINGS = COMMON + (
    "Does the Child have a Disability",
    "Continuous Assessment Start Date",
    "Child Seen During Continuous Assessment",
    "Continuous Assessment Date of Authorisation",
    "Was the child assessed as requiring LA children's social care support?",
    "Allocated Team",
    "Allocated Worker",
)
LIST5_HEADINGS = COMMON + (
    "Does the Child have a Disability",
    "Strategy discussion initiating Section 47 Enquiry Start Date",
    "Was an Initial Child Protection Conference deemed unnecessary?",
    "Date of Initial Child Protection Conference",
    "Did the Initial Child Protection Conference Result in a Child Protection Plan",
    "Number of Section 47 Enquiries in the last 12 months",
    "Number of ICPCs in the last 12 months",
    "Allocated Team",
    "Allocated Worker",
)
HEADINGS = {
    1: LIST1_HEADINGS,
    2: LIST2_HEADINGS,
    3: LIST3_HEADINGS,
    4: LIST4_HEADINGS,
    5: LIST5_HEADINGS,
}
SHEET_NAMES = {n: f"List {n}" for n in HEADINGS}
FORMATS = ("xlsx", "csv")


def file_name(list_no: int, filters: Filters, fmt: str) -> str:
    """The name a list gets when several are written into one folder (the dashboard's
    Export Annex A…, ``dutydesk export annex-a --list all``):
    ``annex-a-list-N-FROM-to-TO.FMT``."""
    return (
        f"annex-a-list-{list_no}-{filters.date_from:%Y-%m-%d}-to-{filters.date_to:%Y-%m-%d}.{fmt}"
    )


Row = tuple[Any, ...]
_T = TypeVar("_T")


class ExportError(Exception):
    """An export cannot be written; the message says what and where."""


def gender(code: str | None) -> str:
    found = SEX.get(code or "c") or SEX["c"]
    return f"{found.annex_prefix} {found.label}"


def ethnicity(code: str | None) -> str:
    found = ETHNICITY.get(code or "NOBT") or ETHNICITY["NOBT"]
    return f"{found.annex_prefix} {found.code}"


def yes_no(value: bool | None) -> str:
    """Annex A's coded answer: "a) Yes", "b) No", or blank when not known."""
    if value is None:
        return ""
    return "a) Yes" if value else "b) No"


def disability(codes: tuple[str, ...] | None) -> str:
    """ "Does the Child have a Disability": a) Yes / b) No / c) Unknown (none recorded)."""
    listed = [c for c in (codes or ()) if c]
    if not listed:
        return "c) Unknown"
    return "b) No" if listed == ["NONE"] else "a) Yes"


def source(code: str) -> str:
    found = REFERRAL_SOURCES.get(code)
    if found is None:
        return code
    head = found.label.split(" – ")[0]  # "Health services – GP" -> "Health services"
    return f"{found.annex_prefix} {found.code}: {head}"


def child_unique_id(child: ChildLike, person: PersonLike | ChildLike) -> str:
    """Annex A "Child Unique ID": the authority's own id for the child (census LAchildID,
    case-management id) when known, else DutyDesk's person id (or contact/slot)."""
    la_id = getattr(person, "la_child_id", None)
    return la_id or child_key(child.contact_id, child.slot, child.person_id)


class _Children:
    """Demographics of each child: the person record when linked, else the contact's slot."""

    def __init__(self, data: MiInput) -> None:
        self.people = data.people
        self.slots: dict[str, list[ChildLike]] = {}
        for ch in sorted(data.children, key=lambda c: (c.contact_id, c.slot)):
            self.slots.setdefault(ch.contact_id, []).append(ch)

    def of(self, contact_id: str) -> list[ChildLike]:
        return self.slots.get(contact_id, [])

    def slot_of(self, contact_id: str, child: str) -> ChildLike:
        return next(
            ch
            for ch in self.of(contact_id)
            if child_key(ch.contact_id, ch.slot, ch.person_id) == child
        )

    def disabilities(self, child: ChildLike) -> tuple[str, ...] | None:
        person = self.people.get(child.person_id or "")
        return tuple(getattr(person, "disabilities", ()) or ()) if person else None

    def common(self, child: ChildLike, on: date) -> Row:
        """Child Unique ID, Gender, Ethnicity, Date of Birth, Age (at ``on``; unborn -1)."""
        person = self.people.get(child.person_id) if child.person_id else None
        return common_cells(child, person, on)


def common_cells(child: ChildLike, person: PersonLike | None, on: date) -> Row:
    """Child Unique ID, Gender, Ethnicity, Date of Birth, Age (at ``on``; unborn -1): from
    the linked person's record when there is one, else the contact's slot."""
    who: PersonLike | ChildLike = person if person is not None else child
    dob = date.fromisoformat(who.date_of_birth) if who.date_of_birth else None
    expected = (
        date.fromisoformat(who.expected_date_of_birth) if who.expected_date_of_birth else None
    )
    age: int | None
    if dob is not None and dob <= on:
        age = age_in_years(dob, on)
    elif dob is not None or expected is not None:
        age = -1  # unborn on that date; Annex A gives the expected date of birth
    else:
        age = None
    return (
        child_unique_id(child, who),
        gender(who.sex),
        ethnicity(who.ethnicity),
        dob or expected,
        age,
    )


def list1_rows(data: MiInput, ds: Dataset, filters: Filters) -> Iterator[Row]:
    """One row per child per contact received in the period, oldest first."""
    kids = _Children(data)
    for c in in_period(ds, filters):
        for child in kids.of(c.contact_id):
            yield kids.common(child, c.day) + (c.day, source(c.source))


def list1_from(children: Iterable[ContactChild], filters: Filters) -> Iterator[Row]:
    """``list1_rows`` from each contact's children as read (``MiQueries.contact_children``),
    not from a prepared dataset: the same contacts (received in the period, matching the
    filters as ``prepare`` and ``in_period`` see them), the same order and cells."""
    listed: list[tuple[datetime, str, int, date, ContactChild]] = []
    for c in children:
        if not c.received_at:  # a placeholder row whose contact.received has not arrived
            continue
        received = datetime.fromisoformat(c.received_at)
        day = london_date(received)
        where = _Where(c.office or NONE, c.team or NONE, c.source_code)
        if filters.date_from <= day <= filters.date_to and matches(where, filters):
            listed.append((received, c.contact_id, c.child.slot, day, c))
    listed.sort(key=lambda x: x[:3])
    for _, _, _, day, c in listed:
        yield common_cells(c.child, c.person, day) + (day, source(c.source_code))


class _Where(NamedTuple):
    office: str
    team: str
    source: str


def list3_rows(data: MiInput, ds: Dataset, filters: Filters, months: int = 12) -> Iterator[Row]:
    """One row per referral of a child in the period (same-day referrals are one)."""
    kids = _Children(data)
    for r in referrals_in_period(ds, filters):
        slot = kids.slot_of(r.contact_id, r.child)
        latest = ds.history.latest(r.child, filters.date_to) or r.day
        before = ds.history.before(r.child, latest, months)
        yield kids.common(slot, r.day) + (
            r.day,
            source(r.source),
            yes_no(r.nfa),
            before,
            r.allocated_team or r.team,
            r.allocated_worker or r.assignee or "",
        )


def list2_rows(data: MiInput, ds: Dataset, filters: Filters) -> Iterator[Row]:
    """Early help: one row per child per contact the front door stepped down to early help,
    decided in the period; the assessment starts on the decision day. Then (issue 21) each
    child given an early help route beside another main outcome (a sibling stepped down
    while the other child goes to s47), from the day the route was opened, unless early
    help returned it. The organisation is the early help team once it has accepted the
    request; the completion date is early help's record, not the front door's: blank."""
    kids = _Children(data)
    routes = {
        (r.contact_id, r.slot): r
        for r in ds.routes
        if r.kind == RouteKind.EARLY_HELP and r.slot is not None
    }

    def organisation(contact_id: str, slot: int) -> str:
        r = routes.get((contact_id, slot))
        return (r.team or "") if r is not None and r.answer == RouteStep.ACCEPTED else ""

    listed: set[tuple[str, int]] = set()
    for c in ds.contacts:
        if c.outcome != Outcome.EARLY_HELP.value or c.made_day is None:
            continue
        if not (filters.date_from <= c.made_day <= filters.date_to and matches(c, filters)):
            continue
        for child in kids.of(c.contact_id):
            listed.add((c.contact_id, child.slot))
            yield kids.common(child, c.made_day) + (
                c.made_day,
                None,
                organisation(c.contact_id, child.slot),
            )
    facts = ds.route_contacts
    for (contact_id, slot), r in sorted(routes.items(), key=lambda kv: kv[1].opened_at):
        fact = facts.get(contact_id)
        start = london_date(r.opened_at)
        if (
            fact is None
            or (contact_id, slot) in listed
            or r.answer == RouteStep.RETURNED
            or not (filters.date_from <= start <= filters.date_to and matches(fact, filters))
        ):
            continue
        kid = next((k for k in kids.of(contact_id) if k.slot == slot), None)
        if kid is not None:
            yield kids.common(kid, start) + (start, None, organisation(contact_id, slot))


def list4_rows(data: MiInput, ds: Dataset, filters: Filters) -> Iterator[Row]:
    """Assessments: one row per child referral whose decision started a statutory
    assessment (s17 or s47) and that was open at some time in the period: started on or
    before its end and not authorised before its start (open ones included)."""
    kids = _Children(data)
    made = {c.contact_id: c.made_day for c in ds.contacts}
    outcome = {c.contact_id: c.outcome for c in ds.contacts}
    for r in ds.referrals:
        if not dfe.starts_assessment(outcome.get(r.contact_id)) or not matches(r, filters):
            continue
        start = dfe.assessment_start(r.day, made.get(r.contact_id))
        done = r.assessment_completed
        if start > filters.date_to or (done is not None and done < filters.date_from):
            continue
        slot = kids.slot_of(r.contact_id, r.child)
        yield kids.common(slot, start) + (
            disability(kids.disabilities(slot)),
            start,
            "",
            done,
            "",
            r.allocated_team or r.team,
            r.allocated_worker or r.assignee or "",
        )


def list5_rows(
    data: MiInput, ds: Dataset, filters: Filters, enquiries: list[Section47] | None = None
) -> Iterator[Row]:
    """Section 47: one row per s47 enquiry of a child that started in the period
    (``section47.section_47_enquiries``: the one source of s47 facts)."""
    kids = _Children(data)
    enquiries = section_47_enquiries(ds) if enquiries is None else enquiries
    # Each child's enquiries once: the per-child counts scanned every enquiry for every
    # row, which took 525 s for List 5 at 1M events (tests/bench/bench_mi.py).
    by_child: dict[str, list[Section47]] = {}
    for x in enquiries:
        by_child.setdefault(x.child, []).append(x)
    counts: dict[str, tuple[int, int, bool]] = {}
    for e in enquiries:
        if not filters.date_from <= e.start <= filters.date_to or not matches(e, filters):
            continue
        slot = kids.slot_of(e.contact_id, e.child)
        if e.child not in counts:
            own = by_child[e.child]
            counts[e.child] = (
                *in_last_12_months(own, e.child, filters.date_to),
                any(x.icpc_date or x.icpc_not_required is not None for x in own),
            )
        s47, icpcs, known = counts[e.child]
        yield kids.common(slot, e.start) + (
            disability(kids.disabilities(slot)),
            e.start,
            yes_no(e.icpc_not_required),
            e.icpc_date,
            yes_no(e.resulted_in_plan),
            s47,
            icpcs if known else "",
            e.team,
            e.assignee or "",
        )


# What each list reads of ``MiInput`` beyond the contacts, children, decisions and people
# (``records.OPTIONAL_READS``): a list's export loads only these (the folds of every route
# and the follow-through records are most of a full load). List 1 reads its contacts'
# children alone (``list1_from``). Tested: each list's rows from a load of only these
# equal its rows from a full load (tests/integration/test_mi_period_load.py).
LIST_READS: dict[int, frozenset[str]] = {
    1: frozenset(),
    2: frozenset({"routes", "route_contacts"}),
    3: frozenset({"allocations"}),
    4: frozenset({"allocations", "assessments"}),
    5: frozenset({"s47_records", "s47_discussed"}),
}


def reads_of(lists: Iterable[int]) -> frozenset[str]:
    """What a load for ``lists`` reads (``LIST_READS``); a list not exported is refused."""
    out: frozenset[str] = frozenset()
    for n in lists:
        if n not in LIST_READS:
            raise ExportError(f"Annex A list {n} is not exported (lists 1 to 5 are)")
        out |= LIST_READS[n]
    return out


def rows_for(list_no: int, data: MiInput, ds: Dataset, filters: Filters) -> list[Row]:
    lists: dict[int, Callable[[MiInput, Dataset, Filters], Iterator[Row]]] = {
        1: list1_rows,
        2: list2_rows,
        3: list3_rows,
        4: list4_rows,
        5: list5_rows,
    }
    if list_no not in lists:
        raise ExportError(f"Annex A list {list_no} is not exported (lists 1 to 5 are)")
    return list(lists[list_no](data, ds, filters))


def with_worker_names(list_no: int, rows: list[Row], names: Mapping[str, str]) -> list[Row]:
    """The list's "Allocated Worker" cells as people's names from the directory."""
    headings = HEADINGS.get(list_no, ())
    if "Allocated Worker" not in headings or not names:
        return rows
    at = headings.index("Allocated Worker")
    return [
        row[:at] + (names.get(str(row[at]), row[at]) or row[at],) + row[at + 1 :] for row in rows
    ]


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".annex-a-", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        replace_file(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_result(path: Path, write: Callable[[Path], _T]) -> _T:
    """Like ``_atomic`` for a writer that returns something (a report)."""
    result: list[_T] = []
    _atomic(path, lambda tmp: result.append(write(tmp)))
    return result[0]


def write_xlsx(path: Path, list_no: int, rows: Iterable[Row]) -> int:
    """Write the rows as they come (``xlsx_rows``: no list of them, no cell objects);
    returns how many. Text is neutralised against formula injection (``domain.cells``)
    and always stored as text; dates show DD/MM/YYYY."""

    def write(tmp: Path) -> int:
        return write_sheet(
            tmp,
            SHEET_NAMES[list_no],
            HEADINGS[list_no],
            (tuple(neutral(v) for v in row) for row in rows),
        )

    return atomic_result(path, write)


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def write_csv(path: Path, list_no: int, rows: Iterable[Row]) -> int:
    """Write the rows as they come; returns how many."""

    def write(tmp: Path) -> int:
        count = 0
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            out = SafeCsvWriter(fh)
            out.writerow(HEADINGS[list_no])
            for row in rows:
                out.writerow([csv_value(v) for v in row])
                count += 1
        return count

    return atomic_result(path, write)


def export(
    path: Path,
    list_no: int,
    fmt: str,
    data: MiInput,
    ds: Dataset,
    filters: Filters,
    names: Mapping[str, str] | None = None,
) -> int:
    """Write one list; returns the number of rows. ``names`` (login -> display name, the
    people directory): the "Allocated Worker" column names the person, not their login
    (the login when the directory does not list them)."""
    check_format(fmt)
    rows = with_worker_names(list_no, rows_for(list_no, data, ds, filters), names or {})
    return write_rows(path, list_no, fmt, rows)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not supported (xlsx or csv)")


def write_rows(path: Path, list_no: int, fmt: str, rows: Iterable[Row]) -> int:
    """Write one list's rows (streamed) in ``fmt``; returns the number of rows."""
    check_format(fmt)
    return (write_xlsx if fmt == "xlsx" else write_csv)(path, list_no, rows)
