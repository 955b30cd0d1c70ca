"""Projection rules: how each event changes the read model (people, contacts, decisions).

Pure and shared by both paths that build the read model: a full rebuild folds every event
into an in-memory ``ReadModel``; the store's incremental path loads only the rows an event
touches, folds the event, and writes those rows back. Same function, same result, which
the rebuild-equivalence property test checks.

Rules are written to be insensitive to the order of unrelated events, so that desks which
saw events in different orders converge once they hold the same set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, NewType, TypeVar

from . import referrals
from .classcache import per_class
from .codes import VOID_STATUSES, ContactStatus, DecisionStatus
from .events import Event
from .routes import LIFECYCLE_TYPES as ROUTE_EVENT_TYPES
from .routes import RouteRow, apply_route_event, route_of, route_row
from .triage.factors import answers as _answers
from .triage.factors import danger_answer


@dataclass(frozen=True, slots=True)
class PersonRow:
    person_id: str
    given_name: str | None = None
    family_name: str | None = None
    other_names: tuple[str, ...] = ()
    date_of_birth: str | None = None
    expected_date_of_birth: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    disabilities: tuple[str, ...] = ()
    nhs_number: str | None = None
    address: str | None = None
    postcode: str | None = None
    school: str | None = None
    open_case: bool = False
    cp_plan: str | None = None
    looked_after: bool = False
    restricted: bool = False
    allowed: tuple[str, ...] = ()
    registered_at: str | None = None
    la_child_id: str | None = None  # the authority's own id (census LAchildID)
    date_of_death: str | None = None
    # who holds the open case (kept only while the case is open)
    allocated_worker: str | None = None
    allocated_team: str | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or "(name not known)"


@dataclass(frozen=True, slots=True)
class ContactChildRow:
    contact_id: str
    slot: int
    person_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    expected_date_of_birth: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    nhs_number: str | None = None
    postcode: str | None = None
    school: str | None = None
    age_years: int | None = None  # approximate age when the date is not known
    date_of_birth_estimated: bool | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        if name:
            return name
        return "Unborn child" if self.expected_date_of_birth else "(name not known)"


@dataclass(frozen=True, slots=True)
class ContactRow:
    contact_id: str
    received_at: str
    channel: str
    source_code: str
    concern: str
    consent: str
    immediate_danger: bool | None  # None: not stated (imported history)
    reporter_name: str | None = None
    reporter_agency: str | None = None
    categories: tuple[str, ...] = ()
    injury_reported: bool = False
    disclosure: bool = False
    dash_level: str | None = None
    dara_level: str | None = None
    children_present: bool | None = None
    previous_incidents: int | None = None
    office: str | None = None
    team: str | None = None
    external_ref: str | None = None
    recorded_by: str | None = None
    status: str = ContactStatus.NEW.value
    assignee: str | None = None
    rating: str | None = None
    original_rating: str | None = None
    overridden: bool = False
    score: int | None = None
    reasons: tuple[Mapping[str, Any], ...] = ()
    policy_version: str | None = None
    due_at: str | None = None
    decision_due_at: str | None = None
    decision_ids: tuple[str, ...] = ()
    outcome: str | None = None
    decided_at: str | None = None
    is_referral: bool = False
    conflict: bool = False
    consent_overridden: bool = False
    # Answers to the factor catalogue's questions by fact name (domain/triage/factors.py);
    # a question not asked is absent, never False.
    answers: Mapping[str, Any] = field(default_factory=dict)
    # The scoring code's revision that made the recorded rating (``contact.rated``'s
    # ``scorer_revision``; 1 when it does not say); None: never rated by a policy.
    scorer_revision: int | None = None


_loads = json.loads

JSONText = NewType("JSONText", str)  # a JSON list as the store holds it, not yet decoded


def decode_sequence(text: str | None) -> tuple[Any, ...]:
    """A sequence column's JSON text as the row's tuple (``None`` and ``[]``: empty)."""
    if text is None or text == "[]":  # most sequence columns are empty: skip the decoder
        return ()
    return tuple(_loads(text) or ())


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What the queue shows of an open contact: 16 of ``ContactRow``'s 36 columns, by the
    same names and values, but ``categories`` and ``reasons`` kept as the JSON text the
    store holds (``decode_sequence`` gives ``ContactRow``'s tuples). The window's queue
    load reads only these (at 1M events it decoded every contact's answers and decision
    ids it never shows) and decodes a row's reasons only when the row is shown: 3,850
    open contacts' reasons are ~4 MB of JSON, ~50 ms of a start at 1M events."""

    contact_id: str
    received_at: str
    source_code: str
    concern: str
    immediate_danger: bool | None
    categories: JSONText
    office: str | None
    team: str | None
    status: str
    assignee: str | None
    rating: str | None
    score: int | None
    reasons: JSONText
    due_at: str | None
    decision_due_at: str | None
    conflict: bool


