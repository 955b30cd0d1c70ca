"""Issue 19: the sync engine's fast path (``SyncEngine.quick``) between full rounds.

A desk pushes a fresh local write in one round trip (the submit carries the state the
server must still be in, migration 0015), and pulls after a server poke in one (the state
and the pull pipelined), instead of a full round's seven. Written as the
attacker: the fast path must never store an event that a full round would have refused
on the spot (an event that does not match its own hash, or does not link to the one
before it), must not skip issue 13's withheld refresh, and hands everything it leaves
out (checkpoints, history, the sanity count) to the next full round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.ids import new_id
from dutydesk.store import withheld
from dutydesk.sync.engine import META_CURSOR, META_UNCHECKED
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Desk, Login, reset_server
from tests.integration.sync.test_withheld import (  # noqa: F401 (the fixture)
    _as_admin,
    _record_asks,
    desks,
)

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]


def _sql(admin_dsn: str, statement: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        conn.execute(statement)


@pytest.fixture
def pair(pg_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime):  # type: ignore[no-untyped-def]
    """Desks A and B holding one contact, each after a full round."""
    reset_server(pg_server)
    a = make_desk(make_login("duty_manager"))
    b = make_desk(make_login("duty_manager"))
    contact = event("contact.received", contact_payload(), now, actor=a.login.name)
    a.store.append([contact])
    assert a.engine.sync().accepted == 1
    assert b.engine.sync().pulled == 1
    yield a, b, contact.payload["contact_id"]
    reset_server(pg_server)


def _decision(desk: Desk, cid: str, now: datetime):  # type: ignore[no-untyped-def]
    return event(
        "decision.recorded",
        decision_payload(cid),
        now,
        actor=desk.login.name,
        role=Role.DUTY_MANAGER,
    )


def _count_calls(monkeypatch: pytest.MonkeyPatch, transport: object) -> list[str]:
    calls: list[str] = []
    for name in (
        "state",
        "quick_state",
        "quick_pull",
        "submit",
        "submit_at",
        "pull",
        "hash_at",
        "checkpoints",
        "checkpoint_keys",
        "range_check",
        "withheld",
    ):
        real = getattr(transport, name)

        def counted(*args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(transport, name, counted)
    return calls


def test_a_write_is_pushed_in_one_round_trip_and_a_poke_pulled_in_one(
    pair, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    a, b, cid = pair
    a_calls = _count_calls(monkeypatch, a.transport)
    b_calls = _count_calls(monkeypatch, b.transport)
    b.transport.wait_for_poke(0)  # B listens
    decision = _decision(a, cid, now)
    a.store.append([decision])
    report = a.engine.quick(pull=False)
    assert report is not None and report.online and report.accepted == 1
    assert report.waiting == 0
    assert a_calls == ["submit_at"]
    assert b.transport.wait_for_poke(5)
    report = b.engine.quick()
    assert report is not None and report.pulled == 1
    assert b_calls == ["quick_pull"]  # the decision names nobody new: no withheld ask
    assert b.store.get_event(decision.id) is not None
    assert b.store.read_model().contacts[cid].status == "decided"


def test_the_fast_path_runs_only_on_top_of_a_full_round_with_the_same_epoch(
    pg_server: str, pair, now: datetime, make_login: MakeLogin, make_desk: MakeDesk
) -> None:  # type: ignore[no-untyped-def]
    a, _b, cid = pair
    fresh = make_desk(make_login("duty_manager"))
    assert fresh.engine.quick() is None  # never had a full round
    assert fresh.engine.sync().pulled == 1
    assert fresh.engine.quick() is not None
    _sql(pg_server, "UPDATE dutydesk.server_info SET epoch = gen_random_uuid()")
    a.store.append([_decision(a, cid, now)])
    assert a.engine.quick(pull=False) is None  # a restored server: a full round decides
    assert a.engine.state.waiting_count() == 1  # nothing was sent to it
    assert fresh.engine.quick() is None


def test_an_edited_event_is_not_stored_by_the_fast_path(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    """The server's owner edits the new event before B pulls it: B's fast path checks it
    against its own hash, stores nothing and leaves it to a full round."""
    a, b, cid = pair
    decision = _decision(a, cid, now)
    a.store.append([decision])
    assert a.engine.quick(pull=False) is not None
    _sql(pg_server, f"UPDATE dutydesk.events SET device = 'edited' WHERE id = '{decision.id}'")
    assert b.engine.quick() is None
    assert b.store.get_event(decision.id) is None
    assert not b.store.get_meta(META_UNCHECKED)  # nothing stored, nothing to count


def test_an_event_that_does_not_link_to_the_one_held_is_not_stored(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    """The owner rewrites the event B already holds and re-chains the next one onto the
    rewrite: the next event matches its own hash, but not the link to what B holds. The
    fast path stores nothing and hands over to a full round (which, past the newest
    signed checkpoint, does not check links: issue 12's rules, unchanged here)."""
    a, b, cid = pair
    decision = _decision(a, cid, now)
    a.store.append([decision])
    assert a.engine.quick(pull=False) is not None
    _sql(
        pg_server,
        f"""UPDATE dutydesk.events SET prev_hash = repeat('1', 64),
               hash = dutydesk.event_hash(repeat('1', 64), dutydesk.canonical_json(
                   jsonb_build_object('actor', actor, 'actor_role', actor_role,
                   'client_time', client_time, 'device', device, 'id', id::text,
                   'payload', payload_text::jsonb, 'schema_version', schema_version,
                   'server_seq', seq, 'server_time', server_time, 'type', type)))
             WHERE id = '{decision.id}'""",
    )
    assert b.engine.quick() is None
    assert b.store.get_event(decision.id) is None
    assert b.engine.quick() is None  # and again: it never stores it


def test_the_next_full_round_counts_what_the_fast_path_pulled(
    pair, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    a, b, cid = pair
    cursor = int(b.store.get_meta("sync_cursor") or 0)
    for _ in range(2):
        a.store.append([_decision(a, cid, now)])
        assert a.engine.quick(pull=False) is not None
        assert b.engine.quick() is not None
    assert b.store.get_meta(META_UNCHECKED) == str(cursor)
    asked: list[tuple[int, int]] = []
    real = b.transport.range_check

    def recording(after, upto, hash_seq):  # type: ignore[no-untyped-def]
        asked.append((after, upto))
        return real(after, upto, hash_seq)

    monkeypatch.setattr(b.transport, "range_check", recording)
    report = b.engine.sync()
    assert report.warnings == () and report.pulled == 0
    assert asked == [(cursor, cursor + 2)]
    assert b.store.get_meta(META_UNCHECKED) == ""


def test_a_poke_withholds_a_restricted_child_named_by_a_readable_event(
    desks,  # noqa: F811
    tmp_path: Path,
    clock: FixedClock,
    make_login: MakeLogin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    """Issue 13's check on the fast path: a contact naming a restricted child, readable
    by B once the child is unlinked from it, arrives by a poke; the child is withheld
    before ``quick`` returns. Then a restriction made on a child B already holds moves
    the stamp, and the next poke asks about everyone B holds."""
    a, b, manager, _practitioner = desks
    child = new_id()
    a.desk.store.append(
        [
            a.desk.event(
                "person.registered",
                {
                    "person_id": child,
                    "given_name": "Aoife",
                    "family_name": "Family0",
                    "date_of_birth": "2025-12-02",
                },
            )
        ]
    )
    a.sync()
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: audit.restrict(child, [manager.name], "Named workers only."),
    )
    b.sync()
    engine = b.shared.engine
    asked = _record_asks(b, monkeypatch)
    payload = contact_payload()
    payload["children"][0]["person_id"] = child
    payload["children"][0]["slot"] = 0
    contact = a.desk.event("contact.received", payload)
    unlink = a.desk.event(
        "person.unlinked",
        {
            "contact_id": payload["contact_id"],
            "slot": 0,
            "person_id": child,
            "reason": "Not the child this contact is about.",
        },
    )
    a.desk.store.append([contact, unlink])
    assert a.shared.engine.quick(pull=False) is not None
    report = engine.quick()
    assert report is not None and report.pulled == 1
    assert asked == [[child]]
    with b.store.engine.connect() as conn:
        assert withheld.withheld_among(conn, [child]) == {child}

    # a child B holds is restricted: the stamp moves, and the next poke asks about all
    other = new_id()
    a.desk.store.append(
        [
            a.desk.event(
                "person.registered",
                {
                    "person_id": other,
                    "given_name": "Cian",
                    "family_name": "Family1",
                    "date_of_birth": "2024-01-02",
                },
            )
        ]
    )
    assert a.shared.engine.quick(pull=False) is not None
    assert engine.quick() is not None
    assert other in withheld.held_people(b.store.engine)
    asked.clear()
    _as_admin(
        make_login,
        tmp_path / "d",
        clock,
        lambda audit: audit.restrict(other, [manager.name], "Named workers only."),
    )
    assert engine.quick() is not None
    assert len(asked) == 2 and other in asked[1]
    with b.store.engine.connect() as conn:
        assert withheld.withheld_among(conn, [other]) == {other}


def _on_server(admin_dsn: str, event_id: str) -> bool:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM dutydesk.events WHERE id = %s", (event_id,))
        return row.fetchone() == (1,)


def _push_is_declined(a: Desk, admin_dsn: str, cid: str, now: datetime) -> None:
    """A's fast push declines (a full round decides) and nothing reached the server."""
    decision = _decision(a, cid, now)
    a.store.append([decision])
    assert a.engine.quick(pull=False) is None
    assert a.engine.state.waiting_count() == 1
    assert not _on_server(admin_dsn, decision.id)


def test_a_push_after_the_server_rules_changed_sends_nothing(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    """The server was upgraded by another DutyDesk version (its rules digest moved) since
    A's last full round: A's fast path sends nothing the other rules might judge."""
    a, _b, cid = pair
    with psycopg.connect(pg_server) as conn:
        [digest] = conn.execute("SELECT digest FROM dutydesk.rules_installed").fetchone()  # type: ignore[misc]
    _sql(pg_server, "UPDATE dutydesk.rules_installed SET digest = repeat('a', 64)")
    try:
        _push_is_declined(a, pg_server, cid, now)
    finally:
        _sql(pg_server, f"UPDATE dutydesk.rules_installed SET digest = '{digest}'")


def test_a_push_to_a_server_at_another_schema_sends_nothing(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    a, _b, cid = pair
    _sql(
        pg_server,
        "INSERT INTO dutydesk.schema_migrations (version, name, checksum) "
        "VALUES (9999, '9999_later.sql', 'x')",
    )
    try:
        _push_is_declined(a, pg_server, cid, now)
    finally:
        _sql(pg_server, "DELETE FROM dutydesk.schema_migrations WHERE version = 9999")


def test_a_push_to_a_server_behind_the_desk_sends_nothing(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    """The server's head is behind what A pulled (a log cut back under the same epoch):
    a full round finds out what happened before A sends anything."""
    a, _b, cid = pair
    a.store.set_meta(META_CURSOR, str(int(a.store.get_meta(META_CURSOR) or 0) + 5))
    _push_is_declined(a, pg_server, cid, now)


def test_a_push_to_a_restored_server_sends_nothing(pg_server: str, pair, now: datetime) -> None:  # type: ignore[no-untyped-def]
    a, _b, cid = pair
    _sql(pg_server, "UPDATE dutydesk.server_info SET epoch = gen_random_uuid()")
    _push_is_declined(a, pg_server, cid, now)


def test_a_push_to_a_server_without_submit_at_sends_nothing(
    pg_server: str, pair, now: datetime
) -> None:  # type: ignore[no-untyped-def]
    """A server restored to 0014 under the same epoch (no submit_at; schema 14): the
    fast path's submit_at fails with "no such function", which is not "the state matched":
    the desk must not fall back to plain submits that check nothing (review rev3)."""
    a, _b, cid = pair
    with psycopg.connect(pg_server) as conn:
        row = conn.execute(
            "SELECT version, name, checksum FROM dutydesk.schema_migrations WHERE version = 15"
        ).fetchone()
    assert row is not None
    _sql(pg_server, "DELETE FROM dutydesk.schema_migrations WHERE version = 15")
    _sql(
        pg_server,
        "ALTER FUNCTION dutydesk.submit_at(uuid, integer, text, bigint, jsonb) "
        "RENAME TO submit_at_gone",
    )
    try:
        _push_is_declined(a, pg_server, cid, now)
    finally:
        _sql(
            pg_server,
            "ALTER FUNCTION dutydesk.submit_at_gone(uuid, integer, text, bigint, jsonb) "
            "RENAME TO submit_at",
        )
        with psycopg.connect(pg_server) as conn:
            conn.execute(
                "INSERT INTO dutydesk.schema_migrations (version, name, checksum) "
                "VALUES (%s, %s, %s)",
                row,
            )


def test_an_unsendable_batch_on_a_restored_server_sends_nothing(
    pg_server: str, pair, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The desk refuses a batch before sending it (a lone surrogate in an old event:
    BatchRefused raised client-side, so the server checked no state): the fast path must
    not send the rest one by one through plain submit to a server whose epoch moved."""
    from dutydesk.sync.transport import BatchRefused

    a, _b, cid = pair
    _sql(pg_server, "UPDATE dutydesk.server_info SET epoch = gen_random_uuid()")

    def refuse(expect: object, events: object) -> None:
        raise BatchRefused("an event's text is not Unicode (a lone surrogate); it cannot be sent")

    monkeypatch.setattr(a.engine.transport, "submit_at", refuse)
    _push_is_declined(a, pg_server, cid, now)
