"""The factor catalogue: every fact about a contact that the triage policy can score.

Each fact is defined once here (its name, type, the question the entry form asks, help
text, where it sits in the intake format and which intake routes can supply it) and this
one definition drives the entry form's questions, the intake format's validation and JSON
Schema, the police CSV importer's columns, the policy's validation (a policy may only
score a fact in this catalogue) and the printed case log.

A fact nobody was asked is absent from the contact, never ``False``: "not asked" and "no"
are different answers and are shown differently everywhere (``answer_text``).

Sources for the questions: NICE CG89 (bruising in a child who is not independently mobile;
unsuitable explanations), the Child Safeguarding Practice Review Panel's "Bruising in
non-mobile infants" (2022: mobility, not age, decides), SafeLives Dash risk checklist
(strangulation, weapons, pregnancy, previous incidents), Working Together to Safeguard
Children 2023 (extra-familial harm, parental capacity), the multi-agency statutory
guidance on FGM (2020) and on forced marriage (2023) (imminent travel), DfE statutory
guidance on children who run away or go missing (2014), and published pre-birth protocols.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import ValidationError

YES_NO = "yes_no"
COUNT = "count"
CHOICE = "choice"
CHILD = "child"  # which child on the contact (a slot number)

# Intake routes that can supply a fact.
FORM = "form"  # the entry form
INTAKE_JSON = "intake_json"  # intake JSON / JSON lines files (the contact.received payload)
POLICE_CSV = "police_csv"  # police domestic abuse notification CSV

# Form sections, in the order the form shows them.
GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "danger": "Immediate danger",
        "injury": "Injury",
        "disclosure": "Disclosure",
        "domestic_abuse": "Domestic abuse",
        "child_risk": "The child's own risk",
        "carers": "Parents' and carers' capacity",
        "prebirth": "Unborn baby",
        "honour": "FGM and forced marriage",
    }
)


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    kind: str
    group: str
    path: tuple[str, ...]  # where in the intake payload
    question: str
    help: str
    sources: frozenset[str]
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for CHOICE
    maximum: int = 999  # for COUNT
    csv_aliases: tuple[str, ...] = ()  # police CSV header spellings
    reason: str = ""  # the queue's reason text when it scores

    def label(self, value: Any) -> str:
        for key, text in self.choices:
            if key == value:
                return text
        return str(value)


_ALL = frozenset({FORM, INTAKE_JSON})
_DA = frozenset({FORM, INTAKE_JSON, POLICE_CSV})
LEVEL_CHOICES = (("standard", "standard"), ("medium", "medium"), ("high", "high"))

FACTORS: tuple[Factor, ...] = (
    Factor(
        "immediate_danger",
        YES_NO,
        "danger",
        ("immediate_danger",),
        "Is a child in immediate danger now?",
        "Yes puts the contact at the top of the queue as Red, due at once, day or night.",
        _DA,
        reason="Child reported to be in immediate danger",
    ),
    # --- injury (NICE CG89; Panel 2022) -------------------------------------------------
    Factor(
        "injury_reported",
        YES_NO,
        "injury",
        ("injury_reported",),
        "Is an injury, mark or bruise reported?",
        "Any bruise, mark, burn, bite or fracture seen or described by the referrer.",
        _ALL,
        reason="Injury or bruising reported",
    ),
    Factor(
        "injury_child",
        CHILD,
        "injury",
        ("risk", "injury_child"),
        "Which child is injured?",
        "The child the injury is on.",
        _ALL,
    ),
    Factor(
        "injury_child_mobile",
        CHOICE,
        "injury",
        ("risk", "injury_child_mobile"),
        "Is that child independently mobile (crawling, cruising or bottom shuffling)?",
        "A child who cannot move about on their own is 'not independently mobile' "
        "whatever their age (Panel 2022). Any bruise on such a child is Red.",
        _ALL,
        choices=(("mobile", "mobile"), ("not_mobile", "not independently mobile")),
    ),
    Factor(
        "injury_site",
        CHOICE,
        "injury",
        ("risk", "injury_site"),
        "Where is the injury?",
        "Bruising to the ears, neck, face, hands, buttocks or torso of a young child is of "
        "particular concern (NICE CG89).",
        _ALL,
        choices=(
            ("head_face_neck", "head, face or neck"),
            ("ears", "ears"),
            ("torso", "chest, back or tummy"),
            ("buttocks_genitals", "buttocks or genitals"),
            ("arms_legs", "arms or legs"),
            ("hands_feet", "hands or feet"),
            ("multiple", "several places"),
            ("other", "elsewhere"),
        ),
    ),
    Factor(
        "injury_serious",
        YES_NO,
        "injury",
        ("risk", "injury_serious"),
        "Is it a fracture, head injury, burn or scald, or needing hospital treatment?",
        "Serious injuries in young children are Red (NICE CG89 1.1).",
        _ALL,
        reason="Serious injury (fracture, head injury, burn or scald)",
    ),
    Factor(
        "injury_unexplained",
        YES_NO,
        "injury",
        ("risk", "injury_unexplained"),
        "Is the injury unexplained, or do the accounts differ or not fit?",
        "NICE CG89: an explanation that is implausible, inadequate, or inconsistent with "
        "the child's development or between carers is unsuitable.",
        _ALL,
        reason="Injury unexplained, or the accounts differ",
    ),
    # --- disclosure ------------------------------------------------------------------------
    Factor(
        "disclosure",
        YES_NO,
        "disclosure",
        ("disclosure",),
        "Has the child told someone they are being harmed?",
        "A disclosure in the child's own words, to the referrer or to someone they know.",
        _ALL,
        reason="Child has disclosed abuse",
    ),
    # --- domestic abuse (SafeLives Dash; College of Policing DARA) -----------------------
    Factor(
        "dash_level",
        CHOICE,
        "domestic_abuse",
        ("domestic_abuse", "dash_level"),
        "DASH risk level",
        "From the police or agency DASH checklist: 14+ ticks is high.",
        _DA,
        choices=LEVEL_CHOICES,
    ),
    Factor(
        "dara_level",
        CHOICE,
        "domestic_abuse",
        ("domestic_abuse", "dara_level"),
        "DARA risk level",
        "College of Policing domestic abuse risk assessment.",
        _DA,
        choices=LEVEL_CHOICES,
    ),
    Factor(
        "children_present",
        YES_NO,
        "domestic_abuse",
        ("domestic_abuse", "children_present"),
        "Were children present at the incident?",
        "Children who see, hear or experience domestic abuse are victims in their own "
        "right (Domestic Abuse Act 2021 s.3).",
        _DA,
        reason="Children present at the domestic abuse incident",
    ),
    Factor(
        "strangulation",
        YES_NO,
        "domestic_abuse",
        ("domestic_abuse", "strangulation"),
        "Was there strangulation, choking or suffocation?",
        "A marker of homicide risk: SafeLives guidance makes a case high risk on "
        "professional judgement.",
        _DA,
        csv_aliases=("strangulation", "choking", "non_fatal_strangulation", "nfs"),
        reason="Strangulation or choking at the domestic abuse incident",
    ),
    Factor(
        "weapon",
        YES_NO,
        "domestic_abuse",
        ("domestic_abuse", "weapon"),
        "Was a weapon used or threatened?",
        "Knife, gun or any object used as a weapon.",
        _DA,
        csv_aliases=("weapon", "weapon_used", "weapons"),
        reason="Weapon used or threatened",
    ),
    Factor(
        "victim_pregnant",
        YES_NO,
        "domestic_abuse",
        ("domestic_abuse", "victim_pregnant"),
        "Is the victim pregnant or recently given birth?",
        "Abuse often starts or escalates in pregnancy (Dash checklist).",
        _DA,
        csv_aliases=("victim_pregnant", "pregnant", "pregnancy"),
        reason="Domestic abuse victim is pregnant",
    ),
    Factor(
        "previous_incidents",
        COUNT,
        "domestic_abuse",
        ("domestic_abuse", "previous_incidents"),
        "Earlier domestic abuse incidents at the address in the last 12 months",
        "Police-recorded. Three or more is escalation (Marac criteria).",
        _DA,
        reason="Earlier domestic abuse incidents in 12 months",
    ),
    # --- the child's own risk (WT2023 extra-familial harm; missing guidance 2014) ---------
    Factor(
        "self_harm",
        YES_NO,
        "child_risk",
        ("risk", "self_harm"),
        "Is the child self-harming?",
        "Cutting, burning, overdose or other self-injury.",
        _ALL,
        reason="Child is self-harming",
    ),
    Factor(
        "suicidal_thoughts",
        YES_NO,
        "child_risk",
        ("risk", "suicidal_thoughts"),
        "Has the child spoken of suicide or of wanting to die?",
        "Any talk of ending their life, a plan, or means gathered.",
        _ALL,
        reason="Child has spoken of suicide",
    ),
    Factor(
        "child_mental_health_crisis",
        YES_NO,
        "child_risk",
        ("risk", "child_mental_health_crisis"),
        "Is the child in a mental-health crisis now?",
        "Acutely unwell, an attempt, or a crisis team or A&E involved today.",
        _ALL,
        reason="Child in a mental-health crisis",
    ),
    Factor(
        "missing_now",
        YES_NO,
        "child_risk",
        ("risk", "missing_now"),
        "Is the child missing now?",
        "Whereabouts not known at the time of the contact.",
        _ALL,
        reason="Child is missing now",
    ),
    Factor(
        "missing_episodes",
        COUNT,
        "child_risk",
        ("risk", "missing_episodes"),
        "Missing episodes in the last 3 months",
        "Repeated missing is a key indicator of exploitation (DfE 2014).",
        _ALL,
        maximum=200,
        reason="Repeated missing episodes",
    ),
    Factor(
        "exploitation_indicators",
        YES_NO,
        "child_risk",
        ("risk", "exploitation_indicators"),
        "Are there signs of sexual or criminal exploitation?",
        "Older 'friends', unexplained money, phones or gifts, being found far from home, "
        "county lines.",
        _ALL,
        reason="Signs of sexual or criminal exploitation",
    ),
    Factor(
        "weapon_carrying",
        YES_NO,
        "child_risk",
        ("risk", "weapon_carrying"),
        "Is the child carrying a knife or other weapon?",
        "Found with, or known to carry, a knife or weapon: serious violence and harm "
        "outside the home (WT2023 ch.3).",
        _ALL,
        reason="Child carrying a knife or weapon",
    ),
    Factor(
        "homeless",
        YES_NO,
        "child_risk",
        ("risk", "homeless"),
        "Is the young person homeless, or about to have nowhere to stay?",
        "A homeless 16- or 17-year-old is assessed under the Children Act 1989 "
        "(MHCLG/DfE guidance, 2018).",
        _ALL,
        reason="Young person homeless or about to be",
    ),
    # --- parents' and carers' capacity (WT2023; NICE NG76) --------------------------------
    Factor(
        "carer_substance_misuse",
        YES_NO,
        "carers",
        ("risk", "carer_substance_misuse"),
        "Is a parent or carer misusing drugs or alcohol?",
        "Affecting their care of the child.",
        _ALL,
        reason="Parent or carer misusing drugs or alcohol",
    ),
    Factor(
        "carer_mental_health_crisis",
        YES_NO,
        "carers",
        ("risk", "carer_mental_health_crisis"),
        "Is a parent or carer in a mental-health crisis?",
        "Acutely unwell, detained, in hospital, or a crisis team involved.",
        _ALL,
        reason="Parent or carer in a mental-health crisis",
    ),
    Factor(
        "carer_learning_disability",
        YES_NO,
        "carers",
        ("risk", "carer_learning_disability"),
        "Does a parent or carer have a learning disability?",
        "May need support to parent; not in itself a concern.",
        _ALL,
        reason="Parent or carer with a learning disability",
    ),
    Factor(
        "sole_carer",
        YES_NO,
        "carers",
        ("risk", "sole_carer"),
        "Is that parent the child's only carer?",
        "No other adult at home who can care for the child.",
        _ALL,
        reason="Parent is the child's only carer",
    ),
    Factor(
        "no_carer_available",
        YES_NO,
        "carers",
        ("risk", "no_carer_available"),
        "Is the child without anyone able to care for them now?",
        "The carer is arrested, in hospital, has gone, or cannot care for the child today, "
        "and no other suitable adult is there (Children Act 1989 s.20(1)).",
        _ALL,
        reason="No one able to care for the child now",
    ),
    # --- unborn baby (pre-birth protocols) ------------------------------------------------
    Factor(
        "previous_children_removed",
        YES_NO,
        "prebirth",
        ("risk", "previous_children_removed"),
        "Have earlier children been removed from the parents' care?",
        "Any earlier child adopted, in care or living elsewhere by court order.",
        _ALL,
        reason="Earlier children removed from the parents' care",
    ),
    Factor(
        "care_proceedings",
        YES_NO,
        "prebirth",
        ("risk", "care_proceedings"),
        "Are care proceedings under way about another child of the parents?",
        "Including pre-proceedings (Public Law Outline).",
        _ALL,
        reason="Care proceedings about another child of the parents",
    ),
    Factor(
        "concealed_pregnancy",
        YES_NO,
        "prebirth",
        ("risk", "concealed_pregnancy"),
        "Was the pregnancy concealed or antenatal care booked late?",
        "Booked after 20 weeks, or care avoided.",
        _ALL,
        reason="Pregnancy concealed or booked late",
    ),
    # --- FGM and forced marriage (statutory guidance 2020, 2023) --------------------------
    Factor(
        "forced_marriage_risk",
        YES_NO,
        "honour",
        ("risk", "forced_marriage_risk"),
        "Is there a risk of forced marriage?",
        "For FGM, tick the FGM concern category (22A).",
        _ALL,
        reason="Risk of forced marriage",
    ),
    Factor(
        "travel_planned",
        YES_NO,
        "honour",
        ("risk", "travel_planned"),
        "Is travel abroad planned soon?",
        "Imminent travel with a risk of FGM or forced marriage is Red: there may be only "
        "one chance to act.",
        _ALL,
        reason="Travel abroad planned soon",
    ),
)

BY_NAME: Mapping[str, Factor] = MappingProxyType({f.name: f for f in FACTORS})
# Payload sub-objects the catalogue adds to (``risk``) or extends (``domestic_abuse``).
RISK_KEYS = tuple(f.path[1] for f in FACTORS if f.path[0] == "risk")
DA_KEYS = tuple(f.path[1] for f in FACTORS if f.path[0] == "domestic_abuse")


def answer(payload: Mapping[str, Any], factor: Factor) -> Any:
    """The recorded answer, or ``None`` when the question was not asked."""
    value: Any = payload
    for key in factor.path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


# (payload key, fact name) for top-level facts; sub-object -> {key: fact name}. Reading a
# payload walks only what it holds (scoring reads every open contact's payload).
_TOP = tuple((f.path[0], f.name) for f in FACTORS if len(f.path) == 1)
_NESTED: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        outer: MappingProxyType(
            {f.path[1]: f.name for f in FACTORS if len(f.path) == 2 and f.path[0] == outer}
        )
        for outer in {f.path[0] for f in FACTORS if len(f.path) == 2}
    }
)


# Imported history (intake/history.py: CIN census, Annex A Lists 1 and 3). Until
# 2026-12-01 it wrote ``immediate_danger: false`` on every such contact although neither
# file says anything about immediate danger; that ``false`` is read as "not stated".
HISTORY_REF_PREFIXES = ("annex-a:", "cin:")
NOT_STATED = "Not stated"


def danger_answer(payload: Mapping[str, Any]) -> bool | None:
    """Whether a child was said to be in immediate danger: True, False, or ``None`` when
    it was not stated (only imported history may leave it out: ``events.CONTACT_RECEIVED``).

    A ``false`` on a contact imported from a history file is ``None``: the importer wrote
    it without anyone being asked (see ``HISTORY_REF_PREFIXES``)."""
    value = payload.get("immediate_danger")
    if value is False and payload.get("channel") == "import":
        ref = payload.get("external_ref")
        if isinstance(ref, str) and ref.startswith(HISTORY_REF_PREFIXES):
            return None
    return value if isinstance(value, bool) else None


def answers(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Every asked fact on a ``contact.received`` payload, by name (not-asked left out)."""
    out = {name: payload[key] for key, name in _TOP if key in payload and payload[key] is not None}
    if out.get("immediate_danger") is False and danger_answer(payload) is None:
        del out["immediate_danger"]
    for outer, names in _NESTED.items():
        inner = payload.get(outer)
        if inner:
            for key, value in inner.items():
                name = names.get(key)
                if name is not None and value is not None:
                    out[name] = value
    return out


