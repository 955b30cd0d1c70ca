"""Fixtures for document tests (integration and ui): a stored case, a signing authority
and the document service signing as the printing person.

Imported by the conftest of each suite that uses them."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from dutydesk.config.signing_keys import AUTHORITY, KeyFolder, signing_dir
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.reports import pki
from dutydesk.services.documents import DocumentService
from dutydesk.services.signing import DocumentSigner
from dutydesk.store.eventstore import EventStore
from tests.report_cases import Case, stored_case


@cache
def authority_for_tests() -> pki.Identity:
    """One authority for the whole run (an RSA-3072 key takes a moment to make)."""
    return pki.new_authority("Testshire County Council")


@cache
def signer_for(login: str, name: str = "") -> DocumentSigner:
    """A person's key and certificate from the test authority (kept in memory)."""
    return DocumentSigner(pki.issue(authority_for_tests(), display_name=name or login, login=login))


def document_service(
    store: EventStore, actor: Actor, clock: FixedClock, **kwargs: object
) -> DocumentService:
    signer = signer_for(actor.login, actor.display_name or actor.login)
    kwargs.setdefault("office", OfficeHours())
    return DocumentService(store, actor, clock, signer=signer, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def case(store: EventStore, now: datetime) -> Case:
    return stored_case(store, now)


@pytest.fixture
def documents(store: EventStore, clock: FixedClock) -> DocumentService:
    actor = Actor(
        login="dm.manager", role=Role.DUTY_MANAGER, device="test-desk", display_name="Dan Manager"
    )
    return document_service(store, actor, clock)


def keys_in(data_dir: Path, *logins: str) -> KeyFolder:
    """A desk's signing folder with the test authority and keys for ``logins`` (their
    passphrases in the test's in-memory keyring), as `dutydesk signing issue` leaves it."""
    keys = KeyFolder(signing_dir(data_dir))
    keys.save(AUTHORITY, authority_for_tests())
    keys.write_authority_certificate(authority_for_tests().certificate)
    for login in logins:
        keys.save(login, signer_for(login).identity)
    return keys
