"""No personal data in application log files: a demo load and service calls with logging
at DEBUG to a file, then the file is searched for the children's names, NHS numbers and
postcodes from the generated data."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from dutydesk.config.logging_setup import configure_logging
from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.events import Actor
from dutydesk.services.accounts import AccountService
from dutydesk.services.audit import AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (
        root.level,
        list(root.handlers),
        {n: logging.getLogger(n).level for n in ("sqlalchemy", "sqlalchemy.engine")},
    )
    yield
    for h in root.handlers:
        if h not in saved[1]:
            h.close()
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _personal_data(store: ChainedEventStore) -> set[str]:
    found: set[str] = set()
    for e in store.events():
        people = (
            [e.payload] if e.type.startswith("person.") else list(e.payload.get("children", ()))
        )
        for p in people:
            name = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
            if p.get("given_name") and p.get("family_name"):
                found.add(name)
            for key in ("nhs_number", "postcode", "address"):
                if p.get(key):
                    found.add(p[key])
        if e.type == "contact.received":
            found.add(e.payload["concern"][:40])
    return found


def _exercise(tmp_path: Path, clock: FixedClock) -> ChainedEventStore:
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    load_demo(store, seed=7, events=800, clock=clock)
    dm = Actor("dm.manager", Role.DUTY_MANAGER, "desk")
    guarded = GuardedStore(store, dm, clock)
    desk = DeskService(guarded, dm, clock)
    queue = desk.queue()
    desk.record_contact(contact_payload())
    audit = AuditService(guarded)
    audit.record_view(contact_id=queue[0].contact_id, reason="triage")
    audit.query()
    officer = Actor("cc.officer", Role.CONTACT_OFFICER, "desk")
    officer_desk = DeskService(GuardedStore(store, officer, clock), officer, clock)
    with pytest.raises(PermissionDenied):
        officer_desk.store.append(
            [
                officer_desk.event(
                    "decision.recorded",
                    {
                        "decision_id": queue[0].contact_id,
                        "contact_id": queue[0].contact_id,
                        "outcome": "nfa",
                        "threshold_level": 1,
                        "rationale": {"concerns_and_risks": queue[0].concern, "analysis": "none"},
                    },
                )
            ]
        )
    AccountService(store, clock).verify_password("nobody", "a wrong password")
    store.rebuild()
    assert store.verify_chain().ok
    return store


def test_log_file_holds_no_personal_data(
    tmp_path: Path, clock: FixedClock, restore_logging: None
) -> None:
    log_file = tmp_path / "dutydesk.log"
    configure_logging(logging.DEBUG, log_file)
    store = _exercise(tmp_path, clock)
    text = log_file.read_text(encoding="utf-8")
    personal = _personal_data(store)
    store.close()
    assert len(personal) > 100
    assert "refused 1 event(s) (decision.recorded) from cc.officer" in text  # it did log
    leaks = sorted(p for p in personal if p in text)
    assert leaks == []


def test_the_scan_would_catch_a_library_logging_rows(
    tmp_path: Path, clock: FixedClock, restore_logging: None
) -> None:
    """Control: without DutyDesk's set-up, SQLAlchemy at DEBUG writes records to the log."""
    log_file = tmp_path / "leaky.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    store = _exercise(tmp_path, clock)
    handler.flush()
    personal = _personal_data(store)
    store.close()
    assert any(p in log_file.read_text(encoding="utf-8") for p in personal)