@dataclass(frozen=True, slots=True)
class DecisionRow:
    decision_id: str
    contact_id: str
    status: str
    outcome: str
    threshold_level: int
    rationale: Mapping[str, Any]
    decided_by: str
    decided_role: str
    decided_at: str
    primary_need: str | None = None
    signed_off_by: str | None = None
    signed_off_at: str | None = None
    amendments: int = 0
    superseded: bool = False

    @property
    def live(self) -> bool:
        """Neither superseded by an amendment nor returned to its author: the contact's
        decision, or a proposal waiting for sign-off."""
        return not self.superseded and self.status != DecisionStatus.RETURNED.value


@dataclass(slots=True)
class ReadModel:
    """A set of rows. The whole model on rebuild; just the touched rows incrementally."""

    people: dict[str, PersonRow] = field(default_factory=dict)
    contacts: dict[str, ContactRow] = field(default_factory=dict)
    children: dict[tuple[str, int], ContactChildRow] = field(default_factory=dict)
    decisions: dict[str, DecisionRow] = field(default_factory=dict)
    decisions_by_contact: dict[str, set[str]] = field(default_factory=dict)
    routes: dict[str, RouteRow] = field(default_factory=dict)  # by route id

    def put_decision(self, row: DecisionRow) -> None:
        self.decisions[row.decision_id] = row
        self.decisions_by_contact.setdefault(row.contact_id, set()).add(row.decision_id)


@dataclass(frozen=True, slots=True)
class Keys:
    """The rows an event may read or write; the store loads exactly these."""

    people: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()
    decisions_of_contacts: frozenset[str] = frozenset()
    routes: frozenset[str] = frozenset()  # route ids
    # the decision ids a ``decision.recorded``/``decision.proposed`` names: its row may be
    # another contact's, which the recording must see to leave it alone (``_decision``)
    decisions: frozenset[str] = frozenset()


# Event types whose fold reads the decisions of their contact (``Keys``).
DECISION_TYPE_PREFIXES = ("decision.", "conflict.")
# Event types that make a decision's row (the first names its contact: ``_decision``).
RECORDING_TYPES = frozenset({"decision.recorded", "decision.proposed"})


def keys_for(events: Iterable[Event]) -> Keys:
    """The rows folding ``events`` reads or writes (the store loads exactly these): the
    contact each names (and, for a decision or conflict event, that contact's decisions),
    the people it is about (``Event.person_ids``: the payload's person and its children's),
    for a route event its route, and for a decision's recording the decision it names.
    Gathered into sets in one pass: a pulled or imported batch has thousands of events,
    and a ``Keys`` of four frozensets per event cost more than the load it named
    (``test_append_differential.py::test_keys_for_a_batch``)."""
    people: set[str] = set()
    contacts: set[str] = set()
    decisions: set[str] = set()
    routes: set[str] = set()
    recorded: set[str] = set()
    add_person, add_contact, add_decision = people.add, contacts.add, decisions.add
    for e in events:
        p = e.payload
        cid = p.get("contact_id")
        if isinstance(cid, str):
            add_contact(cid)
            if e.type.startswith(DECISION_TYPE_PREFIXES):
                add_decision(cid)
                if e.type in RECORDING_TYPES and isinstance(p.get("decision_id"), str):
                    recorded.add(p["decision_id"])
        # ``Event.person_ids`` inline: the property's tuple per event was 4x this loop
        pid = p.get("person_id")
        if isinstance(pid, str):
            add_person(pid)
        for child in p.get("children", ()) or ():
            if isinstance(child, Mapping) and isinstance(child.get("person_id"), str):
                add_person(child["person_id"])
        if e.type in ROUTE_EVENT_TYPES:
            rid = p.get("route_id")
            if isinstance(rid, str):
                routes.add(rid)
    return Keys(
        frozenset(people),
        frozenset(contacts),
        frozenset(decisions),
        frozenset(routes),
        frozenset(recorded),
    )