def answer_text(factor: Factor, value: Any, child_names: Mapping[int, str] | None = None) -> str:
    """How an answer reads on screen and on paper: "Not asked" is never "No" (immediate
    danger, which every live contact must answer, reads "Not stated")."""
    if value is None:
        return NOT_STATED if factor.name == "immediate_danger" else "Not asked"
    if factor.kind == YES_NO:
        return "Yes" if value else "No"
    if factor.kind == CHILD:
        if child_names and value in child_names:
            return child_names[value]
        return f"child {int(value) + 1}"
    if factor.kind == CHOICE:
        return factor.label(value)
    return str(value)


def answer_lines(
    asked: Mapping[str, Any],
    child_names: Mapping[int, str] | None = None,
    *,
    always: tuple[str, ...] = ("injury_reported", "disclosure"),
    skip: frozenset[str] = frozenset({"immediate_danger"}),
) -> list[tuple[str, str]]:
    """``(question, answer)`` for every asked fact in ``asked`` (by name), catalogue order;
    the facts in ``always`` are listed even when not asked, as "Not asked"."""
    out = []
    for factor in FACTORS:
        if factor.name in skip:
            continue
        value = asked.get(factor.name)
        if value is None and factor.name not in always:
            continue
        out.append((factor.question, answer_text(factor, value, child_names)))
    return out


