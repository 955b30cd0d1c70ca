"""Fixtures for document tests (integration and ui): a stored case and the document service.

Imported by the conftest of each suite that uses them."""

from __future__ import annotations

from datetime import datetime

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.report_cases import Case, stored_case


@pytest.fixture
def case(store: EventStore, now: datetime) -> Case:
    return stored_case(store, now)


@pytest.fixture
def documents(store: EventStore, clock: FixedClock) -> DocumentService:
    actor = Actor(login="dm.manager", role=Role.DUTY_MANAGER, device="test-desk",
                  display_name="Dan Manager")
    return DocumentService(store, actor, clock)