_Row = TypeVar("_Row")


@per_class
def _layout(cls: type) -> tuple[attrgetter[Any], dict[str, int]]:
    names = tuple(f.name for f in fields(cls))
    return attrgetter(*names), {name: i for i, name in enumerate(names)}


def replace(row: _Row, **changes: Any) -> _Row:
    """``dataclasses.replace`` for the row classes above (every field an ``__init__``
    argument, no ``__post_init__``), without its per-field checks: a rebuild makes one of
    these per event, and the standard one was a fifth of the rebuild's time."""
    get_all, position = _layout(type(row))
    values = list(get_all(row))
    for name, value in changes.items():
        values[position[name]] = value
    return type(row)(*values)


_PERSON_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "expected_date_of_birth",
    "sex",
    "ethnicity",
    "nhs_number",
    "address",
    "postcode",
    "school",
    "cp_plan",
    "la_child_id",
    "date_of_death",
    "allocated_worker",
    "allocated_team",
)


def apply(model: ReadModel, event: Event) -> None:
    """Fold one event into ``model``. Events of types without a read model are ignored."""
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(model, event)


def apply_all(model: ReadModel, events: Iterable[Event]) -> ReadModel:
    for event in events:
        apply(model, event)
    return model


def _person(model: ReadModel, event: Event) -> None:
    p = event.payload
    pid = p["person_id"]
    row = model.people.get(pid) or PersonRow(person_id=pid, registered_at=event.client_time)
    changes: dict[str, Any] = {k: p[k] for k in _PERSON_FIELDS if k in p}
    if "date_of_birth" in p:
        changes["expected_date_of_birth"] = None
    for key in ("other_names", "disabilities"):
        if key in p:
            changes[key] = tuple(p[key])
    for key in ("open_case", "looked_after"):
        if key in p:
            changes[key] = bool(p[key])
    if changes.get("date_of_death") or (row.date_of_death and "open_case" in changes):
        changes["open_case"] = False  # a child who has died has no open case
    if changes.get("open_case") is False and "allocated_worker" not in p:
        # a case closed: nobody holds it now (who did stays in the log)
        changes["allocated_worker"] = changes["allocated_team"] = None
    model.people[pid] = replace(row, **changes)


def _contact_received(model: ReadModel, event: Event) -> None:
    p = event.payload
    cid = p["contact_id"]
    reporter = p.get("reporter") or {}
    da = p.get("domestic_abuse") or {}
    existing = model.contacts.get(cid)
    base = ContactRow(
        contact_id=cid,
        received_at=p["received_at"],
        channel=p["channel"],
        source_code=p["source_code"],
        concern=p["concern"],
        consent=p["consent"],
        immediate_danger=danger_answer(p),
        reporter_name=reporter.get("name"),
        reporter_agency=reporter.get("agency"),
        categories=tuple(p.get("categories", ())),
        injury_reported=bool(p.get("injury_reported", False)),
        disclosure=bool(p.get("disclosure", False)),
        dash_level=da.get("dash_level"),
        dara_level=da.get("dara_level"),
        children_present=da.get("children_present"),
        previous_incidents=da.get("previous_incidents"),
        office=p.get("office"),
        team=p.get("team"),
        external_ref=p.get("external_ref"),
        recorded_by=event.actor,
        answers=_answers(p),
    )
    if existing is not None:
        # Later events (rating, decision) may have arrived first on this desk: keep them.
        base = replace(existing, **{f: getattr(base, f) for f in _RECEIVED_FIELDS})
        if existing.decided_at and referrals.is_imported_referral(base.external_ref):
            base = replace(base, is_referral=True)  # settled before its receipt arrived
    model.contacts[cid] = base
    for child in p["children"]:
        slot = int(child["slot"])
        key = (cid, slot)
        linked = model.children.get(key)
        model.children[key] = ContactChildRow(
            contact_id=cid,
            slot=slot,
            person_id=linked.person_id if linked and linked.person_id else child.get("person_id"),
            given_name=child.get("given_name"),
            family_name=child.get("family_name"),
            date_of_birth=child.get("date_of_birth"),
            expected_date_of_birth=child.get("expected_date_of_birth"),
            sex=child.get("sex"),
            ethnicity=child.get("ethnicity"),
            nhs_number=child.get("nhs_number"),
            postcode=child.get("postcode"),
            school=child.get("school"),
            age_years=child.get("age_years"),
            date_of_birth_estimated=child.get("date_of_birth_estimated"),
        )


