"""The DfE children in need (CIN) census return of what the front door holds, as XML in
the DfE schema (``Message/Header/Children/Child``, no namespace), checked in the tests by
DfE's own validation rules as packaged by ``csc-validator-be-cin``.

What goes in, for a collection year (1 April to 31 March, ``ReferenceDate`` = 31 March):

* one ``Child`` per child with a referral episode open at some time in the year, with
  ``ChildIdentifiers`` (``LAchildID``: the authority's id, else a stable 18-character id
  derived from DutyDesk's person id; date of birth or expected date of birth; ``Sex``
  M/F/U; date of death) and ``ChildCharacteristics`` (ethnicity, disabilities);
* one ``CINdetails`` per referral (``domain.referrals``: one per child per day, dated when
  received), with its source, ``ReferralNFA``, primary need (N0 "not stated" when the
  decision gave none), ``Assessments`` (start, authorisation, the factors recorded on the
  contact, only once authorised) and ``Section47`` (start, ICPC target 15 working days
  after it on the office clock).

What the front door cannot know is never invented, and the rules it would break decide
what is left out (written up in docs/mi-definitions.md):

* an NFA referral is closed on its referral date with ``RC8`` (the census guide's
  convention for "no further action");
* closures of other referrals are not recorded at the front door. A child's referral is
  taken as closed the day before the child's next referral (a referral "should not be
  recorded if a case is already open", DfE), ``RC7``; its latest referral stays open;
* modules the rules would reject because their facts lie outside what the front door saw
  are left out and counted in ``CensusReport.left_out``: an assessment not completed in a
  closed episode (or one authorised after it closed), or started before the year and
  still open; an s47 enquiry in a closed
  episode, or started before the year (no conference is recorded here).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO
from xml.sax.saxutils import escape

from ..domain import referrals as dfe
from ..domain.codes import ASSESSMENT_FACTORS, DISABILITY, ETHNICITY, PRIMARY_NEED
from ..domain.timescales import OfficeHours
from .annex_a import _Children
from .dataset import Dataset, Referral
from .records import MiInput
from .section47 import section_47_enquiries

ICPC_WORKING_DAYS = 15  # Working Together 2023: ICPC within 15 WD of the strategy discussion
_SEX = {"a": "M", "b": "F", "c": "U", "d": "U"}


@dataclass(frozen=True, slots=True)
class ContactExtras:
    """Facts of a referral's contact the MI load does not carry."""

    categories: tuple[str, ...] = ()
    primary_need: str | None = None


@dataclass
class CensusReport:
    children: int = 0
    episodes: int = 0
    assessments: int = 0
    section47: int = 0
    left_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def collection_year(year_ending: int) -> tuple[date, date]:
    """The census year ending on 31 March ``year_ending``."""
    return date(year_ending - 1, 4, 1), date(year_ending, 3, 31)


def census_child_id(la_child_id: str | None, child: str) -> str:
    """The authority's id when known, else a stable alphanumeric id (rules 1570/1580:
    at most 20 characters, letters and digits) derived from DutyDesk's child key."""
    if la_child_id:
        return la_child_id
    return "DD" + hashlib.sha256(child.encode()).hexdigest()[:16].upper()


@dataclass(frozen=True, slots=True)
class _Episode:
    referral: Referral
    closed: date | None
    reason: str | None
    nfa: bool


def _episodes(referrals: Sequence[Referral], start: date, end: date) -> list[_Episode]:
    """A child's referrals as CIN episodes open at some time in the year."""
    out = []
    ordered = sorted(referrals, key=lambda r: r.day)
    for i, r in enumerate(ordered):
        if r.day > end:
            break
        if r.nfa:
            closed, reason = r.day, "RC8"
        elif i + 1 < len(ordered):
            closed, reason = ordered[i + 1].day - timedelta(days=1), "RC7"
            closed = max(closed, r.day)
        else:
            closed, reason = None, None
        if closed is not None and closed < start:
            continue
        if closed is not None and closed > end:
            closed, reason = None, None  # closed after the year: open at its end
        out.append(_Episode(r, closed, reason, r.nfa))
    return out


def _el(name: str, value: object, indent: str) -> str:
    if value is None or value == "":
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return f"{indent}<{name}>{escape(text)}</{name}>\n"


