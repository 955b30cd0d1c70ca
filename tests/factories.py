"""Valid payloads and events for tests; each test changes only what it is about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event, make_event
from dutydesk.domain.ids import new_id

VALID_NHS = "9434765919"  # passes the Modulus 11 check


def contact_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "contact_id": new_id(),
        "received_at": "2026-11-26T08:15:00+00:00",
        "channel": "phone",
        "source_code": "2A",
        "reporter": {"name": "Ms Ada Teacher", "agency": "St Mary's Primary"},
        "children": [
            {
                "given_name": "Siobhán",
                "family_name": "O'Brien",
                "date_of_birth": "2019-04-03",
                "sex": "b",
                "nhs_number": VALID_NHS,
            }
        ],
        "concern": "Child arrived with a bruise to the cheek and said dad hit her.",
        "categories": ["18C"],
        "consent": "not_sought",
        "immediate_danger": False,
    }
    payload.update(changes)
    return payload


def event(
    kind: str,
    payload: dict[str, Any],
    at: datetime,
    *,
    actor: str = "dm.manager",
    role: Role = Role.DUTY_MANAGER,
    event_id: str | None = None,
) -> Event:
    return make_event(
        kind,
        payload,
        actor=actor,
        actor_role=role.value,
        device="test-desk",
        at=at,
        event_id=event_id,
    )


def decision_payload(contact_id: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "decision_id": new_id(),
        "contact_id": contact_id,
        "outcome": "strategy_s47",
        "threshold_level": 4,
        "rationale": {
            "concerns_and_risks": "Facial bruising on a 7-year-old with disclosure.",
            "analysis": "Reasonable cause to suspect significant harm.",
            "childs_voice": "She said dad hit her when he was angry.",
        },
    }
    payload.update(changes)
    return payload


def signed_in(
    store: Any, clock: Any, login: str = "dm.manager", role: Role = Role.DUTY_MANAGER
) -> Any:
    """``store`` as ``login`` uses it (a ``GuardedStore``): imports and services write in
    that person's name and are checked against their role."""
    from dutydesk.domain.events import Actor
    from dutydesk.services.guard import GuardedStore

    return GuardedStore(store, Actor(login, role, "test-desk"), clock)


def importer(
    store: Any, clock: Any, login: str = "dm.manager", role: Role = Role.DUTY_MANAGER
) -> Any:
    """An ``Importer`` writing as ``login`` through the guarded store."""
    from dutydesk.services.importer import Importer

    return Importer(signed_in(store, clock, login, role), clock)


TEST_PASSWORD = "correct horse battery staple"


def cli_store(data_dir: Any, *, demo: bool = False) -> Any:
    """The store the command line opens at ``data_dir``: encrypted (the tests' in-memory
    keyring holds the key), or a demo store."""
    from dutydesk.paths import STORE_FILE
    from dutydesk.services.local_store import open_local_store

    data_dir.mkdir(parents=True, exist_ok=True)
    return open_local_store(data_dir / STORE_FILE, demo=demo)


def add_account(store: Any, clock: Any, login: str, role: Role, name: str = "Test Person") -> None:
    """A local account with ``TEST_PASSWORD`` (made by a first administrator)."""
    from dutydesk.services.accounts import AccountService

    accounts = AccountService(store, clock)
    if accounts.needs_first_admin():
        accounts.init_admin("ad.min", "Ada Admin", TEST_PASSWORD)
    admin = accounts.sign_in("ad.min", TEST_PASSWORD)
    accounts.create_user(admin, login, name, role, TEST_PASSWORD)


def draft_store(folder: Any, owner: str = "co.officer") -> Any:
    """Drafts for a form tested on its own: a store of their own in ``folder`` (drafts
    live in the store, for one person)."""
    from pathlib import Path

    from dutydesk.services.drafts import DraftStore
    from dutydesk.store.eventstore import EventStore

    Path(folder).mkdir(parents=True, exist_ok=True)
    return DraftStore(EventStore.open(Path(folder) / "drafts-store.sqlite3"), owner)
