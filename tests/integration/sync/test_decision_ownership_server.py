"""The server refuses a decision event that names a decision not its contact's (migration 0017).

The model (docs/sync.md, "A decision belongs to one contact"): a decision belongs to the
contact whose ``decision.recorded`` or ``decision.proposed`` names its id first in the
log's order; a later recording of the id, or a sign-off, amendment or return naming it
under another contact, changes nothing on any desk (``projection._decision``,
``_own_decision``); a resolution supersedes only its own contact's decisions. Written as
the attacker: real logins in real roles send such events, through a desk's sync and
straight to ``submit``; each is refused with a reason naming its field, nothing of it is
stored, and the desk's other events go through. The server never refuses what the fold
takes: every refusal below is checked against the fold (the event changes nothing), and
the ordinary flows (record, propose, four-eyes sign-off, amend, return, two desks'
conflicting decisions and their resolution) are taken. A server that stored such events
before 0017 is upgraded without fuss and keeps them (inert on every desk).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dutydesk.domain import projection
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin, rules_sql
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Desk, Login
from tests.integration.sync.test_submit_plans import _body

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]
_serial = itertools.count()

AGAIN = (
    "is already recorded or proposed; a decision is recorded once (change it by amending "
    "it, or decide again under a new id)"
)
ELSEWHERE = (
    "belongs to another contact; an event about a decision names the contact it was recorded on"
)
ONLY_OTHERS = (
    "every decision listed belongs to another contact; a conflict is resolved among its "
    "own contact's decisions"
)


def _as(login: Login, e: Event) -> Event:
    """``e`` sent by ``login`` in its own role (the server checks both)."""
    return dataclasses.replace(e, actor=login.name, actor_role=login.group)


@dataclasses.dataclass
class Base:
    """Contact A with two recorded decisions (conflicting) and a proposal waiting for
    sign-off; contact B with a decision of its own. Fresh ids every time."""

    a: str
    b: str
    d1: str
    d2: str
    proposal: str
    own_b: str
    log: list[Event]


def _base(dm: Login, other_dm: Login, pr: Login, now: datetime) -> Base:
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    d1, d2 = decision_payload(ca), decision_payload(ca, outcome="early_help", threshold_level=2)
    prop = decision_payload(ca, outcome="nfa", threshold_level=1)
    own_b = decision_payload(cb, outcome="early_help", threshold_level=2)
    log = [
        _as(dm, event("contact.received", a, now)),
        _as(dm, event("contact.received", b, now)),
        _as(dm, event("decision.recorded", d1, now)),
        _as(other_dm, event("decision.recorded", d2, now)),
        _as(pr, event("decision.proposed", prop, now)),
        _as(dm, event("decision.recorded", own_b, now)),
    ]
    ids = (d1["decision_id"], d2["decision_id"], prop["decision_id"], own_b["decision_id"])
    return Base(ca, cb, *ids, log)


def _kinds(base: Base, dm: Login, pr: Login, now: datetime) -> dict[str, tuple[Event, str | None]]:
    """Every decision event kind, naming a decision in every way, and the refusal the
    server must give (None: taken)."""
    a, b = base.a, base.b

    def ev(kind: str, payload: dict[str, Any], who: Login = dm) -> Event:
        return _as(who, event(kind, payload, now))

    def recording(cid: str, did: str) -> dict[str, Any]:
        return decision_payload(cid, decision_id=did, outcome="nfa", threshold_level=1)

    amend = {"outcome": "nfa", "threshold_level": 1, "reason": "changed after a strategy call"}
    unknown = new_id()
    return {
        # a recording or proposal of an id already recorded: under another contact, or its own
        "recorded again under another contact": (
            ev("decision.recorded", recording(b, base.d1)),
            f"decision.recorded.decision_id: decision {base.d1} {AGAIN}",
        ),
        "recorded again under its own contact": (
            ev("decision.recorded", recording(a, base.d1)),
            f"decision.recorded.decision_id: decision {base.d1} {AGAIN}",
        ),
        "proposed again under another contact": (
            ev("decision.proposed", recording(b, base.proposal), pr),
            f"decision.proposed.decision_id: decision {base.proposal} {AGAIN}",
        ),
        "proposed with a recorded id": (
            ev("decision.proposed", recording(a, base.d2), pr),
            f"decision.proposed.decision_id: decision {base.d2} {AGAIN}",
        ),
        # acting on another contact's decision
        "signed off under another contact": (
            ev("decision.signed_off", {"contact_id": b, "decision_id": base.proposal}),
            f"decision.signed_off.decision_id: decision {base.proposal} {ELSEWHERE}",
        ),
        "amended under another contact": (
            ev("decision.amended", {"contact_id": b, "decision_id": base.d1, **amend}),
            f"decision.amended.decision_id: decision {base.d1} {ELSEWHERE}",
        ),
        "returned under another contact": (
            ev(
                "decision.returned",
                {"contact_id": b, "decision_id": base.proposal, "reason": "not mine to send"},
            ),
            f"decision.returned.decision_id: decision {base.proposal} {ELSEWHERE}",
        ),
        "resolved under another contact": (
            ev(
                "conflict.resolved",
                {
                    "contact_id": b,
                    "decision_ids": [base.d1, base.d2],
                    "chosen_decision_id": base.d2,
                    "reason": "picked the other contact's",
                },
            ),
            f"conflict.resolved.decision_ids: {ONLY_OTHERS}",
        ),
        # the ordinary flows on the decision's own contact: taken
        "recorded with a new id": (ev("decision.recorded", recording(a, new_id())), None),
        "proposed with a new id": (ev("decision.proposed", recording(a, new_id()), pr), None),
        "signed off (four eyes)": (
            ev("decision.signed_off", {"contact_id": a, "decision_id": base.proposal}),
            None,
        ),
        "amended": (
            ev("decision.amended", {"contact_id": a, "decision_id": base.d1, **amend}),
            None,
        ),
        "returned": (
            ev(
                "decision.returned",
                {"contact_id": a, "decision_id": base.proposal, "reason": "say more about risk"},
            ),
            None,
        ),
        "resolved": (
            ev(
                "conflict.resolved",
                {
                    "contact_id": a,
                    "decision_ids": [base.d1, base.d2],
                    "chosen_decision_id": base.d2,
                    "reason": "the later one had the police check",
                },
            ),
            None,
        ),
        # what the fold ignores but the server cannot tell from an event still on its way
        # (or that the fold partly takes): taken, inert
        "signed off, id not recorded yet": (
            ev("decision.signed_off", {"contact_id": b, "decision_id": unknown}),
            None,
        ),
        "resolved listing one decision of its own": (
            ev(
                "conflict.resolved",
                {
                    "contact_id": b,
                    "decision_ids": [base.d1, base.own_b],
                    "chosen_decision_id": base.d1,
                    "reason": "mixed up",
                },
            ),
            None,
        ),
    }


def _fold(log: list[Event]) -> projection.ReadModel:
    return projection.apply_all(projection.ReadModel(), log)


def test_every_refusal_is_an_event_the_fold_ignores_and_each_crafted_kind_is_refused(
    empty_server: str, make_login: MakeLogin, connect: Callable[[Login], PgTransport], now: datetime
) -> None:
    dm, other_dm, pr = (
        make_login("duty_manager"),
        make_login("duty_manager"),
        make_login("practitioner"),
    )
    to = {who.name: connect(who) for who in (dm, other_dm, pr)}
    for name in _kinds(_base(dm, other_dm, pr, now), dm, pr, now):
        base = _base(dm, other_dm, pr, now)  # fresh ids: one case never meets another
        for who in (dm, other_dm, pr):
            mine = [e for e in base.log if e.actor == who.name]
            assert {r.status for r in to[who.name].submit(mine)} == {"accepted"}
        sent, refusal = _kinds(base, dm, pr, now)[name]
        [receipt] = to[sent.actor].submit([sent])
        if refusal is None:
            assert receipt.status == "accepted", (name, receipt.reason)
        else:
            assert (receipt.status, receipt.reason) == ("rejected", refusal), name
            assert base.a not in refusal  # the contact holding the decision is not named
            # the desks' fold: this event changes nothing, whatever it names
            assert _fold([*base.log, sent]) == _fold(base.log), name


def test_a_desk_pushing_crafted_decision_events_has_them_refused_and_the_rest_taken(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """A desk whose store was written around the services (a crafted or faulty desk)
    pushes, among ordinary events, a sign-off, amendment, return, resolution and second
    recording naming another contact's decisions: each refused with its reason, none
    stored on the server, the desk's other events accepted in the same round, the desk's
    rows those of its log without them, and another desk sees only the accepted ones."""
    dm, pr, crafter_login, watcher = (
        make_login("duty_manager"),
        make_login("practitioner"),
        make_login("duty_manager"),
        make_login("duty_manager"),
    )
    owner, proposer, crafter, other = (make_desk(x) for x in (dm, pr, crafter_login, watcher))
    base = _base(dm, dm, pr, now)
    owner.store.append([e for e in base.log if e.actor == dm.name])
    assert owner.engine.sync().accepted == 5
    proposer.store.append([e for e in base.log if e.actor == pr.name])
    assert proposer.engine.sync().accepted == 1
    assert crafter.engine.sync().pulled == 6
    clean = crafter.store.read_model()

    kinds = _kinds(base, crafter_login, pr, now)
    crafted = [
        _as(crafter_login, kinds[k][0])
        for k in (
            "signed off under another contact",
            "amended under another contact",
            "returned under another contact",
            "resolved under another contact",
            "recorded again under another contact",
            "recorded again under its own contact",
        )
    ]
    fine = [
        _as(crafter_login, event("contact.received", contact_payload(), now)),
        _as(crafter_login, event("note.added", {"contact_id": base.b, "text": "rang school"}, now)),
    ]
    crafter.store.append([fine[0], *crafted[:3], fine[1], *crafted[3:]])
    with psycopg.connect(empty_server) as conn:
        head_before = conn.execute("SELECT last_seq FROM dutydesk.counter").fetchone()

    report = crafter.engine.sync()
    assert (report.accepted, report.rejected) == (2, len(crafted)), report
    rejected = {r.event_id: r.reason for r in crafter.engine.state.rejected()}
    assert set(rejected) == {e.id for e in crafted}
    assert all(
        (ELSEWHERE in why or AGAIN in why or ONLY_OTHERS in why) for why in rejected.values()
    ), rejected
    with psycopg.connect(empty_server) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT id FROM dutydesk.events")}
        head_after = conn.execute("SELECT last_seq FROM dutydesk.counter").fetchone()
    assert not stored & {e.id for e in crafted}  # nothing of them written
    assert {e.id for e in fine} <= stored
    assert head_after[0] == head_before[0] + 2  # type: ignore[index]
    with psycopg.connect(watcher.dsn) as conn:
        assert conn.execute(
            "SELECT checked, problem FROM dutydesk.chain_check(0, 1000)"
        ).fetchone() == (8, None)

    # the desk's rows: its log without the refused events (the sync refolded them out)
    after = crafter.store.read_model()
    assert after.decisions == clean.decisions
    assert after.contacts[base.a] == clean.contacts[base.a]
    crafter.store.rebuild()
    assert crafter.store.read_model() == after
    # and its next round goes on: a new event is taken
    crafter.store.append([_as(crafter_login, event("contact.received", contact_payload(), now))])
    assert crafter.engine.sync().accepted == 1

    assert other.engine.sync().pulled == 9
    assert not {e.id for e in crafted} & {e.id for e in other.store.events()}


def test_the_ordinary_decision_flows_pass_in_one_round_and_across_desks(
    empty_server: str, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """Record and amend in one submit (the amendment sees the recording stored a moment
    before in the same call); a practitioner's proposal signed off by a duty manager on
    another desk (four eyes); a returned proposal proposed again under a new id; two desks'
    decisions on one contact (a conflict, a fact) resolved by a third."""
    dm1, dm2, pr = (
        make_login("duty_manager"),
        make_login("duty_manager"),
        make_login("practitioner"),
    )
    one, two, practitioner = make_desk(dm1), make_desk(dm2), make_desk(pr)
    c, d = contact_payload(), contact_payload()
    cid, did = c["contact_id"], d["contact_id"]
    first = decision_payload(cid)
    one.store.append(
        [
            _as(dm1, event("contact.received", c, now)),
            _as(dm1, event("contact.received", d, now)),
            _as(dm1, event("decision.recorded", first, now)),
            _as(
                dm1,
                event(
                    "decision.amended",
                    {
                        "contact_id": cid,
                        "decision_id": first["decision_id"],
                        "threshold_level": 3,
                        "reason": "strategy discussion not needed after the call",
                    },
                    now,
                ),
            ),
        ]
    )
    assert one.engine.sync().accepted == 4

    def send(desk: Desk, kind: str, payload: dict[str, Any]) -> None:
        """``desk`` records one event after pulling what the others sent; it is taken."""
        desk.engine.sync()
        desk.store.append([_as(desk.login, event(kind, payload, now))])
        report = desk.engine.sync()
        assert (report.accepted, report.rejected) == (1, 0), report

    proposal = decision_payload(did, outcome="early_help", threshold_level=2)
    send(practitioner, "decision.proposed", proposal)
    named = {"contact_id": did, "decision_id": proposal["decision_id"]}
    send(two, "decision.returned", {**named, "reason": "say what the family wants"})
    again = decision_payload(did, outcome="early_help", threshold_level=2)
    send(practitioner, "decision.proposed", again)
    two.engine.sync()
    signed = {"contact_id": did, "decision_id": again["decision_id"]}
    two.store.append([_as(dm2, event("decision.signed_off", signed, now))])
    # a second decision on C from another desk: a conflict, both kept
    second = decision_payload(cid, outcome="nfa", threshold_level=1)
    two.store.append([_as(dm2, event("decision.recorded", second, now))])
    report = two.engine.sync()
    assert (report.accepted, report.rejected) == (2, 0), report
    one.engine.sync()
    assert one.store.read_model().contacts[cid].conflict
    resolution = {
        "contact_id": cid,
        "decision_ids": [first["decision_id"], second["decision_id"]],
        "chosen_decision_id": first["decision_id"],
        "reason": "the first had the police information",
    }
    one.store.append([_as(dm1, event("conflict.resolved", resolution, now))])
    assert (one.engine.sync().rejected, two.engine.sync().rejected) == (0, 0)
    for desk in (one, two):
        model = desk.store.read_model()
        assert not model.contacts[cid].conflict
        assert model.decisions[again["decision_id"]].status == "signed_off"
        assert model.decisions[again["decision_id"]].decided_by == pr.name
        assert model.decisions[proposal["decision_id"]].status == "returned"
    assert one.store.read_model() == two.store.read_model()


# ---- a server that took such events before 0017 --------------------------------------------


def _database(pg_admin_dsn: str, pg_dsn: str, migrations: int) -> Iterator[tuple[str, str]]:
    """(admin DSN, login DSN template) of a new database at the first ``migrations``
    migrations, with the payload checks a server had then (``migrations`` < 17: no
    decision-ownership rule); dropped afterwards."""
    name = f"dutydesk_decown_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_dsn = make_conninfo(pg_admin_dsn, dbname=name)
    every = admin.migrations()
    assert every[16].name == "0017_decision_ownership.sql"
    checks = {
        k: v
        for k, v in rules_sql.SERVER_CHECKS.items()
        if migrations >= 17
        or not (k.startswith(("decision.", "conflict.")) or k in rules_sql.DECISION_STEP_TYPES)
    }
    with pytest.MonkeyPatch.context() as m:
        m.setattr(admin, "migrations", lambda *a, **k: every[:migrations])
        m.setattr(rules_sql, "SERVER_CHECKS", checks)
        assert admin.init(admin_dsn)[-1] == every[migrations - 1].name
    yield admin_dsn, make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def server_at_0016(pg_admin_dsn: str, pg_dsn: str) -> Iterator[tuple[str, str]]:
    yield from _database(pg_admin_dsn, pg_dsn, 16)


@pytest.fixture
def new_server(pg_admin_dsn: str, pg_dsn: str) -> Iterator[tuple[str, str]]:
    """A server on its first day: every migration, no event."""
    yield from _database(pg_admin_dsn, pg_dsn, len(admin.migrations()))


def _login(admin_dsn: str, base: str, group: str) -> Login:
    name = f"o{os.getpid() % 10000}.{group[:5]}{next(_serial)}"
    admin.add_user(admin_dsn, name, group, "a long test password")
    return Login(name, group, make_conninfo(base, user=name))


def test_an_upgraded_server_keeps_the_crafted_events_it_took_and_refuses_new_ones(
    server_at_0016: tuple[str, str], now: datetime, make_desk: MakeDesk
) -> None:
    admin_dsn, template = server_at_0016
    dm, other_dm, pr = (
        _login(admin_dsn, template, "duty_manager"),
        _login(admin_dsn, template, "duty_manager"),
        _login(admin_dsn, template, "practitioner"),
    )
    base = _base(dm, other_dm, pr, now)
    kinds = _kinds(base, dm, pr, now)
    old = [kinds[k][0] for k in kinds if kinds[k][1] is not None and kinds[k][0].actor == dm.name]
    with PgTransport(dm.dsn) as t:
        # a second recording of A's decision under B first: the id stays A's (first)
        assert {r.status for r in t.submit([e for e in base.log if e.actor == dm.name])} == {
            "accepted"
        }
    for who in (other_dm, pr):
        with PgTransport(who.dsn) as t:
            assert {r.status for r in t.submit([e for e in base.log if e.actor == who.name])} == {
                "accepted"
            }
    with PgTransport(dm.dsn) as t:
        assert {r.status for r in t.submit(old)} == {"accepted"}  # 0016 took them

    # 0017 and any later migration
    assert admin.upgrade(admin_dsn) == [m.name for m in admin.migrations()[16:]]

    with psycopg.connect(dm.dsn) as conn:
        checked, problem = conn.execute(
            "SELECT checked, problem FROM dutydesk.chain_check(0, 1000)"
        ).fetchone()  # type: ignore[misc]
    assert (checked, problem) == (len(base.log) + len(old), None)
    desk = make_desk(dm)
    report = desk.engine.sync()
    assert report.pulled == len(base.log) + len(old) and not report.quarantined_total, report
    pulled, folded = desk.store.read_model(), _fold(base.log)  # every desk ignores them
    assert (pulled.decisions, pulled.contacts) == (folded.decisions, folded.contacts)

    with PgTransport(dm.dsn) as t:
        again = [dataclasses.replace(e, id=new_id()) for e in old]
        receipts = t.submit(again)
        assert [r.status for r in receipts] == ["rejected"] * len(again), receipts
        # the first recording owns the id, however many followed it before 0017
        sign = {"contact_id": base.a, "decision_id": base.proposal}
        ok = t.submit([_as(dm, event("decision.signed_off", sign, now))])
        assert ok[0].status == "accepted", ok[0].reason
        stolen = {"contact_id": base.b, "decision_id": base.d1, "reason": "try again"}
        [refused] = t.submit([_as(dm, event("decision.amended", stolen, now))])
        assert refused.status == "rejected" and ELSEWHERE in (refused.reason or "")


# ---- the look-up stays a look-up -----------------------------------------------------------

# Rows of the event partitions this transaction read: by sequential scans, and fetched
# through any index (the primary key's included: walking it in sequence order to find one
# decision reads the log as surely as a sequential scan).
_READ = """SELECT coalesce(sum(s.seq_tup_read), 0), coalesce(sum(s.idx_tup_fetch), 0)
             FROM pg_catalog.pg_stat_xact_user_tables s
            WHERE s.schemaname = 'dutydesk' AND s.relname LIKE 'events%'"""


def test_a_session_planned_on_an_empty_server_finds_decisions_by_index_later(
    new_server: tuple[str, str], now: datetime
) -> None:
    """Each decision event costs the server a look-up of its id's first recording
    (``dutydesk.decision_contact``), whatever the log held when the session's plans were
    made: written as ``ORDER BY seq LIMIT 1``, the kept plan walked the partition's primary
    key, reading every event stored (43 ms per decision event at 52,000 events)."""
    admin_dsn, template = new_server
    dm = _login(admin_dsn, template, "duty_manager")
    cid = new_id()

    def recorded(n: int) -> list[Event]:
        return [_as(dm, event("decision.recorded", decision_payload(cid), now)) for _ in range(n)]

    def amended(of: list[Event]) -> list[Event]:
        change = {"contact_id": cid, "threshold_level": 3, "reason": "after the strategy call"}
        return [
            _as(
                dm,
                event("decision.amended", {**change, "decision_id": e.payload["decision_id"]}, now),
            )
            for e in of
        ]

    with psycopg.connect(dm.dsn) as conn:
        first = recorded(12)
        with conn.transaction():  # plans made and kept on an empty log
            rows = conn.execute(
                "SELECT status FROM dutydesk.submit(%s::jsonb)", (_body([*first, *amended(first)]),)
            ).fetchall()
        assert {r[0] for r in rows} == {"accepted"}

        filled: list[Event] = []
        with PgTransport(dm.dsn) as t:  # the log grows under the open session
            for _ in range(6):
                filled += recorded(250)
                assert {r.status for r in t.submit(filled[-250:])} == {"accepted"}

        later = [*recorded(20), *amended(filled[::75])]
        with conn.transaction():
            rows = conn.execute(
                "SELECT status FROM dutydesk.submit(%s::jsonb)", (_body(later),)
            ).fetchall()
            read_whole, fetched = conn.execute(_READ).fetchone()  # type: ignore[misc]
        assert [r[0] for r in rows] == ["accepted"] * len(later)
        assert read_whole == 0
        assert fetched <= 2 * len(later)  # each decision's first recording, or none


# ---- two logins recording one id at once ----------------------------------------------------


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_of_two_recordings_of_one_id_at_once_the_second_to_commit_is_not_taken(
    empty_server: str, make_login: MakeLogin, now: datetime, isolation: str
) -> None:
    """The first recording is the one the server orders first: a second login sending the
    same id while the first one's submit is still open waits for it (the counter row) and
    then meets it. A login that runs its submit in repeatable read (any login may set its
    own isolation) cannot take a stale view instead: its submit fails (serialization
    failure, retried by a desk), storing nothing."""
    first, second = make_login("duty_manager"), make_login("duty_manager")
    contact = contact_payload()
    did = new_id()
    mine = decision_payload(contact["contact_id"], decision_id=did)
    theirs = decision_payload(contact_payload()["contact_id"], decision_id=did, outcome="nfa")
    with psycopg.connect(first.dsn) as c1, psycopg.connect(second.dsn) as c2:
        c1.execute(
            "SELECT status FROM dutydesk.submit(%s::jsonb)",
            (_body([_as(first, event("decision.recorded", mine, now))]),),
        )  # open: the counter row stays locked until c1 commits
        c2.isolation_level = (
            psycopg.IsolationLevel.REPEATABLE_READ
            if isolation == "repeatable read"
            else psycopg.IsolationLevel.READ_COMMITTED
        )
        c2.execute("SELECT 1").fetchone()  # the snapshot of a repeatable read starts here
        outcome: list[Any] = []

        def send() -> None:
            try:
                outcome.extend(
                    c2.execute(
                        "SELECT status, reason FROM dutydesk.submit(%s::jsonb)",
                        (_body([_as(second, event("decision.recorded", theirs, now))]),),
                    ).fetchall()
                )
                c2.commit()
            except psycopg.errors.SerializationFailure as err:
                outcome.append(err)
                c2.rollback()

        waiting = threading.Thread(target=send)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive()  # waits for the first submit's commit
        c1.commit()
        waiting.join(30)
    [result] = outcome
    if isolation == "read committed":
        assert result == ("rejected", f"decision.recorded.decision_id: decision {did} {AGAIN}")
    else:
        assert isinstance(result, psycopg.errors.SerializationFailure)
    with psycopg.connect(empty_server) as conn:
        rows = conn.execute(
            "SELECT contact_id::text FROM dutydesk.events WHERE payload->>'decision_id' = %s",
            (did,),
        ).fetchall()
    assert rows == [(contact["contact_id"],)]


def test_no_login_may_call_the_look_ups_and_they_run_with_a_pinned_search_path(
    empty_server: str, make_login: MakeLogin
) -> None:
    """A login learns whose a decision is only as submit's refusal says it (never which
    contact): the look-ups are not granted to anyone, not definer functions, and pin
    ``search_path`` with ``pg_temp`` last (docs/sync.md, hardening)."""
    for group in ("duty_manager", "auditor", "admin"):
        with psycopg.connect(make_login(group).dsn) as conn:
            for call in (
                "SELECT dutydesk.decision_contact(%s)",
                "SELECT dutydesk.decisions_all_elsewhere(%s, '[]'::jsonb)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(call, (new_id(),))
                conn.rollback()
    with psycopg.connect(empty_server) as conn:
        rows = conn.execute(
            "SELECT p.proname, p.prosecdef, p.proconfig, p.proacl::text[] FROM pg_proc p "
            "WHERE p.pronamespace = 'dutydesk'::regnamespace "
            "AND p.proname IN ('decision_contact', 'decisions_all_elsewhere')"
        ).fetchall()
    assert len(rows) == 2
    for name, secdef, config, acl in rows:
        assert not secdef, name
        assert "search_path=pg_catalog, dutydesk, pg_temp" in config, name
        assert acl is not None and not any(a.startswith("=") for a in acl), name  # no PUBLIC
