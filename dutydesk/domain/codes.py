"""Reference code lists: DfE CIN census and Ofsted Annex A codes, and DutyDesk's own vocabularies.

Every code the application stores comes from one of these tables, so that an import, an
export and the window all agree. Labels follow DfE/Ofsted wording (shared/domain.md §3, §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Code:
    """One coded value with its label and, where Ofsted uses one, its Annex A prefix."""

    code: str
    label: str
    annex_prefix: str = ""

    @property
    def annex_a(self) -> str:
        """The value as Annex A writes it, e.g. ``q) 6: Police``."""
        return f"{self.annex_prefix} {self.code}: {self.label}" if self.annex_prefix else self.label


def _table(rows: list[Code]) -> Mapping[str, Code]:
    return MappingProxyType({row.code: row for row in rows})


# CIN census ReferralSource (N00152); also Annex A contact/referral source.
REFERRAL_SOURCES: Mapping[str, Code] = _table(
    [
        Code("1A", "Individual – family member, relative or carer", "a)"),
        Code("1B", "Individual – acquaintance (incl. neighbours, child minders)", "b)"),
        Code("1C", "Individual – self", "c)"),
        Code("1D", "Individual – other (incl. strangers, MPs)", "d)"),
        Code("2A", "Schools", "e)"),
        Code("2B", "Education services", "f)"),
        Code("3A", "Health services – GP", "g)"),
        Code("3B", "Health services – health visitor", "h)"),
        Code("3C", "Health services – school nurse", "i)"),
        Code("3D", "Health services – other primary health services", "j)"),
        Code("3E", "Health services – A&E", "k)"),
        Code("3F", "Health services – other (e.g. hospice)", "l)"),
        Code("4", "Housing – LA housing or housing association", "m)"),
        Code("5A", "LA services – social care (e.g. adult social care)", "n)"),
        Code("5B", "LA services – other internal services, not social care or early help", "o)"),
        Code("5C", "LA services – external, from another LA's services", "p)"),
        Code("5D", "LA services – early help", "p1)"),
        Code("6", "Police", "q)"),
        Code("7", "Other legal agency – courts, probation, immigration, Cafcass, prison", "r)"),
        Code(
            "8", "Other – children's centres, independent providers, voluntary organisations", "s)"
        ),
        Code("9", "Anonymous", "t)"),
        Code("10", "Unknown", "u)"),
    ]
)

# Short names for the queue's source column (the full label is in the tooltip).
SOURCE_SHORT: Mapping[str, str] = MappingProxyType(
    {
        "1A": "Family",
        "1B": "Acquaintance",
        "1C": "Self",
        "1D": "Individual",
        "2A": "School",
        "2B": "Education",
        "3A": "GP",
        "3B": "Health visitor",
        "3C": "School nurse",
        "3D": "Primary health",
        "3E": "A&E",
        "3F": "Health",
        "4": "Housing",
        "5A": "Social care",
        "5B": "LA internal",
        "5C": "Other LA",
        "5D": "Early help",
        "6": "Police",
        "7": "Legal agency",
        "8": "Voluntary",
        "9": "Anonymous",
        "10": "Unknown",
    }
)

# CIN census AssessmentFactors (N00181): the concern categories a contact is tagged with.
ASSESSMENT_FACTORS: Mapping[str, Code] = _table(
    [
        Code("1A", "Alcohol misuse – child"),
        Code("1B", "Alcohol misuse – parent(s)/carer(s)"),
        Code("1C", "Alcohol misuse – other person in household"),
        Code("2A", "Drug misuse – child"),
        Code("2B", "Drug misuse – parent(s)/carer(s)"),
        Code("2C", "Drug misuse – other person in household"),
        Code("3A", "Domestic abuse – child is subject"),
        Code("3B", "Domestic abuse – parent/carer is subject"),
        Code("3C", "Domestic abuse – other household member is subject"),
        Code("4A", "Mental health – child"),
        Code("4B", "Mental health – parent(s)/carer(s)"),
        Code("4C", "Mental health – other person in family/household"),
        Code("5A", "Learning disability – child"),
        Code("5B", "Learning disability – parent(s)/carer(s)"),
        Code("5C", "Learning disability – other person in family/household"),
        Code("6A", "Physical disability or illness – child"),
        Code("6B", "Physical disability or illness – parent(s)/carer(s)"),
        Code("6C", "Physical disability or illness – other person in family/household"),
        Code("7A", "Young carer"),
        Code("8B", "Privately fostered – overseas child intending to return"),
        Code("8C", "Privately fostered – overseas child intending to stay"),
        Code("8D", "Privately fostered – UK child in educational placement"),
        Code("8E", "Privately fostered – UK child, alternative family arrangement"),
        Code("8F", "Privately fostered – other"),
        Code("9A", "Unaccompanied asylum-seeking child (UASC)"),
        Code("10A", "Going/being missing"),
        Code("11A", "Child sexual exploitation"),
        Code("12A", "Trafficking"),
        Code("13A", "Gangs"),
        Code("14A", "Socially unacceptable behaviour"),
        Code("15A", "Self-harm"),
        Code("16A", "Abuse or neglect – neglect"),
        Code("17A", "Abuse or neglect – emotional abuse"),
        Code("18A", "Physical abuse – legacy, perpetrator unspecified"),
        Code("18B", "Physical abuse – child on child"),
        Code("18C", "Physical abuse – adult on child"),
        Code("19A", "Sexual abuse – legacy, perpetrator unspecified"),
        Code("19B", "Sexual abuse – child on child"),
        Code("19C", "Sexual abuse – adult on child"),
        Code("20", "Other"),
        Code("21", "No factors identified"),
        Code("22A", "Female genital mutilation (FGM)"),
        Code("23A", "Abuse linked to faith or belief"),
        Code("24A", "Child criminal exploitation"),
    ]
)

# Factors DfE marks "do not use" for new records: accepted on import, refused on entry.
LEGACY_FACTORS = frozenset({"18A", "19A"})

PRIMARY_NEED: Mapping[str, Code] = _table(
    [
        Code("N1", "Abuse or neglect"),
        Code("N2", "Child's disability"),
        Code("N3", "Parental disability or illness"),
        Code("N4", "Family in acute stress"),
        Code("N5", "Family dysfunction"),
        Code("N6", "Socially unacceptable behaviour"),
        Code("N7", "Low income"),
        Code("N8", "Absent parenting"),
        Code("N9", "Cases other than children in need"),
        Code("N0", "Not stated"),
    ]
)

CLOSURE_REASONS: Mapping[str, Code] = _table(
    [
        Code("RC1", "Adopted"),
        Code("RC2", "Died"),
        Code("RC3", "Child arrangements order"),
        Code("RC4", "Special guardianship order"),
        Code("RC5", "Transferred to services of another local authority"),
        Code("RC6", "Transferred to adult social care services"),
        Code("RC7", "Services ceased for any other reason, incl. child no longer in need"),
        Code("RC8", "Case closed after assessment, no further action"),
        Code("RC9", "Case closed after assessment, referred to early help"),
    ]
)

# Annex A gender values (common columns). Stored as the letter; unborn is "c".
SEX: Mapping[str, Code] = _table(
    [
        Code("a", "Male", "a)"),
        Code("b", "Female", "b)"),
        Code("c", "Not stated/recorded (or unborn)", "c)"),
        Code("d", "Neither", "d)"),
    ]
)

# CBDS ethnicity codes in Annex A order (prefixes a) to t)).
ETHNICITY: Mapping[str, Code] = _table(
    [
        Code("WBRI", "White British", "a)"),
        Code("WIRI", "White Irish", "b)"),
        Code("WIRT", "Traveller of Irish heritage", "c)"),
        Code("WOTH", "Any other White background", "d)"),
        Code("WROM", "Gypsy/Roma", "e)"),
        Code("MWBC", "White and Black Caribbean", "f)"),
        Code("MWBA", "White and Black African", "g)"),
        Code("MWAS", "White and Asian", "h)"),
        Code("MOTH", "Any other mixed background", "i)"),
        Code("AIND", "Indian", "j)"),
        Code("APKN", "Pakistani", "k)"),
        Code("ABAN", "Bangladeshi", "l)"),
        Code("AOTH", "Any other Asian background", "m)"),
        Code("BCRB", "Caribbean", "n)"),
        Code("BAFR", "African", "o)"),
        Code("BOTH", "Any other Black background", "p)"),
        Code("CHNE", "Chinese", "q)"),
        Code("OOTH", "Any other ethnic group", "r)"),
        Code("REFU", "Refused", "s)"),
        Code("NOBT", "Information not yet obtained", "t)"),
    ]
)

DISABILITY: Mapping[str, Code] = _table(
    [
        Code("AUT", "Autism or Asperger syndrome"),
        Code("BEH", "Behaviour"),
        Code("COMM", "Communication"),
        Code("CON", "Consciousness"),
        Code("DDA", "Disabled under the Equality Act, not in another category"),
        Code("HAND", "Hand function"),
        Code("HEAR", "Hearing"),
        Code("INC", "Incontinence"),
        Code("LD", "Learning"),
        Code("MOB", "Mobility"),
        Code("NONE", "No disability"),
        Code("PC", "Personal care"),
        Code("VIS", "Vision"),
    ]
)


class Rating(StrEnum):
    """Urgency (BRAG). A different axis from the threshold level and the outcome."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        """0 for the most urgent, so that sorting ascending puts Red first."""
        return _RATING_RANK[self]


_RATING_RANK = {Rating.RED: 0, Rating.AMBER: 1, Rating.GREEN: 2, Rating.BLUE: 3}


class Outcome(StrEnum):
    """What the duty manager decides happens next (shared/domain.md §2.2)."""

    NO_FURTHER_ACTION = "nfa"
    INFORMATION_AND_ADVICE = "advice"
    EARLY_HELP = "early_help"
    CIN_ASSESSMENT = "cin_assessment"
    STRATEGY_S47 = "strategy_s47"
    IMMEDIATE_PROTECTION = "immediate_protection"
    OPEN_CASE = "open_case"


OUTCOME_LABELS: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.NO_FURTHER_ACTION: "No further action",
        Outcome.INFORMATION_AND_ADVICE: "Information and advice",
        Outcome.EARLY_HELP: "Early help",
        Outcome.CIN_ASSESSMENT: "Child-in-need assessment (s17)",
        Outcome.STRATEGY_S47: "Strategy discussion / section 47 enquiry",
        Outcome.IMMEDIATE_PROTECTION: "Immediate protection",
        Outcome.OPEN_CASE: "Open case: pass to allocated worker",
    }
)

# Outcomes that make a contact a referral to children's social care (a request for
# services through the statutory assessment process, domain.md glossary and §3.6).
REFERRAL_OUTCOMES = frozenset(
    {
        Outcome.CIN_ASSESSMENT,
        Outcome.STRATEGY_S47,
        Outcome.IMMEDIATE_PROTECTION,
    }
)

# Default labels for the continuum of need; an authority configures its own.
THRESHOLD_LEVELS: Mapping[int, str] = MappingProxyType(
    {
        1: "Universal",
        2: "Early help",
        3: "Targeted / complex needs",
        4: "Children's social care (specialist / protection)",
    }
)


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"
    NOT_REQUIRED = "not_required"
    UNKNOWN = "unknown"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    POLICE_NOTIFICATION = "police_notification"
    IN_PERSON = "in_person"
    LETTER = "letter"
    IMPORT = "import"


class DaRiskLevel(StrEnum):
    """DASH or DARA risk level on a police domestic abuse notification (domain.md §5)."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class Role(StrEnum):
    CONTACT_OFFICER = "contact_officer"
    PRACTITIONER = "practitioner"
    SENIOR_PRACTITIONER = "senior_practitioner"
    DUTY_MANAGER = "duty_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS: Mapping[Role, str] = MappingProxyType(
    {
        Role.CONTACT_OFFICER: "Contact officer",
        Role.PRACTITIONER: "Practitioner",
        Role.SENIOR_PRACTITIONER: "Senior practitioner",
        Role.DUTY_MANAGER: "Duty manager",
        Role.AUDITOR: "Auditor",
        Role.ADMIN: "Administrator",
    }
)


class ContactStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    DECIDED = "decided"
    MERGED = "merged"  # a duplicate, merged into another contact
    ENTERED_IN_ERROR = "entered_in_error"  # recorded by mistake; kept, never counted


# Contacts that stay in the log but count nowhere (queue, history, MI).
VOID_STATUSES = frozenset({ContactStatus.MERGED.value, ContactStatus.ENTERED_IN_ERROR.value})


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    RECORDED = "recorded"
    SIGNED_OFF = "signed_off"
    RETURNED = "returned"  # a proposal a manager sent back to its author with a reason


# A decision that stands has these statuses and is not superseded by an amendment: one
# recorded, or a proposal a manager signed off. A proposal still waiting for sign-off, and
# one returned to its author, do not stand.
STANDING_STATUSES = frozenset({DecisionStatus.RECORDED.value, DecisionStatus.SIGNED_OFF.value})


def source_label(code: str) -> str:
    """Full DfE label for a referral-source code, or the code itself if unknown."""
    found = REFERRAL_SOURCES.get(code)
    return found.label if found else code
