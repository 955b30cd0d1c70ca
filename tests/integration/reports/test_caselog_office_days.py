"""The printed case log counts working days on the desk's own office calendar (its triage
policy's ``office``), as the follow-through view and MI do, not on the default calendar."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.routes import ICPC_WORKING_DAYS
from dutydesk.domain.timescales import OfficeHours, nth_working_day
from dutydesk.paths import STORE_FILE
from dutydesk.reports.page import format_date
from dutydesk.services.followthrough import FollowThroughService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.local_store import open_local_store
from dutydesk.services.triage import policy_from
from dutydesk.store.chain import ChainedEventStore
from tests.document_fixtures import document_service
from tests.factories import contact_payload, event
from tests.integration.test_mi_office_days import saturday_policy, use_policy
from tests.integration.test_signing_keys import SENIOR, _cli, _desk_with_senior

THU = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
DM = Actor("dm.sam", Role.DUTY_MANAGER, "d1")


def test_case_log_icpc_due_is_on_the_desks_office_days(tmp_path: Path) -> None:
    office = policy_from(saturday_policy(tmp_path)).office
    default_due = nth_working_day(OfficeHours(), THU.date(), ICPC_WORKING_DAYS)
    six_day_due = nth_working_day(office, THU.date(), ICPC_WORKING_DAYS)
    assert six_day_due < default_due, "Saturdays count: the six-day office is due sooner"
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    try:
        clock = FixedClock(THU)
        body = contact_payload(
            children=[{"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"}],
            received_at=THU.isoformat(),
        )
        store.append([event("contact.received", body, THU)])
        cid = body["contact_id"]
        follow = FollowThroughService(GuardedStore(store, DM, clock), DM, clock, office)
        follow.record_strategy_discussion(
            cid,
            slots=[0],
            held_at=THU,
            decision="s47_single",
            attendees=[{"agency": "Police"}],
            s47_started_on=THU.date(),
        )
        (route,) = [r for r in follow.view().routes if r.kind == "strategy_s47"]
        (icpc,) = [c for c in route.clocks if c.label.startswith("Initial child protection")]
        assert icpc.due is not None and icpc.due.date() == six_day_due
        doc = document_service(store, DM, clock, office=office).case_log(contact_id=cid)
        text = " ".join(
            " ".join(p.extract_text() for p in PdfReader(io.BytesIO(doc.pdf)).pages).split()
        )
        assert (
            "initial child protection conference due by "
            f"{format_date(six_day_due.isoformat())} (15 working days)"
        ) in text
        assert f"due by {format_date(default_due.isoformat())}" not in text
    finally:
        store.close()


def test_the_print_command_uses_the_desks_policy_calendar(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    """``dutydesk print case-log`` reads the desk's policy (settings ``policy_file``), as
    MI and the exports do, so its ICPC due date is the follow-through's."""
    data, contact = _desk_with_senior(tmp_path, now, monkeypatch)
    held = now.astimezone(LONDON)
    store = open_local_store(data / STORE_FILE)
    try:
        clock = FixedClock(now)
        follow = FollowThroughService(GuardedStore(store, DM, clock), DM, clock, OfficeHours())
        follow.record_strategy_discussion(
            contact,
            slots=[0],
            held_at=held,
            decision="s47_single",
            attendees=[{"agency": "Police"}],
            s47_started_on=held.date(),
        )
    finally:
        store.close()
    use_policy(saturday_policy(tmp_path))
    six_day_due = nth_working_day(
        policy_from(saturday_policy(tmp_path)).office, held.date(), ICPC_WORKING_DAYS
    )
    assert six_day_due != nth_working_day(OfficeHours(), held.date(), ICPC_WORKING_DAYS)
    pdf = tmp_path / "log.pdf"
    assert (
        _cli(
            [
                "print",
                "case-log",
                "--contact",
                contact,
                "-o",
                str(pdf),
                "--data-dir",
                str(data),
                "--as",
                "sp.senior",
                "--password-stdin",
            ],
            SENIOR,
            monkeypatch,
        )
        == 0
    )
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(pdf)).pages).split())
    assert (
        "initial child protection conference due by "
        f"{format_date(six_day_due.isoformat())} (15 working days)"
    ) in text
