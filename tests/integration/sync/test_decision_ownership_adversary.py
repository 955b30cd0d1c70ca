"""Adversarial checks of the server's decision-ownership rule (migration 0017), from the
model (docs/sync.md, "A decision belongs to one contact"), not its implementation.

The attacker is a real login with a real role, sending straight to ``submit``: the
recording and a forged event in one call (the forgery after the recording is stored a
moment before, in the same transaction), odd spellings of the id the look-up might miss,
and a restricted contact it cannot read. What is refused stores nothing; what is taken is
inert in the fold."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Login
from tests.integration.sync.test_decision_ownership_server import (
    AGAIN,
    ELSEWHERE,
    ONLY_OTHERS,
    _as,
    _fold,
)
from tests.integration.sync.test_submit_plans import _body

MakeLogin = Callable[[str], Login]


def _stored(dsn: str, ids: list[str]) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT id::text FROM dutydesk.events WHERE id = ANY(%s::uuid[])", (ids,)
        ).fetchall()
    return {r[0] for r in rows}


def _all_taken(login: Login, sent: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
    """``login`` submits one event per (type, payload); every one is accepted."""
    with PgTransport(login.dsn) as t:
        receipts = t.submit([_as(login, event(kind, p, now)) for kind, p in sent])
    assert {r.status for r in receipts} == {"accepted"}, receipts


def test_a_forgery_in_the_same_call_as_the_recording_is_refused(
    empty_server: str, make_login: MakeLogin, now: datetime
) -> None:
    """One submit: contacts A and B, two decisions recorded on A, then under B a second
    recording, a sign-off, an amendment, a return and a resolution of A's decisions. The
    look-up must see the recordings stored earlier in the same call."""
    dm = make_login("duty_manager")
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    d1, d2 = decision_payload(ca), decision_payload(ca, outcome="nfa", threshold_level=1)
    x, y = d1["decision_id"], d2["decision_id"]
    honest = [
        _as(dm, event("contact.received", a, now)),
        _as(dm, event("contact.received", b, now)),
        _as(dm, event("decision.recorded", d1, now)),
        _as(dm, event("decision.proposed", d2, now)),
    ]
    named = {"contact_id": cb, "decision_id": x}
    forged = [
        _as(dm, event("decision.recorded", decision_payload(cb, decision_id=x), now)),
        _as(dm, event("decision.proposed", decision_payload(ca, decision_id=y), now)),
        _as(dm, event("decision.signed_off", named, now)),
        _as(dm, event("decision.amended", {**named, "threshold_level": 1, "reason": "x"}, now)),
        _as(dm, event("decision.returned", {**named, "decision_id": y, "reason": "x"}, now)),
        _as(
            dm,
            event(
                "conflict.resolved",
                {"contact_id": cb, "decision_ids": [x, y], "chosen_decision_id": x, "reason": "x"},
                now,
            ),
        ),
    ]
    with PgTransport(dm.dsn) as t:
        receipts = t.submit([*honest, *forged])
    assert [r.status for r in receipts] == ["accepted"] * 4 + ["rejected"] * len(forged)
    reasons = [r.reason or "" for r in receipts[4:]]
    assert AGAIN in reasons[0] and AGAIN in reasons[1], reasons
    assert all(ELSEWHERE in why for why in reasons[2:5]), reasons
    assert ONLY_OTHERS in reasons[5], reasons
    assert _stored(empty_server, [e.id for e in forged]) == set()
    for e in forged:  # each refused event is one the fold ignores
        assert _fold([*honest, e]) == _fold(honest), e.type


def _raw(login: Login, kind: str, text: str, now: datetime) -> tuple[str, str | None]:
    """Submit one event of ``kind`` whose payload is exactly ``text`` (not re-encoded)."""
    e = _as(login, event(kind, {"contact_id": new_id(), "decision_id": new_id()}, now))
    body = json.loads(_body([e]))
    body[0]["payload_text"] = text
    with psycopg.connect(login.dsn) as conn:
        [(status, reason)] = conn.execute(
            "SELECT status, reason FROM dutydesk.submit(%s::jsonb)", (json.dumps(body),)
        ).fetchall()
    return status, reason


def test_no_spelling_of_another_contacts_decision_id_gets_past(
    empty_server: str, make_login: MakeLogin, now: datetime
) -> None:
    """A sign-off under B of A's decision, its id or contact written in every way a JSON
    reader might take as the same (upper case, braces, spaces, a number, a unicode escape,
    a duplicate key, null or missing contact, the id one level down): none is taken."""
    dm = make_login("duty_manager")
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    d = decision_payload(ca)
    x = d["decision_id"]
    _all_taken(
        dm, [("contact.received", a), ("contact.received", b), ("decision.proposed", d)], now
    )
    escaped = "\\u00" + format(ord(x[0]), "x") + x[1:]
    texts = {
        "upper case": f'{{"contact_id":"{cb}","decision_id":"{x.upper()}"}}',
        "braces": f'{{"contact_id":"{cb}","decision_id":"{{{x}}}"}}',
        "space": f'{{"contact_id":"{cb}","decision_id":" {x}"}}',
        "no hyphens": f'{{"contact_id":"{cb}","decision_id":"{x.replace("-", "")}"}}',
        "unicode escape": f'{{"contact_id":"{cb}","decision_id":"{escaped}"}}',
        "duplicate key": f'{{"contact_id":"{cb}","decision_id":"{new_id()}","decision_id":"{x}"}}',
        "contact null": f'{{"contact_id":null,"decision_id":"{x}"}}',
        "contact missing": f'{{"decision_id":"{x}"}}',
        "contact empty": f'{{"contact_id":"","decision_id":"{x}"}}',
        "nested": f'{{"contact_id":"{cb}","decision":{{"decision_id":"{x}"}}}}',
        "number": f'{{"contact_id":"{cb}","decision_id":1}}',
    }
    for name, text in texts.items():
        status, why = _raw(dm, "decision.signed_off", text, now)
        assert status == "rejected", (name, why)
    # and the same sign-off under A is taken (the check is not refusing everything)
    ok = json.dumps({"contact_id": ca, "decision_id": x}, separators=(",", ":"), sort_keys=True)
    assert _raw(dm, "decision.signed_off", ok, now) == ("accepted", None)
    with psycopg.connect(empty_server) as conn:
        signed = conn.execute(
            "SELECT count(*) FROM dutydesk.events WHERE type = 'decision.signed_off'"
        ).fetchone()
    assert signed == (1,)


def test_a_login_without_access_learns_nothing_of_a_restricted_contacts_decision(
    empty_server: str, make_login: MakeLogin, now: datetime
) -> None:
    """Under a restricted contact R it cannot read, a login's sign-off (or amendment, or
    return) of R's decision and of an id nobody recorded get the one answer: no access.
    Whether R holds the decision is not told by the ownership refusal coming first."""
    outsider, boss, insider = (
        make_login("duty_manager"),
        make_login("admin"),
        make_login("duty_manager"),
    )
    person = new_id()
    child = {
        "given_name": "Hidden",
        "family_name": "Child",
        "date_of_birth": "2019-04-03",
        "sex": "b",
        "person_id": person,
    }
    r = contact_payload(children=[child])
    cr = r["contact_id"]
    d = decision_payload(cr)
    restrict = {"person_id": person, "allowed": [insider.name], "reason": "staff member's child"}
    _all_taken(insider, [("contact.received", r), ("decision.proposed", d)], now)
    with PgTransport(boss.dsn) as t:
        [ok] = t.submit(
            [event("record.restricted", restrict, now, actor=boss.name, role=Role.ADMIN)]
        )
        assert ok.status == "accepted", ok.reason

    def answers(did: str) -> list[tuple[str, str | None]]:
        named = {"contact_id": cr, "decision_id": did}
        sent: list[Event] = [
            _as(outsider, event("decision.signed_off", named, now)),
            _as(outsider, event("decision.amended", {**named, "reason": "x"}, now)),
            _as(outsider, event("decision.returned", {**named, "reason": "x"}, now)),
        ]
        with PgTransport(outsider.dsn) as t:
            return [(x.status, x.reason) for x in t.submit(sent)]

    theirs, nobodys = answers(d["decision_id"]), answers(new_id())
    assert [s for s, _ in theirs] == ["rejected"] * 3
    assert theirs == nobodys
    assert all("restricted" in (why or "") for _, why in theirs), theirs


def test_a_next_step_completed_under_another_contact_is_refused(
    empty_server: str, make_login: MakeLogin, now: datetime
) -> None:
    """``next_step.completed`` names a decision and a contact as a sign-off does; a desk
    writes it only for a decision of that contact (``complete_next_step``), and the
    follow-through view ignores one naming another contact's decision. The server refuses
    it, in the same call as the recording or later, and takes the desk's own (and one for an
    id not recorded yet, which may still be on its way after a restore)."""
    dm = make_login("duty_manager")
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    d = decision_payload(ca)
    x = d["decision_id"]

    def step(cid: str, did: str, index: int = 0) -> Event:
        payload = {"contact_id": cid, "decision_id": did, "index": index}
        return _as(dm, event("next_step.completed", payload, now))

    forged = step(cb, x)
    with PgTransport(dm.dsn) as t:
        receipts = t.submit(
            [
                _as(dm, event("contact.received", a, now)),
                _as(dm, event("contact.received", b, now)),
                _as(dm, event("decision.recorded", d, now)),
                forged,
            ]
        )
        assert [r.status for r in receipts] == ["accepted"] * 3 + ["rejected"], receipts
        why = f"next_step.completed.decision_id: decision {x} {ELSEWHERE}"
        assert receipts[3].reason == why
        again = [step(cb, x, 1), step(ca, x), step(cb, new_id())]
        later = t.submit(again)
    assert [r.status for r in later] == ["rejected", "accepted", "accepted"], later
    assert ca not in (later[0].reason or "")
    assert _stored(empty_server, [forged.id, again[0].id]) == set()
