"""Local tables for identity and audit: standalone accounts and the audit hash chain.

Registered on ``store.base.METADATA`` like the tables of ``dutydesk.store.schema``, which
imports this module so that ``METADATA`` (and the migration drift check) sees them.
Revision ``20261126_identity`` creates them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from .base import METADATA

# One link of the local hash chain, in the order events reached this desk.
CHAIN = Table(
    "audit_chain",
    METADATA,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("event_id", String(36), unique=True, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


# A standalone sign-in. Only an argon2 hash of the password is kept.
ACCOUNTS = Table(
    "accounts",
    METADATA,
    Column("login", String(100), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, default=True, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("failed_attempts", Integer, default=0, nullable=False),
)
