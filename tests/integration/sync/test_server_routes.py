"""The shared server takes the follow-through events from the roles the one permission
table allows and refuses the others (issue 21), as ordinary logins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import contact_payload, event
from tests.integration.sync.conftest import Login

MakeLogin = Callable[[str], Login]
Connect = Callable[[Login], PgTransport]


def _as(login: Login, kind: str, payload: dict[str, object], at: datetime) -> Event:
    return event(kind, payload, at, actor=login.name, role=Role(login.group))


def test_server_takes_routes_and_strategy_discussions_from_practitioners(
    make_login: MakeLogin, connect: Connect, now: datetime
) -> None:
    pr = make_login("practitioner")
    body = contact_payload()
    cid = body["contact_id"]
    route = new_id()
    batch = [
        _as(pr, "contact.received", body, now),
        _as(pr, "contact.taken", {"contact_id": cid}, now),
        _as(
            pr,
            "route.opened",
            {"route_id": route, "contact_id": cid, "kind": "strategy_s47", "slot": 0},
            now,
        ),
        _as(
            pr,
            "strategy.discussed",
            {
                "discussion_id": new_id(),
                "contact_id": cid,
                "slots": [0],
                "route_id": route,
                "held_at": now.isoformat(),
                "decision": "s47_joint",
                "s47_started_on": now.date().isoformat(),
                "attendees": [{"agency": "Police"}, {"agency": "Health"}],
            },
            now,
        ),
        _as(
            pr,
            "referrer.acknowledged",
            {"contact_id": cid, "kind": "acknowledgement", "method": "email"},
            now,
        ),
    ]
    results = connect(pr).submit(batch)
    assert [r.status for r in results] == ["accepted"] * len(batch), [r.reason for r in results]
    # merging duplicates and handing a route to another team belong to managers and seniors
    refused = connect(pr).submit(
        [
            _as(
                pr,
                "contact.merged",
                {
                    "contact_id": cid,
                    "into_contact_id": new_id(),
                    "reason": "the same notification twice",
                },
                now,
            ),
            _as(
                pr,
                "route.transferred",
                {"route_id": route, "contact_id": cid, "team": "Assessment Team 2"},
                now,
            ),
        ]
    )
    assert [r.status for r in refused] == ["rejected", "rejected"]
    assert refused[0].reason == "the practitioner role may not record contact.merged"
    dm = make_login("duty_manager")
    done = connect(dm).submit(
        [
            _as(
                dm,
                "route.transferred",
                {"route_id": route, "contact_id": cid, "team": "Assessment Team 2"},
                now,
            )
        ]
    )
    assert done[0].status == "accepted"
