"""The event log's vocabulary: the envelope every change travels in and the payload rules.

An event is the record. Projections, the audit trail, printed logs and MI are all read
from events, so a payload is validated once, here, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from . import codes, schema_fast
from .errors import ValidationError
from .ids import new_id
from .route_events import ROUTE_EVENTS
from .schema import (
    Context,
    Field,
    Spec,
    boolean,
    free_object,
    integer,
    iso_date,
    iso_datetime,
    list_of,
    nhs_number,
    one_of,
    postcode,
    server_twin,
    text,
    uuid_text,
)
from .triage import factors as _factors

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Event:
    """One immutable fact. ``server_seq``/``hash`` are set once the shared server accepts it."""

    id: str
    type: str
    actor: str
    actor_role: str
    device: str
    client_time: str
    payload: Mapping[str, Any]
    schema_version: int = SCHEMA_VERSION
    server_seq: int | None = None
    server_time: str | None = None
    hash: str | None = None
    prev_hash: str | None = None

    @property
    def contact_id(self) -> str | None:
        return _subject(self.payload, "contact_id")

    @property
    def person_ids(self) -> tuple[str, ...]:
        """Every person this event is about (for history look-ups and restriction)."""
        found = []
        pid = self.payload.get("person_id")
        if isinstance(pid, str):
            found.append(pid)
        for child in self.payload.get("children", ()) or ():
            if isinstance(child, Mapping) and isinstance(child.get("person_id"), str):
                found.append(child["person_id"])
        return tuple(dict.fromkeys(found))

    def payload_json(self) -> str:
        return canonical_json(self.payload)

    def recorded(self) -> dict[str, Any]:
        """What the event says as its desk recorded it: every field but the server's
        (sequence, time and hashes). The digest of a printed document covers this; the
        server's hash chain covers it with the server's sequence and time."""
        return {
            "id": self.id,
            "type": self.type,
            "schema_version": self.schema_version,
            "actor": self.actor,
            "actor_role": self.actor_role,
            "device": self.device,
            "client_time": self.client_time,
            "payload": self.payload,
        }


def _subject(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def canonical_json(value: Any) -> str:
    """The one serialisation used for storage, hashing and comparison: ``json.dumps(value,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, by an encoder made once
    (``json.dumps`` with options builds a new ``JSONEncoder`` on every call)."""
    return _canonical_encode(value)


_canonical_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode


# ---- payload specs ------------------------------------------------------------------

NAME = text(100)
SHORT = text(200)
LONG = text(20_000, strip=False)

ROLE = one_of([r.value for r in codes.Role], "role")
RATING = one_of([r.value for r in codes.Rating], "rating (red, amber, green, blue)")
OUTCOME = one_of([o.value for o in codes.Outcome], "decision outcome")
CONSENT = one_of([c.value for c in codes.ConsentStatus], "consent status")
CHANNEL = one_of([c.value for c in codes.Channel], "channel")
SOURCE = one_of(codes.REFERRAL_SOURCES, "DfE referral source code (1A to 10)")
FACTOR = one_of(codes.ASSESSMENT_FACTORS, "DfE assessment factor code")
SEX = one_of(codes.SEX, "sex code (a male, b female, c not stated/unborn, d neither)")
ETHNICITY = one_of(codes.ETHNICITY, "ethnicity code (CBDS)")
DISABILITY = one_of(codes.DISABILITY, "disability code")
DA_LEVEL = one_of([d.value for d in codes.DaRiskLevel], "DASH/DARA level (standard, medium, high)")
CP_PLAN = one_of(["current", "past", "none"], "child protection plan status")
THRESHOLD = integer(1, 4)


def _dob_or_expected(obj: dict[str, Any]) -> None:
    if "date_of_birth" in obj and "expected_date_of_birth" in obj:
        raise ValidationError(
            "give a date of birth or an expected date of birth, not both", "expected_date_of_birth"
        )


server_twin(
    _dob_or_expected,
    kind="not_both",
    fields=["date_of_birth", "expected_date_of_birth"],
    message="give a date of birth or an expected date of birth, not both",
)

LA_CHILD_ID = text(50)

# What identifies and describes a child, the same checks on a known person and on a child
# as a contact's reporter described them.
_NAMES = (Field("given_name", NAME, required=False), Field("family_name", NAME, required=False))
_DESCRIBED = (
    Field("date_of_birth", iso_date(not_future=True), required=False),
    Field(
        "expected_date_of_birth", iso_date(not_past=True), required=False, doc="for an unborn child"
    ),
    Field("sex", SEX, required=False),
    Field("ethnicity", ETHNICITY, required=False),
    Field("disabilities", list_of(DISABILITY, unique=True), required=False),
    Field("nhs_number", nhs_number, required=False),
    Field("address", text(300), required=False),
    Field("postcode", postcode, required=False),
    Field("school", SHORT, required=False),
)

PERSON_FIELDS = (
    Field("person_id", uuid_text),
    Field(
        "la_child_id",
        LA_CHILD_ID,
        required=False,
        doc="the authority's own id for the child: census LAchildID, Annex A Child "
        "Unique ID, the case-management system's id",
    ),
    *_NAMES,
    Field(
        "other_names",
        list_of(NAME, max_items=20),
        required=False,
        doc="aliases and previous names, used by matching",
    ),
    *_DESCRIBED,
    Field("open_case", boolean, required=False, doc="an allocated worker holds the case"),
    Field(
        "allocated_worker",
        NAME,
        required=False,
        doc="who holds the open case (Annex A 'Allocated Worker'): told the same working "
        "day of a new contact",
    ),
    Field(
        "allocated_team",
        SHORT,
        required=False,
        doc="the team that holds the open case (Annex A 'Allocated Team')",
    ),
    Field("cp_plan", CP_PLAN, required=False),
    Field("looked_after", boolean, required=False),
    Field(
        "date_of_death",
        iso_date(not_future=True),
        required=False,
        doc="census PersonDeathDate: no open case after it",
    ),
)

PERSON = Spec(PERSON_FIELDS, rules=(_dob_or_expected,))
PERSON_UPDATE = Spec(
    PERSON_FIELDS + (Field("reason", SHORT, required=False),), rules=(_dob_or_expected,)
)

# A child as the reporter described them; ``person_id`` once linked to a known person.
CONTACT_CHILD = Spec(
    (
        Field("slot", integer(0, 99), required=False),
        Field("person_id", uuid_text, required=False),
        Field(
            "la_child_id",
            LA_CHILD_ID,
            required=False,
            doc="the authority's id for the child, when the referrer knows it (matching)",
        ),
        *_NAMES,
        *_DESCRIBED,
        Field(
            "age_years",
            integer(0, 25),
            required=False,
            doc="approximate age in whole years when the date of birth is not known",
        ),
        Field(
            "date_of_birth_estimated",
            boolean,
            required=False,
            doc="the date of birth is an estimate, not a known date",
        ),
    ),
    rules=(_dob_or_expected,),
)

REPORTER = Spec(
    (
        Field("name", NAME, required=False),
        Field("agency", SHORT, required=False),
        Field("role", SHORT, required=False),
        Field("relationship", SHORT, required=False),
        Field("phone", text(40), required=False),
        Field("email", text(200), required=False),
    )
)

DOMESTIC_ABUSE = Spec(
    (
        Field("dash_level", DA_LEVEL, required=False),
        Field("dara_level", DA_LEVEL, required=False),
        Field("children_present", boolean, required=False),
        Field(
            "previous_incidents",
            integer(0, 999),
            required=False,
            doc="police-recorded DA incidents at the address in the last 12 months",
        ),
        Field("incident_ref", text(60), required=False),
        Field("incident_at", iso_datetime, required=False),
        *(
            Field(f.path[1], _factors.validate_check(f), required=False, doc=f.question)
            for f in _factors.FACTORS
            if f.path[0] == "domestic_abuse"
            and f.path[1]
            not in ("dash_level", "dara_level", "children_present", "previous_incidents")
        ),
    )
)

# Facts from the factor catalogue (domain/triage/factors.py) that are not fields of their
# own: each key is optional, and a key left out means the question was not asked.
RISK = Spec(
    tuple(
        Field(f.path[1], _factors.validate_check(f), required=False, doc=f.question)
        for f in _factors.FACTORS
        if f.path[0] == "risk"
    )
)


def _not_legacy(value: Any, ctx: Context) -> str:
    code = FACTOR(value, ctx)
    return code


server_twin(_not_legacy, **FACTOR.server_rule)  # type: ignore[attr-defined]


# A child on a contact is described by at least one of these: a linked person, a name, a
# date of birth (or expected date of birth for an unborn child), or an approximate age.
# The desk, the intake format's JSON Schema and the server all check it from here.
CHILD_DESCRIBED_BY = (
    "person_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "expected_date_of_birth",
    "age_years",
)
CHILD_UNDESCRIBED = "a child needs a name, a date of birth, an approximate age or a linked person"


def _children_slots(obj: dict[str, Any]) -> None:
    for i, child in enumerate(obj.get("children", [])):
        child.setdefault("slot", i)
        if not any(k in child for k in CHILD_DESCRIBED_BY):
            raise ValidationError(CHILD_UNDESCRIBED, f"children[{i}]")
    injured = (obj.get("risk") or {}).get("injury_child")
    if injured is not None and injured not in {c["slot"] for c in obj.get("children", [])}:
        raise ValidationError(
            f"names child {injured + 1}, but the contact has no such child", "risk.injury_child"
        )


server_twin(
    _children_slots,
    kind="each_has_one_of",
    field="children",
    keys=list(CHILD_DESCRIBED_BY),
    message=CHILD_UNDESCRIBED,
)


def _danger_stated(obj: dict[str, Any]) -> None:
    """Every contact says whether a child is in immediate danger, except imported history
    (channel ``import``: a CIN census or Annex A list never says), which leaves it out:
    "not stated", never "no" (``factors.danger_answer``). Desk only: the server's
    cross-field kinds cannot say "required unless" (listed by ``server_rules.gaps``)."""
    if "immediate_danger" not in obj and obj.get("channel") != "import":
        raise ValidationError("is required", "immediate_danger")


CONTACT_RECEIVED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("received_at", iso_datetime),
        Field("channel", CHANNEL),
        Field("source_code", SOURCE),
        Field("reporter", REPORTER, required=False),
        Field("children", list_of(CONTACT_CHILD, min_items=1, max_items=20)),
        Field("concern", text(20_000)),
        Field("categories", list_of(_not_legacy, unique=True, max_items=44), required=False),
        Field("consent", CONSENT),
        Field("consent_notes", text(2000), required=False),
        Field(
            "immediate_danger",
            boolean,
            required=False,
            doc="a child is in immediate danger now; required except on imported history, "
            "where left out means not stated",
        ),
        Field(
            "injury_reported",
            boolean,
            required=False,
            doc="a visible injury or bruising is reported",
        ),
        Field(
            "disclosure",
            boolean,
            required=False,
            doc="the child has disclosed abuse to the reporter",
        ),
        Field("domestic_abuse", DOMESTIC_ABUSE, required=False),
        Field("risk", RISK, required=False, doc="answers to the factor catalogue's questions"),
        Field("office", SHORT, required=False),
        Field("team", SHORT, required=False),
        Field("external_ref", text(100), required=False, doc="the partner's own reference"),
    ),
    rules=(_children_slots, _danger_stated),
)

REASON = text(2000)

RATED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("score", integer(0, 10_000)),
        Field("rating", RATING),
        Field("reasons", list_of(free_object, max_items=200)),
        Field("policy_version", text(60)),
        Field("due_at", iso_datetime, required=False),
        Field("decision_due_at", iso_datetime, required=False),
        Field(
            "scorer_revision",
            integer(1, 10_000),
            required=False,
            doc="the scoring code's revision that made the rating (triage.scoring."
            "SCORER_REVISION); absent: made before revisions were recorded (1)",
        ),
    )
)

RATING_OVERRIDDEN = Spec(
    (
        Field("contact_id", uuid_text),
        Field("from_rating", RATING),
        Field("to_rating", RATING),
        Field("reason", REASON),
        Field("approver", NAME, required=False),
        Field("due_at", iso_datetime, required=False),
    )
)

RATIONALE = Spec(
    (
        Field("concerns_and_risks", LONG),
        Field("strengths_and_protective_factors", LONG, required=False),
        Field("childs_voice", LONG, required=False),
        Field("consent_and_information_sharing", LONG, required=False),
        Field("analysis", LONG),
        Field(
            "next_steps",
            list_of(
                Spec(
                    (
                        Field("action", text(1000)),
                        Field("owner", NAME, required=False),
                        Field("due", iso_date(), required=False),
                    )
                ),
                max_items=50,
            ),
            required=False,
        ),
        Field("feedback_to_referrer", LONG, required=False),
    )
)

DECISION_FIELDS = (
    Field("decision_id", uuid_text),
    Field("contact_id", uuid_text),
    Field("outcome", OUTCOME),
    Field("threshold_level", THRESHOLD),
    Field("rationale", RATIONALE),
    Field("primary_need", one_of(codes.PRIMARY_NEED, "primary need code"), required=False),
)

DECISION = Spec(DECISION_FIELDS)

DECISION_SIGNED_OFF = Spec(
    (
        Field("decision_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("comment", text(2000), required=False),
    )
)

DECISION_AMENDED = Spec(
    (
        Field("amendment_id", uuid_text, required=False),
        Field("decision_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("outcome", OUTCOME, required=False),
        Field("threshold_level", THRESHOLD, required=False),
        Field("rationale", RATIONALE, required=False),
        Field("reason", REASON),
    )
)

# A manager sends a proposal back to the practitioner who made it, saying why; the
# practitioner proposes again (a new decision), and the returned one stays on record.
DECISION_RETURNED = Spec(
    (
        Field("decision_id", uuid_text),
        Field("contact_id", uuid_text),
        Field("reason", REASON),
    )
)

CONFLICT_RESOLVED = Spec(
    (
        Field("contact_id", uuid_text),
        Field("decision_ids", list_of(uuid_text, min_items=2, unique=True)),
        Field("chosen_decision_id", uuid_text),
        Field("reason", REASON),
    )
)

CATALOGUE: Mapping[str, Spec] = MappingProxyType(
    {
        "person.registered": PERSON,
        "person.updated": PERSON_UPDATE,
        "person.linked": Spec(
            (
                Field("contact_id", uuid_text),
                Field("slot", integer(0, 99)),
                Field("person_id", uuid_text),
                Field("evidence", list_of(SHORT, max_items=20), required=False),
                Field("confidence", integer(0, 100), required=False),
                Field("reason", REASON, required=False),
            )
        ),
        "person.unlinked": Spec(
            (
                Field("contact_id", uuid_text),
                Field("slot", integer(0, 99)),
                Field("person_id", uuid_text),
                Field("reason", REASON),
            )
        ),
        "contact.received": CONTACT_RECEIVED,
        "contact.rated": RATED,
        "contact.rating_overridden": RATING_OVERRIDDEN,
        "contact.assigned": Spec(
            (
                Field("contact_id", uuid_text),
                Field("assignee", NAME),
            )
        ),
        "partner_check.requested": Spec(
            (
                Field("check_id", uuid_text),
                Field("contact_id", uuid_text),
                Field("agency", SHORT),
                Field("question", text(4000)),
                Field("requested_at", iso_datetime, required=False),
                Field("due_at", iso_datetime, required=False, doc="when the answer is needed"),
            )
        ),
        "partner_check.answered": Spec(
            (
                Field("check_id", uuid_text),
                Field("contact_id", uuid_text),
                Field("answer", text(20_000)),
                Field("answered_by", NAME, required=False),
                Field("answered_at", iso_datetime, required=False),
                Field("no_trace", boolean, required=False, doc="the agency holds nothing on them"),
            )
        ),
        "note.added": Spec(
            (
                Field("contact_id", uuid_text, required=False),
                Field("person_id", uuid_text, required=False),
                Field("text", text(20_000)),
            )
        ),
        "decision.proposed": DECISION,
        "decision.recorded": DECISION,
        "decision.signed_off": DECISION_SIGNED_OFF,
        "decision.amended": DECISION_AMENDED,
        "decision.returned": DECISION_RETURNED,
        "conflict.resolved": CONFLICT_RESOLVED,
        "consent.recorded": Spec(
            (
                Field("contact_id", uuid_text),
                Field("status", CONSENT),
                Field("given_by", NAME, required=False),
                Field("basis", text(2000), required=False),
            )
        ),
        "consent.overridden": Spec(
            (
                Field("contact_id", uuid_text),
                Field("basis", text(2000)),
                Field("approver", NAME),
            )
        ),
        "record.restricted": Spec(
            (
                Field("person_id", uuid_text),
                Field("allowed", list_of(NAME, max_items=100)),
                Field("reason", REASON),
            )
        ),
        "access.granted": Spec(
            (
                Field("person_id", uuid_text),
                Field("grantee", NAME),
                Field("reason", REASON),
            )
        ),
        "access.break_glass": Spec(
            (
                Field("person_id", uuid_text),
                Field("reason", text(2000)),
            )
        ),
        "record.viewed": Spec(
            (
                Field("contact_id", uuid_text, required=False),
                Field("person_id", uuid_text, required=False),
                Field("reason", text(2000), required=False),
            )
        ),
        "document.printed": Spec(
            (
                Field("document", SHORT),
                Field("digest", text(128), required=False),
                Field("contact_id", uuid_text, required=False),
                Field("person_id", uuid_text, required=False),
                Field("event_ids", list_of(uuid_text, max_items=200_000), required=False),
                Field(
                    "file_sha256",
                    text(64),
                    required=False,
                    doc="SHA-256 of the signed PDF as it left DutyDesk (verify looks for it)",
                ),
                Field("reason", text(2000), required=False, doc="why it was printed, where asked"),
            )
        ),
        "document.exported": Spec(
            (
                Field("document", SHORT),
                Field("digest", text(128), required=False),
                Field("contact_id", uuid_text, required=False),
                Field("person_id", uuid_text, required=False),
                Field("destination", text(500), required=False),
                Field(
                    "file_sha256",
                    text(64),
                    required=False,
                    doc="SHA-256 of the signed PDF as it left DutyDesk (verify looks for it)",
                ),
                Field("event_ids", list_of(uuid_text, max_items=200_000), required=False),
                Field("reason", text(2000), required=False, doc="why, for a disclosure"),
                Field(
                    "disclosure",
                    boolean,
                    required=False,
                    doc="shared outside the service (a disclosure), not only saved",
                ),
            )
        ),
        "handover.noted": Spec(
            (
                Field("handover_id", uuid_text),
                Field("shift", SHORT),
                Field("text", text(20_000)),
                Field("contact_ids", list_of(uuid_text, max_items=500), required=False),
            )
        ),
        "handover.acknowledged": Spec((Field("handover_id", uuid_text),)),
        "supervision.recorded": Spec(
            (
                Field("worker", NAME),
                Field("supervisor", NAME),
                Field("held_on", iso_date(not_future=True)),
                Field("next_due", iso_date()),
            )
        ),
        # An authorised single assessment, so MI can measure the 45-working-day timescale
        # (issue 8). No projection: MI reads these events straight from the log.
        "assessment.completed": Spec(
            (
                Field("contact_id", uuid_text, doc="the contact that became the referral"),
                Field("person_id", uuid_text, doc="the child assessed"),
                Field("completed_on", iso_date(not_future=True), doc="date of authorisation"),
                Field("authorised_by", NAME, required=False),
            )
        ),
        # The front-door day after the decision (issue 21): dutydesk/domain/route_events.py.
        **ROUTE_EVENTS,
    }
)

EVENT_TYPES = frozenset(CATALOGUE)


def validate_payload(event_type: str, payload: Any, *, today: Any) -> dict[str, Any]:
    """The payload in normal form, or ValidationError naming the event type and field.
    Checked by the spec's compiled code (``schema_fast``), which hands every payload it
    does not accept in line to ``Spec.validate``."""
    spec = CATALOGUE.get(event_type)
    if spec is None:
        raise ValidationError(f"unknown event type {event_type!r}", "type")
    try:
        return schema_fast.validate(spec, payload, Context(today=today))
    except ValidationError as err:
        raise err.within(event_type) from None


def make_event(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    actor_role: str,
    device: str,
    at: datetime,
    event_id: str | None = None,
) -> Event:
    """Validate and wrap a payload. ``at`` comes from the caller's injected clock."""
    if at.tzinfo is None:
        raise ValidationError("event time has no time zone", "client_time")
    ROLE(actor_role, Context(today=at.date()))
    clean = validate_payload(event_type, dict(payload), today=at.date())
    return Event(
        id=event_id or new_id(),
        type=event_type,
        actor=actor,
        actor_role=actor_role,
        device=device,
        client_time=at.isoformat(),
        payload=clean,
    )


def check_envelope(event: Event) -> Event:
    """Re-validate an event from outside (import, server pull) before it is stored."""
    return _checked(event)[0]


def check_pulled(event: Event, payload_text: str) -> tuple[Event, str]:
    """``check_envelope`` for an event whose payload's canonical text the caller already
    made (a pull hashes it to check the server's chain), and the canonical text of the
    checked payload: ``payload_text`` itself when checking left the payload as it was,
    else made again from the normal form.

    "As it was" is ``clean == payload``: every check returns its value unchanged or text,
    a list or an object built from it (``schema``), so equal payloads differ in no
    number's type (1 and 1.0 and True are equal in Python, not in JSON, but a number only
    ever passes through a check as the same object) and their canonical texts are equal
    (``tests/unit/domain/test_schema_fast.py`` holds both to it)."""
    checked, raw = _checked(event)
    if checked.payload == raw:
        return checked, payload_text
    return checked, canonical_json(checked.payload)


def _checked(event: Event) -> tuple[Event, Any]:
    try:
        at = datetime.fromisoformat(event.client_time)
    except ValueError:
        raise ValidationError(f"{event.client_time!r} is not a timestamp", "client_time") from None
    if event.schema_version != SCHEMA_VERSION:
        raise ValidationError(
            f"schema version {event.schema_version} is not supported", "schema_version"
        )
    raw = event.payload
    if raw.__class__ is not dict:  # a plain dict is never changed by validation
        raw = dict(raw)
    clean = validate_payload(event.type, raw, today=at.date())
    # every field as it came but the payload, in ``Event``'s order (a pull checks tens of
    # thousands: building keyword dicts per event cost a seventh of the check)
    e = event
    checked = Event(
        e.id,
        e.type,
        e.actor,
        e.actor_role,
        e.device,
        e.client_time,
        clean,
        e.schema_version,
        e.server_seq,
        e.server_time,
        e.hash,
        e.prev_hash,
    )
    return checked, raw


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is recording events from this desk."""

    login: str
    role: codes.Role
    device: str
    display_name: str = ""
    office: str = ""
    team: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


def recorded_by(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    by: Actor,
    at: datetime,
    event_id: str | None = None,
) -> Event:
    """``make_event`` for an event ``by`` records at ``at``: the event names their login,
    their role and their device (what the guard and the server check it against)."""
    return make_event(
        event_type,
        payload,
        actor=by.login,
        actor_role=by.role.value,
        device=by.device,
        at=at,
        event_id=event_id,
    )