_RECEIVED_FIELDS = (
    "received_at",
    "channel",
    "source_code",
    "concern",
    "consent",
    "immediate_danger",
    "reporter_name",
    "reporter_agency",
    "categories",
    "injury_reported",
    "disclosure",
    "dash_level",
    "dara_level",
    "children_present",
    "previous_incidents",
    "office",
    "team",
    "external_ref",
    "recorded_by",
    "answers",
)


def _contact(model: ReadModel, cid: str) -> ContactRow:
    """The contact, or a placeholder that ``contact.received`` fills when it arrives."""
    row = model.contacts.get(cid)
    if row is None:
        row = ContactRow(
            contact_id=cid,
            received_at="",
            channel="",
            source_code="",
            concern="",
            consent="",
            immediate_danger=None,
        )
    return row


def _rated(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _contact(model, p["contact_id"])
    model.contacts[row.contact_id] = replace(
        row,
        rating=row.rating if row.overridden else p["rating"],
        original_rating=row.original_rating or p["rating"],
        score=p["score"],
        reasons=tuple(p["reasons"]),
        policy_version=p["policy_version"],
        due_at=row.due_at if row.overridden else p.get("due_at"),
        decision_due_at=p.get("decision_due_at", row.decision_due_at),
        scorer_revision=p.get("scorer_revision", 1),
    )


def _overridden(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _contact(model, p["contact_id"])
    model.contacts[row.contact_id] = replace(
        row,
        rating=p["to_rating"],
        overridden=True,
        original_rating=row.original_rating or p["from_rating"],
        due_at=p.get("due_at", row.due_at),
    )


def _assigned(model: ReadModel, event: Event) -> None:
    row = _contact(model, event.payload["contact_id"])
    status = row.status
    if status == ContactStatus.NEW.value:
        status = ContactStatus.IN_PROGRESS.value
    model.contacts[row.contact_id] = replace(row, assignee=event.payload["assignee"], status=status)


def _taken(model: ReadModel, event: Event) -> None:
    """A practitioner takes the contact: assigned to whoever recorded the event."""
    row = _contact(model, event.payload["contact_id"])
    status = row.status
    if status == ContactStatus.NEW.value:
        status = ContactStatus.IN_PROGRESS.value
    model.contacts[row.contact_id] = replace(row, assignee=event.actor, status=status)


def _voided(model: ReadModel, event: Event) -> None:
    """Merged into another contact, or entered in error: kept in the log, out of the queue,
    history and MI (``VOID_STATUSES``)."""
    row = _contact(model, event.payload["contact_id"])
    status = (
        ContactStatus.MERGED if event.type == "contact.merged" else ContactStatus.ENTERED_IN_ERROR
    ).value
    if row.status == ContactStatus.ENTERED_IN_ERROR.value:
        status = row.status  # in error outranks merged, in whichever order they arrive
    model.contacts[row.contact_id] = replace(row, status=status)


def _linked(model: ReadModel, event: Event) -> None:
    p = event.payload
    key = (p["contact_id"], int(p["slot"]))
    row = model.children.get(key) or ContactChildRow(contact_id=key[0], slot=key[1])
    model.children[key] = replace(row, person_id=p["person_id"])


def _unlinked(model: ReadModel, event: Event) -> None:
    p = event.payload
    key = (p["contact_id"], int(p["slot"]))
    row = model.children.get(key)
    if row is not None and row.person_id == p["person_id"]:
        model.children[key] = replace(row, person_id=None)


# A decision belongs to the contact whose recording (or proposal) of its id comes first in
# the log's order, as a route belongs to its first opener: an event naming it under another
# contact changes nothing, neither that decision nor its own contact's rows. Services never
# do it; the server refuses it since migration 0017 (``OWN_DECISION_TYPES`` below), but a
# server took such crafted events before, and an import can carry them
# (``tests/integration/test_decisions_of_another_contact.py``). The
# store loads a recorded id's row whatever its contact (``Keys.decisions``) to know it.
# A second recording or proposal of an id, under any contact, changes nothing either: the
# decision is its first author's, who decided it and when included
# (``tests/integration/test_decision_id_recorded_twice.py``).


def _own_decision(model: ReadModel, p: Mapping[str, Any]) -> DecisionRow | None:
    """The decision ``p`` names if it belongs to the contact ``p`` names, else None."""
    row = model.decisions.get(p["decision_id"])
    return row if row is not None and row.contact_id == p["contact_id"] else None


def _decision(model: ReadModel, event: Event) -> None:
    p = event.payload
    proposed = event.type == "decision.proposed"
    status = DecisionStatus.PROPOSED if proposed else DecisionStatus.RECORDED
    if p["decision_id"] in model.decisions:
        return  # recorded or proposed already, under this contact or another
    row = DecisionRow(
        decision_id=p["decision_id"],
        contact_id=p["contact_id"],
        status=status.value,
        outcome=p["outcome"],
        threshold_level=int(p["threshold_level"]),
        rationale=p["rationale"],
        primary_need=p.get("primary_need"),
        decided_by=event.actor,
        decided_role=event.actor_role,
        decided_at=event.client_time,
    )
    model.put_decision(row)
    _refresh_contact_decisions(model, p["contact_id"])


def _signed_off(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _own_decision(model, p)
    if row is None:
        return
    model.decisions[row.decision_id] = replace(
        row,
        status=DecisionStatus.SIGNED_OFF.value,
        signed_off_by=event.actor,
        signed_off_at=event.client_time,
    )
    _refresh_contact_decisions(model, p["contact_id"])


def _returned(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _own_decision(model, p)
    if row is None or row.status != DecisionStatus.PROPOSED.value:
        return
    model.decisions[row.decision_id] = replace(row, status=DecisionStatus.RETURNED.value)
    _refresh_contact_decisions(model, p["contact_id"])


def _amended(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _own_decision(model, p)
    if row is None:
        return
    changes: dict[str, Any] = {"amendments": row.amendments + 1}
    for key in ("outcome", "threshold_level", "rationale"):
        if key in p:
            changes[key] = p[key]
    model.decisions[row.decision_id] = replace(row, **changes)
    _refresh_contact_decisions(model, p["contact_id"])


def _resolved(model: ReadModel, event: Event) -> None:
    p = event.payload
    cid = p["contact_id"]
    for did in p["decision_ids"]:
        row = model.decisions.get(did)
        if row is not None and row.contact_id == cid and did != p["chosen_decision_id"]:
            model.decisions[did] = replace(row, superseded=True)
    _refresh_contact_decisions(model, cid)


def _refresh_contact_decisions(model: ReadModel, cid: str) -> None:
    """Derive the contact's decision state from all its decisions (order-insensitive)."""
    ids_of_contact = model.decisions_by_contact.get(cid, ())
    live = sorted(
        (d for d in (model.decisions[i] for i in ids_of_contact) if d.live),
        key=lambda d: (d.decided_at, d.decision_id),
    )
    row = _contact(model, cid)
    ids = tuple(d.decision_id for d in live)
    if not live:
        # Every proposal returned: the contact waits for its practitioner again.
        status = (
            ContactStatus.IN_PROGRESS.value
            if ids_of_contact and row.status == ContactStatus.AWAITING_SIGN_OFF.value
            else row.status
        )
        model.contacts[cid] = replace(
            row,
            decision_ids=ids,
            outcome=None,
            decided_at=None,
            conflict=False,
            is_referral=False,
            status=status,
        )
        # NB otherwise the status is left alone: a void (merged / in error) contact stays
        # void; only a contact waiting for sign-off goes back to in progress
        return
    conflict = len(live) > 1
    settled = [d for d in live if d.status != DecisionStatus.PROPOSED.value]
    current = (settled or live)[-1]
    status = (ContactStatus.DECIDED if settled else ContactStatus.AWAITING_SIGN_OFF).value
    if row.status in VOID_STATUSES:  # merged or entered in error stays so, whatever arrives
        status = row.status
    model.contacts[cid] = replace(
        row,
        decision_ids=ids,
        outcome=current.outcome,
        decided_at=settled[-1].decided_at if settled else None,
        status=status,
        conflict=conflict,
        is_referral=referrals.is_referral((d.outcome for d in settled), row.external_ref),
    )


def _consent(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = _contact(model, p["contact_id"])
    if event.type == "consent.overridden":
        model.contacts[row.contact_id] = replace(row, consent_overridden=True)
    else:
        model.contacts[row.contact_id] = replace(row, consent=p["status"])


def _restricted(model: ReadModel, event: Event) -> None:
    p = event.payload
    row = model.people.get(p["person_id"]) or PersonRow(person_id=p["person_id"])
    if event.type == "record.restricted":
        model.people[row.person_id] = replace(row, restricted=True, allowed=tuple(p["allowed"]))
    else:
        allowed = tuple(dict.fromkeys(row.allowed + (p["grantee"],)))
        model.people[row.person_id] = replace(row, allowed=allowed)


def _in_progress(model: ReadModel, event: Event) -> None:
    cid = event.payload.get("contact_id")
    if not isinstance(cid, str):
        return
    row = _contact(model, cid)
    if row.status == ContactStatus.NEW.value:
        model.contacts[cid] = replace(row, status=ContactStatus.IN_PROGRESS.value)


def _route(model: ReadModel, event: Event) -> None:
    """A route lifecycle event: the route's row refolded by ``routes.apply_route_event``
    (the definition the follow-through view and MI fold with), replaced only if it
    changed."""
    rid = event.payload.get("route_id")
    if not isinstance(rid, str):
        return
    row = model.routes.get(rid)
    held = {rid: route_of(row)} if row is not None else {}
    apply_route_event(held, event, datetime.fromisoformat(event.client_time))
    route = held.get(rid)
    if route is not None:
        fresh = route_row(route)
        if fresh != row:
            model.routes[rid] = fresh


_HANDLERS = {
    "person.registered": _person,
    "person.updated": _person,
    "person.linked": _linked,
    "person.unlinked": _unlinked,
    "contact.received": _contact_received,
    "contact.rated": _rated,
    "contact.rating_overridden": _overridden,
    "contact.assigned": _assigned,
    "contact.taken": _taken,
    "contact.merged": _voided,
    "contact.entered_in_error": _voided,
    "partner_check.requested": _in_progress,
    "decision.proposed": _decision,
    "decision.recorded": _decision,
    "decision.signed_off": _signed_off,
    "decision.amended": _amended,
    "decision.returned": _returned,
    "conflict.resolved": _resolved,
    "consent.recorded": _consent,
    "consent.overridden": _consent,
    "record.restricted": _restricted,
    "access.granted": _restricted,
    **{t: _route for t in ROUTE_EVENT_TYPES},
}

# The scope each handled event writes, for a rebuild that folds the log a slice of scopes
# at a time (``EventStore.rebuild``, bounded memory; ``store.refold`` relies on the same):
# people rows are written only by these types, keyed by the payload's ``person_id``, each
# reading only that person's row; every other handled type reads and writes only rows of
# the payload's ``contact_id`` (the contact, its child slots and the decisions it names).
PERSON_EVENT_TYPES = frozenset(t for t, h in _HANDLERS.items() if h in (_person, _restricted))
CONTACT_EVENT_TYPES = frozenset(_HANDLERS) - PERSON_EVENT_TYPES
# The decision-id rule of the fold above (``_decision``, ``_own_decision``), by event type,
# as the shared server applies it at submit (migration 0017, ``rules_sql.SERVER_CHECKS``,
# so desk and server cannot drift): a recording of an id already recorded changes nothing
# (``RECORDING_TYPES``); these act only on a decision their own contact recorded first:
OWN_DECISION_TYPES = frozenset(
    t for t, h in _HANDLERS.items() if h in (_signed_off, _amended, _returned)
)
# and a resolution supersedes only the listed decisions its own contact recorded first.
RESOLUTION_TYPES = frozenset(t for t, h in _HANDLERS.items() if h is _resolved)
# Types whose fold reads and writes only the contact row itself (no child slot, person
# or decision): a batch of nothing else (the ratings an import's catch-up writes) needs
# only the contact rows loaded.
CONTACT_ROW_ONLY_TYPES = frozenset(t for t, h in _HANDLERS.items() if h in (_rated, _overridden))


def decision_refs(event: Event) -> tuple[Any, ...]:
    """The decision ids whose rows ``event``'s fold reads or writes. A decision's row stays
    in its contact's scope only while every event naming it names that same contact."""
    if event.type == "conflict.resolved":
        return tuple(event.payload.get("decision_ids") or ())
    if event.type.startswith("decision."):
        return (event.payload.get("decision_id"),)
    return ()
