"""Local SQLite schema: the event log (the record) and the projections read from it.

Projection tables can be dropped and rebuilt from ``events`` at any time (``dutydesk
rebuild``); nothing in them is a source of truth. Changes here need an Alembic revision in
``db/local/versions`` (``alembic check`` in the tests catches drift).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

# Identity and audit tables live in their own module; importing it registers them on Base,
# so ``Base.metadata`` (and the migration drift check) holds every local table.
from . import security_schema  # noqa: F401
from .base import Base


class EventRecord(Base):
    """One event as stored. ``local_seq`` is this desk's arrival order, nothing more."""

    __tablename__ = "events"

    local_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(100))
    client_time: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    contact_id: Mapped[str | None] = mapped_column(String(36), index=True)
    server_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    server_time: Mapped[str | None] = mapped_column(String(40))
    hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_events_type_local_seq", "type", "local_seq"),)


class EventPerson(Base):
    """Which people an event is about: a child's whole record in one indexed read."""

    __tablename__ = "event_people"

    local_seq: Mapped[int] = mapped_column(
        ForeignKey("events.local_seq", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class Outbox(Base):
    """Events made on this desk and not yet accepted by the shared server."""

    __tablename__ = "outbox"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_try_at: Mapped[str | None] = mapped_column(String(40))


class StoreMeta(Base):
    """Small facts about this store: device id, server epoch, sync cursor."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PersonProjection(Base):
    __tablename__ = "people"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100), index=True)
    other_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date_of_birth: Mapped[str | None] = mapped_column(String(10), index=True)
    expected_date_of_birth: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(2))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    disabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(8))
    school: Mapped[str | None] = mapped_column(String(200))
    open_case: Mapped[bool] = mapped_column(Boolean, default=False)
    cp_plan: Mapped[str | None] = mapped_column(String(10))
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    registered_at: Mapped[str | None] = mapped_column(String(40))
    la_child_id: Mapped[str | None] = mapped_column(String(50), index=True)
    date_of_death: Mapped[str | None] = mapped_column(String(10))
    allocated_worker: Mapped[str | None] = mapped_column(String(100))
    allocated_team: Mapped[str | None] = mapped_column(String(200))


class ContactProjection(Base):
    __tablename__ = "contacts"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    source_code: Mapped[str] = mapped_column(String(3))
    concern: Mapped[str] = mapped_column(Text)
    consent: Mapped[str] = mapped_column(String(20))
    # NULL: not stated (imported history); revision 20261201_i14_danger.
    immediate_danger: Mapped[bool | None] = mapped_column(Boolean)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_agency: Mapped[str | None] = mapped_column(String(200))
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    injury_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    disclosure: Mapped[bool] = mapped_column(Boolean, default=False)
    dash_level: Mapped[str | None] = mapped_column(String(10))
    dara_level: Mapped[str | None] = mapped_column(String(10))
    children_present: Mapped[bool | None] = mapped_column(Boolean)
    previous_incidents: Mapped[int | None] = mapped_column(Integer)
    office: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100))
    rating: Mapped[str | None] = mapped_column(String(10))
    original_rating: Mapped[str | None] = mapped_column(String(10))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy_version: Mapped[str | None] = mapped_column(String(60))
    due_at: Mapped[str | None] = mapped_column(String(40))
    decision_due_at: Mapped[str | None] = mapped_column(String(40))
    decision_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(String(30))
    decided_at: Mapped[str | None] = mapped_column(String(40))
    is_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    # Answers to the factor catalogue's questions (absent = not asked); revision i14.
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The scoring code's revision that made the rating (1: the event does not say); NULL:
    # no ``contact.rated``. Revision 20261202_scorer_rev.
    scorer_revision: Mapped[int | None] = mapped_column(Integer)

    # The open contacts a lower scoring revision rated, found without reading the others
    # (``rating_queries.rated_by_older_scorer``, every live poll).
    __table_args__ = (Index("ix_contacts_status_scorer_revision", "status", "scorer_revision"),)


class ContactChildProjection(Base):
    __tablename__ = "contact_children"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    expected_date_of_birth: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(2))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    postcode: Mapped[str | None] = mapped_column(String(8))
    school: Mapped[str | None] = mapped_column(String(200))
    age_years: Mapped[int | None] = mapped_column(Integer)
    date_of_birth_estimated: Mapped[bool | None] = mapped_column(Boolean)


class DecisionProjection(Base):
    __tablename__ = "decisions"

    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    threshold_level: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_role: Mapped[str] = mapped_column(String(40))
    decided_at: Mapped[str] = mapped_column(String(40))
    primary_need: Mapped[str | None] = mapped_column(String(3))
    signed_off_by: Mapped[str | None] = mapped_column(String(100))
    signed_off_at: Mapped[str | None] = mapped_column(String(40))
    amendments: Mapped[int] = mapped_column(Integer, default=0)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class RouteProjection(Base):
    """Each route's state (``domain.routes.RouteRow``), folded at append time by the rule
    the follow-through view and MI fold with; revision i19_routes."""

    __tablename__ = "routes"

    route_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[str] = mapped_column(String(40))
    opened_by: Mapped[str] = mapped_column(String(100))
    slot: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[str | None] = mapped_column(String(36))
    adult_slot: Mapped[int | None] = mapped_column(Integer)
    sent_to: Mapped[str | None] = mapped_column(String(200))  # Route.to ("to" is SQL)
    team: Mapped[str | None] = mapped_column(String(200))
    worker: Mapped[str | None] = mapped_column(String(200))
    family_consent: Mapped[str | None] = mapped_column(String(40))
    marac: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    transfer_team: Mapped[str | None] = mapped_column(String(200))
    transfer_worker: Mapped[str | None] = mapped_column(String(200))
    transfer_state: Mapped[str | None] = mapped_column(String(20))
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    transfer_at: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[str | None] = mapped_column(String(40))
    closed_reason: Mapped[str | None] = mapped_column(Text)


PROJECTION_TABLES = (
    PersonProjection.__table__,
    ContactProjection.__table__,
    ContactChildProjection.__table__,
    DecisionProjection.__table__,
    RouteProjection.__table__,
)


class PendingLink(Base):
    """A likely match between a child on a contact and a known person, waiting for a person
    to confirm (``person.linked``) or dismiss it. Derived by matching at import, not an
    event: re-running the import recreates it, so it is local to this desk.
    """

    __tablename__ = "pending_links"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    confidence: Mapped[int] = mapped_column(Integer)
    matched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    # Who closed the suggestion (confirmed or dismissed), when, and why (a dismissal's reason).
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class QuarantinedEvent(Base):
    """An event pulled from the shared server that this desk could not validate or apply.

    Kept aside exactly as received (``envelope``: the event's canonical JSON) with the
    reason, so sync carries on with the rest and a person can see it
    (``dutydesk sync --quarantine``, the status bar). Never folded into projections.
    """

    __tablename__ = "quarantine"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    server_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    type: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    envelope: Mapped[str] = mapped_column(Text)
    quarantined_at: Mapped[str] = mapped_column(String(40))


class WithheldPerson(Base):
    """A person this desk holds whom the shared server now withholds from its login: a
    restriction this login is not named on (the server hides the ``record.restricted``
    event itself, so the desk cannot learn it from the log). Replaced as a whole after each
    pull from ``dutydesk.withheld``; the guard treats each like a restriction naming nobody.
    Not an event, not synced; a standalone desk never has any."""

    __tablename__ = "withheld_people"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class DraftRecord(Base):
    """A form being typed, saved as the person types: inside the (encrypted) store, never
    a file beside it, and only ever read back for the person who typed it. Not an event:
    not synced, not in the audit chain, gone when the form is saved or discarded."""

    __tablename__ = "drafts"

    draft_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    saved_at: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)


# The tables as Core ``Table`` objects, for the store's statements (the models above are
# declarations; nothing loads them as ORM entities).
EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]
EVENT_PEOPLE: Table = EventPerson.__table__  # type: ignore[assignment]
OUTBOX: Table = Outbox.__table__  # type: ignore[assignment]
META: Table = StoreMeta.__table__  # type: ignore[assignment]
PEOPLE: Table = PersonProjection.__table__  # type: ignore[assignment]
CONTACTS: Table = ContactProjection.__table__  # type: ignore[assignment]
CHILDREN: Table = ContactChildProjection.__table__  # type: ignore[assignment]
DECISIONS: Table = DecisionProjection.__table__  # type: ignore[assignment]
ROUTES: Table = RouteProjection.__table__  # type: ignore[assignment]
WITHHELD: Table = WithheldPerson.__table__  # type: ignore[assignment]
