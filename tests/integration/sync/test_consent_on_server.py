"""Issue 13, item 8 in shared mode: consent recorded after intake reaches the server.

The desk records consent at any point (``consent.recorded``) and sharing without consent
on a duty manager's authority (``consent.overridden``); until now only SQLite tests
showed it. Here desks sign in through the real sign-in path (``connect_shared``) as
logins of the right role against the throw-away PostgreSQL server: the server accepts
both events, and the other desk receives them. A login whose role may not record consent
(a contact officer, an auditor, an administrator; for sharing without consent, anyone but
a duty manager) is refused by its own desk, and the same event sent straight to the
server by that login (a modified desk) is refused there, with the role and event named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.services.desk import DeskService
from dutydesk.shared_mode import SharedSession, connect_shared
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]
PASSWORD = "a long test password"
BASIS = "Asking the father would place the children at increased risk of harm."


@pytest.fixture
def sign_in(tmp_path: Path, clock: FixedClock) -> Iterator[Callable[[Login], SharedSession]]:
    opened: list[tuple[SharedSession, EventStore]] = []

    def make(login: Login) -> SharedSession:
        store = EventStore.open(tmp_path / f"{login.name}.sqlite3")
        shared = connect_shared(login.dsn, PASSWORD, store, clock)
        opened.append((shared, store))
        return shared

    yield make
    for shared, store in opened:
        shared.engine.transport.close()
        store.close()


def _desk(shared: SharedSession, clock: FixedClock) -> DeskService:
    return DeskService(shared.engine.store, shared.actor, clock, directory=shared.people)


def _contact_on_server(manager: SharedSession, clock: FixedClock) -> str:
    body = contact_payload(consent="not_sought")
    manager.engine.store.append(
        [event("contact.received", body, clock.now(), actor=manager.actor.login)]
    )
    assert manager.engine.sync().rejected_total == 0
    return str(body["contact_id"])


@pytest.mark.parametrize("group", ["practitioner", "senior_practitioner", "duty_manager"])
def test_consent_recorded_after_intake_is_accepted_and_reaches_the_other_desk(
    make_login: MakeLogin,
    sign_in: Callable[[Login], SharedSession],
    clock: FixedClock,
    group: str,
) -> None:
    manager = sign_in(make_login("duty_manager"))
    cid = _contact_on_server(manager, clock)
    worker = sign_in(make_login(group))
    worker.engine.sync()
    _desk(worker, clock).record_consent(cid, "given", given_by="Mother, by phone")
    report = worker.engine.sync()
    assert (report.accepted, report.rejected_total) == (1, 0)

    _desk(manager, clock).share_without_consent(cid, BASIS)
    report = manager.engine.sync()
    assert (report.accepted, report.rejected_total) == (1, 0)

    worker.engine.sync()
    for desk in (_desk(worker, clock), _desk(manager, clock)):
        detail = desk.contact_detail(cid)
        assert detail is not None
        # (the test clock stands still, so both carry the same time: compared as a set)
        assert {
            (c.by, c.status, c.given_by, c.overridden, c.approver) for c in detail.consents
        } == {
            (worker.actor.login, "given", "Mother, by phone", False, None),
            (manager.actor.login, None, None, True, manager.actor.login),
        }
        assert detail.consent == "given"


@pytest.mark.parametrize(
    "group, event_type",
    [
        ("contact_officer", "consent.recorded"),
        ("auditor", "consent.recorded"),
        ("admin", "consent.recorded"),
        ("contact_officer", "consent.overridden"),
        ("practitioner", "consent.overridden"),
        ("senior_practitioner", "consent.overridden"),
    ],
)
def test_a_role_that_may_not_record_consent_is_refused_by_desk_and_server(
    make_login: MakeLogin,
    sign_in: Callable[[Login], SharedSession],
    clock: FixedClock,
    group: str,
    event_type: str,
) -> None:
    manager = sign_in(make_login("duty_manager"))
    cid = _contact_on_server(manager, clock)
    login = make_login(group)
    them = sign_in(login)
    desk = _desk(them, clock)
    with pytest.raises(PermissionDenied):
        if event_type == "consent.recorded":
            desk.record_consent(cid, "given", given_by="Mother")
        else:
            desk.share_without_consent(cid, BASIS)
    assert them.engine.state.waiting_count() == 0  # nothing written on the desk

    # The same event sent straight to the server by that login, as a modified desk would.
    payload = (
        {"contact_id": cid, "status": "given", "given_by": "Mother"}
        if event_type == "consent.recorded"
        else {"contact_id": cid, "basis": BASIS, "approver": login.name}
    )
    forged = event(event_type, payload, clock.now(), actor=login.name, role=Role(group))
    with PgTransport(login.dsn) as transport:
        [receipt] = transport.submit([forged])
    assert receipt.status == "rejected"
    assert receipt.reason == f"the {group} role may not record {event_type}"
