"""After an out-of-order pull only the disturbed contacts are refolded; other rows stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import text

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Desk, Login

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]

# SQLite triggers that log every row written to the projection tables (test-only).
_TABLES = {
    "contacts": "contact_id",
    "contact_children": "contact_id",
    "decisions": "contact_id",
    "people": "person_id",
}


def _watch_writes(desk: Desk) -> None:
    with desk.store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS write_log (tbl TEXT, k TEXT)"))
        for table, key in _TABLES.items():
            for when, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")):
                conn.execute(
                    text(
                        f"CREATE TRIGGER IF NOT EXISTS log_{table}_{when} AFTER {when} ON {table} "
                        f"BEGIN INSERT INTO write_log VALUES ('{table}', {row}.{key}); END"
                    )
                )


def _writes(desk: Desk) -> set[tuple[str, str]]:
    with desk.store.engine.connect() as conn:
        return {(r[0], r[1]) for r in conn.execute(text("SELECT tbl, k FROM write_log"))}


def _rate(desk: Desk, cid: str, rating: str, at: datetime) -> Event:
    e = event(
        "contact.rated",
        {"contact_id": cid, "score": 1, "rating": rating, "reasons": [], "policy_version": "t"},
        at,
        actor=desk.login.name,
        role=Role.DUTY_MANAGER,
    )
    desk.store.append([e])
    return e


def test_an_out_of_order_pull_rewrites_only_the_contact_it_disturbed(
    make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    a, b = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    contacts = [
        event("contact.received", contact_payload(), now, actor=a.login.name) for _ in range(12)
    ]
    a.store.append(contacts)
    a.engine.sync()
    b.engine.sync()
    disturbed = contacts[3].payload["contact_id"]
    quiet = contacts[7].payload["contact_id"]
    _rate(a, disturbed, "red", now)
    _rate(b, disturbed, "green", now - timedelta(hours=5))  # b's clock is behind
    _rate(b, quiet, "amber", now)  # b's own, not disturbed by a
    a.engine.sync()  # a's red gets the earlier seq
    before = b.store.read_model()
    _watch_writes(b)
    report = b.engine.sync()  # b folded green then gets red
    assert report.online and report.rebuilt and report.pulled == 1
    a.engine.sync()
    after = b.store.read_model()
    assert after.contacts[disturbed].rating == "green"  # server order: red, then green
    assert after == a.store.read_model()
    written = _writes(b)
    assert written and {k for _, k in written} == {disturbed}
    for cid, row in before.contacts.items():
        if cid != disturbed:
            assert after.contacts[cid] == row


def test_an_in_order_pull_refolds_nothing(
    make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    a, b = make_desk(make_login("duty_manager")), make_desk(make_login("duty_manager"))
    a.store.append([event("contact.received", contact_payload(), now, actor=a.login.name)])
    a.engine.sync()
    b.engine.sync()
    received = event("contact.received", contact_payload(), now, actor=a.login.name)
    a.store.append([received])
    a.engine.sync()
    _watch_writes(b)
    report = b.engine.sync()
    assert report.pulled == 1 and not report.rebuilt
    # Only the incremental fold of the new contact wrote anything.
    assert {k for _, k in _writes(b)} == {received.payload["contact_id"]}
