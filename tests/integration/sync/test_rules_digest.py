"""Desk and server agree on which DutyDesk wrote the server's event rules (migration 0010).

``server init|upgrade`` writes the payload rules from the installed DutyDesk's catalogue,
with no migration when only the rules change; the digest it stores lets a desk of another
version stop, by name, before it pushes anything the other rules would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
import pytest

from dutydesk.domain import server_rules
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.rules_sql import catalogue_rules, rules_digest
from dutydesk.sync.transport import IncompatibleServer
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Desk, Login

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]
GROUPS = [r.value for r in Role]
NAMED = "the server's event rules were written by a different DutyDesk version"

_real_rules = server_rules.rules


def _old_release_rules() -> dict[str, dict[str, Any]]:
    """The rules of the release before this one: every contact had to say whether a child
    was in immediate danger (imported history may now omit it)."""
    rules = _real_rules()
    rules["contact.received"]["required"].append("immediate_danger")
    return rules


@pytest.fixture
def restore_rules(pg_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test installs, the shared test server holds this version's rules after."""
    yield
    monkeypatch.undo()
    admin.upgrade(pg_server)


def _server_digest(admin_dsn: str) -> tuple[str, datetime]:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT digest, installed_at FROM dutydesk.rules_installed").fetchone()
    assert row is not None
    return str(row[0]), row[1]


def _contact(desk: Desk, now: datetime) -> Event:
    [e] = [event("contact.received", contact_payload(), now, actor=desk.login.name)]
    desk.store.append([e])
    return e


def _on_server(admin_dsn: str, ids: Sequence[str]) -> int:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE id = ANY(%s::uuid[])", (list(ids),)
        ).fetchone()
    return int(row[0])  # type: ignore[index]


def test_the_digest_covers_rules_policy_and_the_function_text() -> None:
    mine = catalogue_rules()
    assert mine.digest == rules_digest(mine.rules, mine.policy, mine.function)
    changed_policy = {**mine.policy, "break_glass_hours": mine.policy["break_glass_hours"] + 1}
    assert rules_digest(mine.rules, changed_policy, mine.function) != mine.digest
    assert rules_digest(_old_release_rules(), mine.policy, mine.function) != mine.digest
    assert rules_digest(mine.rules, mine.policy, mine.function + " ") != mine.digest


def test_a_desk_syncs_with_a_server_holding_its_rules(
    pg_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    assert _server_digest(pg_server)[0] == catalogue_rules().digest
    desk = make_desk(make_login("duty_manager"))
    sent = _contact(desk, now)
    report = desk.engine.sync()
    assert report.online and report.accepted == 1 and report.waiting == 0
    assert _on_server(pg_server, [sent.id]) == 1


def test_a_desk_of_another_rules_version_stops_by_name_until_the_server_is_upgraded(
    pg_server: str,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    restore_rules: None,
) -> None:
    # The server was upgraded with the previous release (same schema, other rules).
    monkeypatch.setattr(server_rules, "rules", _old_release_rules)
    assert admin.upgrade(pg_server) == []  # no migration: only the rules differ
    old_digest, _ = _server_digest(pg_server)
    monkeypatch.undo()
    assert old_digest != catalogue_rules().digest
    assert admin.status(pg_server)["pending_migrations"] == []
    assert "by another DutyDesk version" in str(admin.status(pg_server)["event_rules"])

    # A desk on this release stops with the message, and pushes nothing.
    desk = make_desk(make_login("duty_manager"))
    sent = _contact(desk, now)
    with pytest.raises(IncompatibleServer, match=NAMED) as caught:
        desk.engine.sync()
    assert "`dutydesk server upgrade` with this version" in str(caught.value)
    assert _on_server(pg_server, [sent.id]) == 0
    assert desk.engine.state.waiting_count() == 1

    # The administrator runs `server upgrade` with this release: the desk syncs again.
    assert admin.upgrade(pg_server) == []
    new_digest, _ = _server_digest(pg_server)
    assert new_digest == catalogue_rules().digest
    assert str(admin.status(pg_server)["event_rules"]).startswith("this DutyDesk version's")
    report = desk.engine.sync()
    assert report.online and report.accepted == 1 and report.waiting == 0
    assert _on_server(pg_server, [sent.id]) == 1

    # A desk still on the previous release is now the one told, and sends nothing.
    monkeypatch.setattr(server_rules, "rules", _old_release_rules)
    old_desk = make_desk(make_login("practitioner"))
    theirs = _contact(old_desk, now)
    with pytest.raises(IncompatibleServer, match=NAMED):
        old_desk.engine.sync()
    assert _on_server(pg_server, [theirs.id]) == 0


def test_upgrade_rewrites_the_digest_and_its_time(pg_server: str) -> None:
    digest, at = _server_digest(pg_server)
    admin.upgrade(pg_server)
    again, later = _server_digest(pg_server)
    assert again == digest == catalogue_rules().digest and later >= at


@pytest.mark.parametrize("group", GROUPS)
def test_an_ordinary_login_cannot_write_or_read_the_digest_table(
    pg_server: str, make_login: MakeLogin, group: str
) -> None:
    before = _server_digest(pg_server)
    with psycopg.connect(make_login(group).dsn, autocommit=True) as conn:
        assert conn.execute("SELECT dutydesk.rules_digest()").fetchone() == (before[0],)
        for statement in (
            "UPDATE dutydesk.rules_installed SET digest = repeat('0', 64)",
            "DELETE FROM dutydesk.rules_installed",
            "INSERT INTO dutydesk.rules_installed (singleton, digest) "
            "VALUES (true, repeat('0', 64)) ON CONFLICT (singleton) DO NOTHING",
            "TRUNCATE dutydesk.rules_installed",
            "SELECT digest FROM dutydesk.rules_installed",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert _server_digest(pg_server) == before
