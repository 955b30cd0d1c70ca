"""Quarantined events in the audit (issue 12): an auditor, duty manager or administrator
sees every event this desk received from the server and could not apply (`dutydesk audit
quarantine`, ``AuditService.quarantined``): who recorded it, when, and why it was refused;
never the reason of one about a restricted record they may not read, nor of one too
malformed to tell what it is about. Nobody else sees the list."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dutydesk.app import STORE_FILE
from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.events import Actor, Event
from dutydesk.domain.ids import new_id
from dutydesk.services.audit import REDACTED_SUMMARY, AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.local_store import open_local_store
from dutydesk.store import quarantine
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload, event

ADMIN = Actor("ad.min", Role.ADMIN, "desk")
DM = Actor("dm.manager", Role.DUTY_MANAGER, "desk")
AUDITOR = Actor("au.ditor", Role.AUDITOR, "desk")
PRACTITIONER = Actor("pr.actice", Role.PRACTITIONER, "desk")
NAMED = "sp.senior"
PASSWORD = "correct horse battery staple"


def _received(payload: object, seq: int, kind: str = "note.added") -> Event:
    """An event as the server handed it over, malformed (so it was quarantined)."""
    return Event(
        id=new_id(),
        type=kind,
        actor="co.officer",
        actor_role="contact_officer",
        device="other-desk",
        client_time="2026-11-26T09:30:00+00:00",
        payload=payload,  # type: ignore[arg-type]
        server_seq=seq,
        server_time="2026-11-26T09:30:01Z",
        hash="a" * 64,
        prev_hash="b" * 64,
    )


@pytest.fixture
def held(tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    """A store holding an ordinary contact, a contact about a child whose record is
    restricted to sp.senior, and three quarantined events: about each contact, and one
    whose payload is not even an object."""
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    open_contact = contact_payload()
    pid = new_id()
    secret = contact_payload(
        children=[{"person_id": pid, "given_name": "Siobhán", "family_name": "O'Brien"}]
    )
    store.import_events(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Siobhán", "family_name": "O'Brien"},
                clock.now(),
            ),
            event("contact.received", open_contact, clock.now()),
            event("contact.received", secret, clock.now()),
        ]
    )
    AuditService(GuardedStore(store, ADMIN, clock)).restrict(pid, [NAMED], "child of staff")
    events = [
        _received({"contact_id": open_contact["contact_id"], "text": 42}, 7),
        _received({"person_id": pid, "text": 43, "note": "mum's new address is 1 Secret Row"}, 8),
        _received(["not", "an", "object"], 9, kind="note.added"),
    ]
    for e, why in zip(
        events,
        [
            "note.added.text: expected text, got 42",
            "note.added: unknown field note ('mum's new address is 1 Secret Row')",
            "the payload is not an object",
        ],
        strict=True,
    ):
        assert quarantine.add(store.engine, e, why, "2026-11-26T09:31:00+00:00")
    yield store, events
    store.close()


@pytest.mark.parametrize("actor", [AUDITOR, DM, ADMIN], ids=lambda a: a.role.value)
def test_an_auditor_sees_who_when_and_why_but_not_restricted_reasons(
    held, clock: FixedClock, actor: Actor
) -> None:  # type: ignore[no-untyped-def]
    store, events = held
    entries = AuditService(GuardedStore(store, actor, clock)).quarantined()
    assert [(e.server_seq, e.event_id, e.actor, e.event_type) for e in entries] == [
        (7, events[0].id, "co.officer", "note.added"),
        (8, events[1].id, "co.officer", "note.added"),
        (9, events[2].id, "co.officer", "note.added"),
    ]
    assert all(e.client_time == "2026-11-26T09:30:00+00:00" for e in entries)
    assert entries[0].reason == "note.added.text: expected text, got 42"
    assert entries[1].reason == REDACTED_SUMMARY  # about a record restricted to sp.senior
    assert entries[2].reason == REDACTED_SUMMARY  # cannot tell what it is about
    assert "Secret Row" not in repr(entries)


def test_nobody_without_the_audit_right_sees_the_list(held, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    store, _ = held
    with pytest.raises(PermissionDenied):
        AuditService(GuardedStore(store, PRACTITIONER, clock)).quarantined()


def test_the_audit_command_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path), "--password-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["admin", "init", *d, "--login", "ad.min", "--name", "Ada Admin"]) == 0
    store = open_local_store(tmp_path / STORE_FILE)
    bad = _received({"contact_id": new_id(), "text": 42}, 12)
    quarantine.add(store.engine, bad, "note.added.text: expected text", "2026-11-26T09:31:00Z")
    store.close()
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["audit", "quarantine", *d, "--as", "ad.min"]) == 0
    out = capsys.readouterr().out
    assert "1 event(s) received from the server held in quarantine" in out
    [row] = [line for line in out.splitlines() if line.startswith("12\t")]
    assert row.split("\t")[1:4] == [bad.id, "note.added", "co.officer"]
    assert row.endswith("note.added.text: expected text")
    assert "Traceback" not in out