# What the return reads of ``MiInput`` beyond the contacts, children, decisions and people
# (``records.OPTIONAL_READS``; ``annex_a.LIST_READS`` for the lists): the referrals'
# completed assessments and the s47 enquiries. Tested: the return written from a load of
# only these equals the one written from a full load (tests/integration/test_mi_period_load).
CENSUS_READS: frozenset[str] = frozenset({"assessments", "s47_records", "s47_discussed"})


def write_census(
    out: IO[str],
    data: MiInput,
    ds: Dataset,
    year_ending: int,
    *,
    lea: str,
    extras: Mapping[str, ContactExtras],
    now: datetime,
    office: OfficeHours | None = None,
    release: str = "DutyDesk",
) -> CensusReport:
    """Write the return for the year ending 31 March ``year_ending`` to ``out``."""
    office = office or ds.office
    start, end = collection_year(year_ending)
    report = CensusReport()
    kids = _Children(data)
    made = {c.contact_id: c.made_day for c in ds.contacts}
    outcome = {c.contact_id: c.outcome for c in ds.contacts}
    s47 = {(e.contact_id, e.child): e for e in section_47_enquiries(ds)}
    by_child: dict[str, list[Referral]] = defaultdict(list)
    for r in ds.referrals:
        by_child[r.child].append(r)
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n'
        "    <CollectionDetails>\n      <Collection>CIN</Collection>\n"
        f"      <Year>{year_ending}</Year>\n"
        f"      <ReferenceDate>{end.isoformat()}</ReferenceDate>\n"
        "    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n"
        f"      <LEA>{escape(lea)}</LEA>\n      <SoftwareCode>DutyDesk</SoftwareCode>\n"
        f"      <Release>{escape(release)}</Release>\n      <SerialNo>001</SerialNo>\n"
        f"      <DateTime>{now.replace(microsecond=0, tzinfo=None).isoformat()}"
        "</DateTime>\n    </Source>\n  </Header>\n  <Children>\n"
    )
    for child in sorted(by_child):
        episodes = _episodes(by_child[child], start, end)
        if not episodes:
            continue
        first = episodes[0].referral
        slot = kids.slot_of(first.contact_id, child)
        person = kids.people.get(slot.person_id or "") or slot
        report.children += 1
        out.write(
            "".join(
                _child_xml(
                    child,
                    slot,
                    person,
                    episodes,
                    made,
                    outcome,
                    s47,
                    extras,
                    office,
                    start,
                    end,
                    report,
                )
            )
        )
    out.write("  </Children>\n</Message>\n")
    return report


def _child_xml(
    child: str,
    slot: object,
    person: object,
    episodes: list[_Episode],
    made: Mapping[str, date | None],
    outcome: Mapping[str, str | None],
    s47: Mapping[tuple[str, str], object],
    extras: Mapping[str, ContactExtras],
    office: OfficeHours,
    start: date,
    end: date,
    report: CensusReport,
) -> Iterator[str]:
    dob = getattr(person, "date_of_birth", None)
    expected = None if dob else getattr(person, "expected_date_of_birth", None)
    sex = "U" if not dob else _SEX.get(getattr(person, "sex", None) or "c", "U")
    ethnicity = getattr(person, "ethnicity", None)
    if ethnicity not in ETHNICITY:
        ethnicity = "NOBT"
    disabilities = [
        d for d in dict.fromkeys(getattr(person, "disabilities", ()) or ()) if d in DISABILITY
    ]
    if len(disabilities) > 1 and "NONE" in disabilities:
        disabilities.remove("NONE")  # rule 8790: NONE never beside a disability
    all_nfa = all(e.nfa for e in episodes)
    if not disabilities and dob and not all_nfa:
        # Rule 8540 needs a code for a born child with a referral taken further; the front
        # door records disabilities only when told. NONE is written and counted.
        disabilities = ["NONE"]
        report.left_out["disability not recorded: NONE written"] += 1
    i = "      "
    yield "    <Child>\n      <ChildIdentifiers>\n"
    yield _el("LAchildID", census_child_id(getattr(person, "la_child_id", None), child), i + "  ")
    if all_nfa:
        yield _el("UPNunknown", "UN7", i + "  ")  # referral with no further action
    yield _el("PersonBirthDate", dob, i + "  ")
    yield _el("ExpectedPersonBirthDate", expected, i + "  ")
    yield _el("Sex", sex, i + "  ")
    yield _el("PersonDeathDate", getattr(person, "date_of_death", None), i + "  ")
    yield f"{i}</ChildIdentifiers>\n{i}<ChildCharacteristics>\n"
    yield _el("Ethnicity", ethnicity, i + "  ")
    if disabilities:
        yield f"{i}  <Disabilities>\n"
        for d in disabilities:
            yield _el("Disability", d, i + "    ")
        yield f"{i}  </Disabilities>\n"
    yield f"{i}</ChildCharacteristics>\n"
    for e in episodes:
        report.episodes += 1
        yield from _episode_xml(e, child, made, outcome, s47, extras, office, start, end, report)
    yield "    </Child>\n"


