"""Local SQLite schema: the event log (the record) and the projections read from it.

Projection tables can be dropped and rebuilt from ``events`` at any time (``dutydesk
rebuild``); nothing in them is a source of truth. Changes here need an Alembic revision in
``db/local/versions`` (``alembic check`` in the tests catches drift).

The tables are SQLAlchemy Core ``Table`` objects: nothing here is used as an ORM entity
(every read and write is a Core statement or a driver call), and declaring them with the
ORM loaded ``sqlalchemy.orm`` at every start (~0.1 s of CPU) for nothing but their
``__table__``. A column's type, nullability, default, index and key are as they were
declared with ``Mapped[]``; the migration drift check compares them with the migrations.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

# Identity and audit tables live in their own module; importing it registers them on
# METADATA, so it (and the migration drift check) holds every local table.
from . import security_schema  # noqa: F401
from .base import METADATA

# One event as stored. ``local_seq`` is this desk's arrival order, nothing more.
EVENTS = Table(
    "events",
    METADATA,
    Column("local_seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), unique=True, nullable=False),
    Column("type", String(40), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("device", String(100), nullable=False),
    Column("client_time", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("contact_id", String(36), index=True, nullable=True),
    Column("server_seq", Integer, unique=True, nullable=True),
    Column("server_time", String(40), nullable=True),
    Column("hash", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=True),
    Index("ix_events_type_local_seq", "type", "local_seq"),
)


# Which people an event is about: a child's whole record in one indexed read.
EVENT_PEOPLE = Table(
    "event_people",
    METADATA,
    Column("local_seq", ForeignKey("events.local_seq", ondelete="CASCADE"), primary_key=True),
    Column("person_id", String(36), primary_key=True, index=True),
)


# Events made on this desk and not yet accepted by the shared server.
OUTBOX = Table(
    "outbox",
    METADATA,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("state", String(20), default="pending", nullable=False),
    Column("attempts", Integer, default=0, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_try_at", String(40), nullable=True),
)


# Small facts about this store: device id, server epoch, sync cursor.
META = Table(
    "store_meta",
    METADATA,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)


PEOPLE = Table(
    "people",
    METADATA,
    Column("person_id", String(36), primary_key=True),
    Column("given_name", String(100), nullable=True),
    Column("family_name", String(100), index=True, nullable=True),
    Column("other_names", JSON, default=list, nullable=False),
    Column("date_of_birth", String(10), index=True, nullable=True),
    Column("expected_date_of_birth", String(10), nullable=True),
    Column("sex", String(2), nullable=True),
    Column("ethnicity", String(4), nullable=True),
    Column("disabilities", JSON, default=list, nullable=False),
    Column("nhs_number", String(10), index=True, nullable=True),
    Column("address", String(300), nullable=True),
    Column("postcode", String(8), nullable=True),
    Column("school", String(200), nullable=True),
    Column("open_case", Boolean, default=False, nullable=False),
    Column("cp_plan", String(10), nullable=True),
    Column("looked_after", Boolean, default=False, nullable=False),
    Column("restricted", Boolean, default=False, nullable=False),
    Column("allowed", JSON, default=list, nullable=False),
    Column("registered_at", String(40), nullable=True),
    Column("la_child_id", String(50), index=True, nullable=True),
    Column("date_of_death", String(10), nullable=True),
    Column("allocated_worker", String(100), nullable=True),
    Column("allocated_team", String(200), nullable=True),
)


CONTACTS = Table(
    "contacts",
    METADATA,
    Column("contact_id", String(36), primary_key=True),
    Column("received_at", String(40), index=True, nullable=False),
    Column("channel", String(30), nullable=False),
    Column("source_code", String(3), nullable=False),
    Column("concern", Text, nullable=False),
    Column("consent", String(20), nullable=False),
    # NULL: not stated (imported history); revision 20261201_i14_danger.
    Column("immediate_danger", Boolean, nullable=True),
    Column("reporter_name", String(100), nullable=True),
    Column("reporter_agency", String(200), nullable=True),
    Column("categories", JSON, default=list, nullable=False),
    Column("injury_reported", Boolean, default=False, nullable=False),
    Column("disclosure", Boolean, default=False, nullable=False),
    Column("dash_level", String(10), nullable=True),
    Column("dara_level", String(10), nullable=True),
    Column("children_present", Boolean, nullable=True),
    Column("previous_incidents", Integer, nullable=True),
    Column("office", String(200), nullable=True),
    Column("team", String(200), nullable=True),
    Column("external_ref", String(100), nullable=True),
    Column("recorded_by", String(100), nullable=True),
    Column("status", String(20), index=True, nullable=False),
    Column("assignee", String(100), nullable=True),
    Column("rating", String(10), nullable=True),
    Column("original_rating", String(10), nullable=True),
    Column("overridden", Boolean, default=False, nullable=False),
    Column("score", Integer, nullable=True),
    Column("reasons", JSON, default=list, nullable=False),
    Column("policy_version", String(60), nullable=True),
    Column("due_at", String(40), nullable=True),
    Column("decision_due_at", String(40), nullable=True),
    Column("decision_ids", JSON, default=list, nullable=False),
    Column("outcome", String(30), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("is_referral", Boolean, default=False, nullable=False),
    Column("conflict", Boolean, default=False, nullable=False),
    Column("consent_overridden", Boolean, default=False, nullable=False),
    # Answers to the factor catalogue's questions (absent = not asked); revision i14.
    Column("answers", JSON, nullable=True),
)


CHILDREN = Table(
    "contact_children",
    METADATA,
    Column("contact_id", String(36), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("person_id", String(36), index=True, nullable=True),
    Column("given_name", String(100), nullable=True),
    Column("family_name", String(100), nullable=True),
    Column("date_of_birth", String(10), nullable=True),
    Column("expected_date_of_birth", String(10), nullable=True),
    Column("sex", String(2), nullable=True),
    Column("ethnicity", String(4), nullable=True),
    Column("nhs_number", String(10), nullable=True),
    Column("postcode", String(8), nullable=True),
    Column("school", String(200), nullable=True),
    Column("age_years", Integer, nullable=True),
    Column("date_of_birth_estimated", Boolean, nullable=True),
)


DECISIONS = Table(
    "decisions",
    METADATA,
    Column("decision_id", String(36), primary_key=True),
    Column("contact_id", String(36), index=True, nullable=False),
    Column("status", String(20), nullable=False),
    Column("outcome", String(30), nullable=False),
    Column("threshold_level", Integer, nullable=False),
    Column("rationale", JSON, nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decided_role", String(40), nullable=False),
    Column("decided_at", String(40), nullable=False),
    Column("primary_need", String(3), nullable=True),
    Column("signed_off_by", String(100), nullable=True),
    Column("signed_off_at", String(40), nullable=True),
    Column("amendments", Integer, default=0, nullable=False),
    Column("superseded", Boolean, default=False, nullable=False),
)


# Each route's state (``domain.routes.RouteRow``), folded at append time by the rule the
# follow-through view and MI fold with; revision i19_routes.
ROUTES = Table(
    "routes",
    METADATA,
    Column("route_id", String(36), primary_key=True),
    Column("contact_id", String(36), index=True, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("slot", Integer, nullable=True),
    Column("person_id", String(36), nullable=True),
    Column("adult_slot", Integer, nullable=True),
    Column("sent_to", String(200), nullable=True),  # Route.to ("to" is SQL)
    Column("team", String(200), nullable=True),
    Column("worker", String(200), nullable=True),
    Column("family_consent", String(40), nullable=True),
    Column("marac", String(40), nullable=True),
    Column("notes", Text, nullable=True),
    Column("steps", JSON, default=list, nullable=False),
    Column("transfer_team", String(200), nullable=True),
    Column("transfer_worker", String(200), nullable=True),
    Column("transfer_state", String(20), nullable=True),
    Column("transfer_reason", Text, nullable=True),
    Column("transfer_at", String(40), nullable=True),
    Column("closed_at", String(40), nullable=True),
    Column("closed_reason", Text, nullable=True),
)


PROJECTION_TABLES = (PEOPLE, CONTACTS, CHILDREN, DECISIONS, ROUTES)


# A likely match between a child on a contact and a known person, waiting for a person to
# confirm (``person.linked``) or dismiss it. Derived by matching at import, not an event: re-
# running the import recreates it, so it is local to this desk.
PENDING = Table(
    "pending_links",
    METADATA,
    Column("contact_id", String(36), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("confidence", Integer, nullable=False),
    Column("matched", JSON, default=list, nullable=False),
    Column("source", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("state", String(12), default="pending", index=True, nullable=False),
    # Who closed the suggestion (confirmed or dismissed), when, and why (a dismissal's reason).
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("reason", String(500), nullable=True),
)


# An event pulled from the shared server that this desk could not validate or apply.  Kept aside
# exactly as received (``envelope``: the event's canonical JSON) with the reason, so sync
# carries on with the rest and a person can see it (``dutydesk sync --quarantine``, the status
# bar). Never folded into projections.
QUARANTINE = Table(
    "quarantine",
    METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("server_seq", Integer, nullable=True),
    Column("type", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("envelope", Text, nullable=False),
    Column("quarantined_at", String(40), nullable=False),
)


# A person this desk holds whom the shared server now withholds from its login: a restriction
# this login is not named on (the server hides the ``record.restricted`` event itself, so the
# desk cannot learn it from the log). Replaced as a whole after each pull from
# ``dutydesk.withheld``; the guard treats each like a restriction naming nobody. Not an event,
# not synced; a standalone desk never has any.
WITHHELD = Table(
    "withheld_people",
    METADATA,
    Column("person_id", String(36), primary_key=True),
)


# A form being typed, saved as the person types: inside the (encrypted) store, never a file
# beside it, and only ever read back for the person who typed it. Not an event: not synced, not
# in the audit chain, gone when the form is saved or discarded.
DRAFTS = Table(
    "drafts",
    METADATA,
    Column("draft_id", String(80), primary_key=True),
    Column("owner", String(100), index=True, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("saved_at", String(40), nullable=False),
    Column("body", Text, nullable=False),
)
