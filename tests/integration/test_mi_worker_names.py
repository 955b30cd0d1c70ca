"""Issue 13, item 7 in management information: workers by name, not by login.

Before, the Annex A lists' "Allocated Worker" column (a list an authority hands to
Ofsted), the drill-down's worker column and the supervision-overdue bars showed the
login ("sw.tom"). Now they name the person from the people directory: the Annex A list
the name alone (it leaves the service), the screens the name with the login beside it.
A login the directory does not list stays as it is. (The caseload bars stay logins: the
supervision dialog records against them.)
"""

from __future__ import annotations

from datetime import date

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.mi.annex_a import HEADINGS, with_worker_names
from dutydesk.mi.records import Figure, Part, Ref
from dutydesk.services.mi import MiService, _workers_named
from dutydesk.store.eventstore import EventStore
from tests.factories import add_account, contact_payload, event

MANAGER = Actor("dm.one", Role.DUTY_MANAGER, "test-desk")
NAMES = {"sw.tom": "Tom Okafor"}


def test_the_drill_down_names_the_worker(store: EventStore, clock: FixedClock) -> None:
    add_account(store, clock, "sw.tom", Role.PRACTITIONER, "Tom Okafor")
    body, other = contact_payload(), contact_payload()
    store.append(
        [
            event("contact.received", body, clock.now()),
            event("contact.received", other, clock.now()),
            event(
                "contact.assigned",
                {"contact_id": body["contact_id"], "assignee": "sw.tom"},
                clock.now(),
            ),
            event(
                "contact.assigned",
                {"contact_id": other["contact_id"], "assignee": "dm.manager"},
                clock.now(),
            ),
        ]
    )
    rows = MiService(store, clock, actor=MANAGER).drill(
        [Ref(body["contact_id"]), Ref(other["contact_id"])]
    )
    assert [r.worker for r in rows] == ["Tom Okafor (sw.tom)", "dm.manager"]  # not listed


def test_annex_a_allocated_worker_is_the_persons_name() -> None:
    at = HEADINGS[3].index("Allocated Worker")
    row = tuple(f"cell{i}" for i in range(len(HEADINGS[3])))
    mine = row[:at] + ("sw.tom",) + row[at + 1 :]
    theirs = row[:at] + ("x.unknown",) + row[at + 1 :]
    blank = row[:at] + ("",) + row[at + 1 :]
    named = with_worker_names(3, [mine, theirs, blank], NAMES)
    assert [r[at] for r in named] == ["Tom Okafor", "x.unknown", ""]
    assert [r[:at] + r[at + 1 :] for r in named] == [row[:at] + row[at + 1 :]] * 3
    for list_no in (4, 5):
        at = HEADINGS[list_no].index("Allocated Worker")
        cells = tuple("sw.tom" if i == at else "x" for i in range(len(HEADINGS[list_no])))
        assert with_worker_names(list_no, [cells], NAMES)[0][at] == "Tom Okafor"
    first = ("sw.tom",) * len(HEADINGS[1])  # List 1 has no worker column: untouched
    assert with_worker_names(1, [first], NAMES) == [first]


def test_supervision_bars_name_the_worker_and_caseload_bars_keep_the_login() -> None:
    overdue = Figure(
        "supervision_overdue",
        "Supervision overdue (workers)",
        1,
        "count",
        parts=(
            Part(f"sw.tom (due {date(2026, 11, 5)})", 21, (Ref(None, None, "sw.tom"),)),
            Part("x.unknown (none recorded)", 0, (Ref(None, None, "x.unknown"),)),
        ),
    )
    load = Figure(
        "caseload", "Workers over the caseload cap (12)", 0, "count", parts=(Part("sw.tom", 3),)
    )
    named = {f.key: f for f in _workers_named((overdue, load), NAMES)}
    assert [p.label for p in named["supervision_overdue"].parts] == [
        "Tom Okafor (sw.tom) (due 2026-11-05)",
        "x.unknown (none recorded)",
    ]
    assert [p.label for p in named["caseload"].parts] == ["sw.tom"]
