"""Local tables for identity and audit: standalone accounts and the audit hash chain.

Registered on ``store.base.Base`` like the tables of ``dutydesk.store.schema``, which
imports this module so that ``Base.metadata`` (and the migration drift check) sees them.
Revision ``20261126_identity`` creates them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AuditLink(Base):
    """One link of the local hash chain, in the order events reached this desk."""

    __tablename__ = "audit_chain"

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Account(Base):
    """A standalone sign-in. Only an argon2 hash of the password is kept."""

    __tablename__ = "accounts"

    login: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
