"""Issue 13, item 7: the people directory stays current on every desk without a restart.

Before, a shared-mode desk read ``dutydesk.directory()`` once, at sign-in: a person the
administrator added on the server could not be assigned anywhere, a new display name
never showed, and a login removed with ``server remove-user`` stayed on offer in Assign
until each desk was restarted. Now every sync round asks the server for the directory's
fingerprint (one short row) and reads the rows only when it changed; the desk's
directory (``LiveDirectory``) is replaced and the report says so, so the window shows
everyone by their name as it is now.

Two desks signed in through the real sign-in path (``connect_shared``) against the
throw-away PostgreSQL server, each with its own store.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.errors import ValidationError
from dutydesk.services.desk import DeskService
from dutydesk.shared_mode import SharedSession, connect_shared
from dutydesk.store.eventstore import EventStore
from dutydesk.sync.pg import admin
from tests.document_fixtures import document_service
from tests.factories import contact_payload, event
from tests.integration.reports.conftest import page_texts
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]
PASSWORD = "a long test password"
_serial = itertools.count()


@pytest.fixture
def sign_in(tmp_path: Path, clock: FixedClock) -> Iterator[Callable[[Login], SharedSession]]:
    """A desk signed in as ``login`` (its own store), closed after the test."""
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


def _with(desk: DeskService, contact_id: str) -> str | None:
    [item] = [i for i in desk.queue() if i.contact_id == contact_id]
    return item.assignee_name


def test_a_person_added_renamed_and_removed_on_the_server_shows_on_both_desks_without_restart(
    pg_server: str,
    make_login: MakeLogin,
    sign_in: Callable[[Login], SharedSession],
    clock: FixedClock,
) -> None:
    dm, worker = make_login("duty_manager"), make_login("practitioner")
    a, b = sign_in(dm), sign_in(worker)
    desk_a, desk_b = _desk(a, clock), _desk(b, clock)

    # Both desks are signed in; then the administrator adds a new practitioner.
    new = f"t{os.getpid() % 10000}.new{next(_serial)}"
    admin.add_user(pg_server, new, "practitioner", PASSWORD, display_name="Priya Shah")
    assert new not in desk_a.people() and new not in desk_b.people()
    with pytest.raises(ValidationError, match="nobody signs in"):
        desk_a.assign("any-contact", new)  # before a sync: not known here yet

    body = contact_payload()
    cid = body["contact_id"]
    desk_a.store.append([event("contact.received", body, clock.now(), actor=dm.name)])
    assert a.engine.sync().people_changed  # one sync, no restart
    assert desk_a.people().name_of(new) == "Priya Shah"
    assert new in [e.login for e in desk_a.people().assignable()]
    desk_a.assign(cid, new)  # Assign offers the new person now
    assert a.engine.sync().rejected_total == 0  # and the server accepts the assignment

    report = b.engine.sync()
    assert report.people_changed and report.pulled >= 2
    assert _with(desk_b, cid) == "Priya Shah"

    # Renamed on the server: the next sync on each desk shows the new name everywhere.
    admin.add_user(pg_server, new, "practitioner", None, display_name="Priya Khan")
    assert b.engine.sync().people_changed
    assert _with(desk_b, cid) == "Priya Khan"
    detail = desk_b.contact_detail(cid)
    assert detail is not None and detail.who(new) == f"Priya Khan ({new})"
    printed = document_service(b.engine.store, b.actor, clock, people=desk_b.people).case_log(
        contact_id=cid
    )
    text = " ".join(" ".join(page_texts(printed.pdf)).split())
    assert f"Assigned to Priya Khan ({new})" in text

    # Removed (`server remove-user`: NOLOGIN): no longer offered or accepted by Assign;
    # the record still shows who had the contact, by login.
    admin.remove_user(pg_server, new)
    assert a.engine.sync().people_changed
    assert new not in desk_a.people()
    with pytest.raises(ValidationError, match="nobody signs in"):
        desk_a.assign(cid, new)
    assert b.engine.sync().people_changed
    assert _with(desk_b, cid) == new


def test_an_unchanged_directory_costs_one_short_query_a_round(
    pg_server: str,
    make_login: MakeLogin,
    sign_in: Callable[[Login], SharedSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sign_in(make_login("practitioner"))
    transport = desk.engine.transport
    reads: list[int] = []
    digests: list[int] = []
    read_rows, read_digest = transport.directory, transport.directory_digest
    monkeypatch.setattr(transport, "directory", lambda: reads.append(1) or read_rows())
    monkeypatch.setattr(transport, "directory_digest", lambda: digests.append(1) or read_digest())

    desk.engine.sync()  # the first round reads the rows once: the same as at sign-in
    assert (len(digests), len(reads)) == (1, 1)
    for _ in range(3):
        assert not desk.engine.sync().people_changed
    assert (len(digests), len(reads)) == (4, 1)  # a fingerprint each round, no rows

    admin.add_user(pg_server, desk.actor.login, "practitioner", None, display_name="Renamed Rita")
    report = desk.engine.sync()
    assert report.people_changed and len(reads) == 2
    assert desk.directory.name_of(desk.actor.login) == "Renamed Rita"