def validate_answer(factor: Factor, value: Any) -> str | None:
    """Why ``value`` is not a valid answer to ``factor``, or ``None`` when it is."""
    if factor.kind == YES_NO:
        return None if isinstance(value, bool) else "expected true or false"
    if factor.kind in (COUNT, CHILD):
        limit = 99 if factor.kind == CHILD else factor.maximum
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            return f"expected a whole number from 0 to {limit}"
        return None
    # a code is text: a list or object (unhashable) must be an answer, not a TypeError
    if not isinstance(value, str) or value not in {k for k, _ in factor.choices}:
        return "expected one of " + ", ".join(k for k, _ in factor.choices)
    return None


def json_schema(factor: Factor) -> dict[str, Any]:
    """The JSON Schema of one answer (for docs/intake.schema.json)."""
    base: dict[str, Any]
    if factor.kind == YES_NO:
        base = {"type": "boolean"}
    elif factor.kind == COUNT:
        base = {"type": "integer", "minimum": 0, "maximum": factor.maximum}
    elif factor.kind == CHILD:
        base = {"type": "integer", "minimum": 0, "maximum": 99}
    else:
        base = {"type": "string", "enum": [k for k, _ in factor.choices]}
    return {**base, "description": factor.question}


def validate_check(factor: Factor) -> Any:
    """A payload check (``domain.schema`` style) for answers to ``factor``."""

    def check(value: Any, ctx: Any) -> Any:
        problem = validate_answer(factor, value)
        if problem:
            raise ValidationError(f"{problem}, got {value!r}")
        return value

    return check