def _episode_xml(
    e: _Episode,
    child: str,
    made: Mapping[str, date | None],
    outcome: Mapping[str, str | None],
    s47: Mapping[tuple[str, str], object],
    extras: Mapping[str, ContactExtras],
    office: OfficeHours,
    start: date,
    end: date,
    report: CensusReport,
) -> Iterator[str]:
    r = e.referral
    i = "        "
    more = extras.get(r.contact_id, ContactExtras())
    yield "      <CINdetails>\n"
    yield _el("CINreferralDate", r.day, i)
    yield _el("ReferralSource", r.source, i)
    if not e.nfa:
        need = more.primary_need if more.primary_need in PRIMARY_NEED else "N0"
        yield _el("PrimaryNeedCode", need, i)
    yield _el("CINclosureDate", e.closed, i)
    yield _el("ReasonForClosure", e.reason, i)
    if not e.nfa and dfe.starts_assessment(outcome.get(r.contact_id)):
        begun = dfe.assessment_start(r.day, made.get(r.contact_id))
        done = r.assessment_completed
        if done is not None and done > end:
            done = None  # authorised after the year: open at its end
        if e.closed is not None:  # no activity after the episode closed (rule 8565)
            keep = done is not None and start <= done <= e.closed and begun <= e.closed
        else:
            keep = (done is not None and done >= start) or (done is None and begun >= start)
        if keep and begun <= end:
            report.assessments += 1
            yield f"{i}<Assessments>\n"
            yield _el("AssessmentActualStartDate", begun, i + "  ")
            yield _el("AssessmentAuthorisationDate", done, i + "  ")
            factors = [f for f in dict.fromkeys(more.categories) if f in ASSESSMENT_FACTORS]
            if "21" in factors and len(factors) > 1:
                factors.remove("21")  # rule 8869: 21 stands alone
            if done is not None and factors:
                yield f"{i}  <FactorsIdentifiedAtAssessment>\n"
                for f in factors:
                    yield _el("AssessmentFactors", f, i + "    ")
                yield f"{i}  </FactorsIdentifiedAtAssessment>\n"
            yield f"{i}</Assessments>\n"
        else:
            report.left_out["assessment outside what the front door saw"] += 1
    enquiry = s47.get((r.contact_id, child)) if not e.nfa else None
    if enquiry is not None:
        begun = enquiry.start  # type: ignore[attr-defined]
        if e.closed is None and start <= begun <= end:
            report.section47 += 1
            yield f"{i}<Section47>\n"
            # the enquiry's own start where the strategy-discussion record gives it (issue
            # 21); the ICPC target counts from the discussion that initiated it (WT 2023)
            actual = enquiry.s47_started or begun  # type: ignore[attr-defined]
            yield _el("S47ActualStartDate", actual, i + "  ")
            yield _el(
                "InitialCPCtarget", office.nth_working_day(begun, ICPC_WORKING_DAYS), i + "  "
            )
            held = enquiry.icpc_date  # type: ignore[attr-defined]
            if held is not None and held >= actual:
                yield _el("DateOfInitialCPC", held, i + "  ")
                yield _el("ICPCnotRequired", "false", i + "  ")
            elif enquiry.icpc_not_required:  # type: ignore[attr-defined]
                yield _el("ICPCnotRequired", "true", i + "  ")
            yield f"{i}</Section47>\n"
        else:
            report.left_out["s47 enquiry without a recorded conference"] += 1
    yield _el("ReferralNFA", "true" if e.nfa else "false", i)
    yield "      </CINdetails>\n"
