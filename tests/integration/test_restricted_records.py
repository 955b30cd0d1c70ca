"""Restricted records: others see the record exists but not its content; break-glass needs a
real reason, is logged, and appears on the break-glass report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore, RestrictedRecord
from dutydesk.services.redaction import HIDDEN_TEXT, RESTRICTED_TEXT, redact_queue
from dutydesk.store import withheld
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload, event

ADMIN = Actor("ad.min", Role.ADMIN, "desk")
DM = Actor("dm.manager", Role.DUTY_MANAGER, "desk")
NAMED = Actor("sp.senior", Role.SENIOR_PRACTITIONER, "desk")
AUDITOR = Actor("au.ditor", Role.AUDITOR, "desk")


@pytest.fixture
def chained(tmp_path, clock: FixedClock):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    yield store
    store.close()


def _seed(store: ChainedEventStore, clock: FixedClock) -> tuple[str, str]:
    """A contact about a child, and the child's record restricted to sp.senior."""
    pid = new_id()
    contact = contact_payload(
        children=[{"person_id": pid, "given_name": "Siobhán", "family_name": "O'Brien"}]
    )
    store.import_events(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Siobhán", "family_name": "O'Brien"},
                clock.now(),
            ),
            event("contact.received", contact, clock.now()),
        ]
    )
    AuditService(GuardedStore(store, ADMIN, clock)).restrict(
        pid, [NAMED.login], "child of a staff member"
    )
    return pid, contact["contact_id"]


def _audit(store: ChainedEventStore, actor: Actor, clock: FixedClock) -> AuditService:
    return AuditService(GuardedStore(store, actor, clock))


def test_queue_shows_restricted_contact_but_not_its_content(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    pid, cid = _seed(chained, clock)
    guarded = GuardedStore(chained, DM, clock)
    items = DeskService(guarded, DM, clock).queue()
    visible = guarded.visible_contacts([i.contact_id for i in items])
    assert visible == {cid: False}
    [row] = redact_queue(items, visible)
    assert row.contact_id == cid and row.rating == items[0].rating
    assert row.concern == HIDDEN_TEXT and row.children[0].name == RESTRICTED_TEXT
    assert "Siobh" not in repr(row) and "bruise" not in repr(row)
    assert guarded.redact_queue(items) == [row]
    named = GuardedStore(chained, NAMED, clock)
    assert named.visible_contacts([cid]) == {cid: True}
    assert named.redact_queue(items) == items


def test_a_new_contact_about_a_restricted_child_is_never_refused(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    pid, _ = _seed(chained, clock)
    officer = Actor("cc.officer", Role.CONTACT_OFFICER, "desk")
    desk = DeskService(GuardedStore(chained, officer, clock), officer, clock)
    cid, _ = desk.record_contact(contact_payload(children=[{"person_id": pid}]))
    assert GuardedStore(chained, officer, clock).visible_contacts([cid]) == {cid: False}
    with pytest.raises(PermissionDenied):
        desk.store.append([desk.event("note.added", {"contact_id": cid, "text": "more"})])


def test_unnamed_cannot_open_or_write_to_a_restricted_record(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    pid, cid = _seed(chained, clock)
    audit = _audit(chained, DM, clock)
    before = chained.event_count()
    with pytest.raises(RestrictedRecord, match="restricted"):
        audit.record_view(person_id=pid)
    with pytest.raises(RestrictedRecord):
        audit.record_view(contact_id=cid)
    desk = DeskService(GuardedStore(chained, DM, clock), DM, clock)
    with pytest.raises(PermissionDenied, match=f"restricted record {pid}"):
        desk.store.append([desk.event("note.added", {"contact_id": cid, "text": "x"})])
    assert chained.event_count() == before
    _audit(chained, NAMED, clock).record_view(person_id=pid, reason="allocated worker")
    assert chained.event_count() == before + 1


@pytest.mark.parametrize("reason", ["", "    ", "\n\t", "because"])
def test_break_glass_without_a_real_reason_is_impossible(
    chained: ChainedEventStore, clock: FixedClock, reason: str
) -> None:
    pid, _ = _seed(chained, clock)
    audit = _audit(chained, DM, clock)
    before = chained.event_count()
    with pytest.raises(ValidationError, match="reason"):
        audit.break_glass(pid, reason)
    # and not by writing the event directly through the guarded store either
    desk = DeskService(GuardedStore(chained, DM, clock), DM, clock)
    with pytest.raises(ValidationError):
        desk.store.append(
            [desk.event("access.break_glass", {"person_id": pid, "reason": reason or "x"})]
        )
    assert chained.event_count() == before
    with pytest.raises(RestrictedRecord):
        audit.record_view(person_id=pid)


def test_break_glass_with_a_reason_opens_logs_and_reports(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    pid, cid = _seed(chained, clock)
    audit = _audit(chained, DM, clock)
    glass = audit.break_glass(pid, "  Police out-of-hours call: child missing tonight  ")
    assert glass.payload["reason"] == "Police out-of-hours call: child missing tonight"
    audit.record_view(contact_id=cid, reason="break-glass")
    clock.advance(hours=9)  # the window closes
    with pytest.raises(RestrictedRecord):
        audit.record_view(person_id=pid)
    report = _audit(chained, AUDITOR, clock).break_glass_report()
    assert [(e.event_id, e.actor, e.person_ids) for e in report] == [(glass.id, DM.login, (pid,))]
    assert "child missing tonight" in report[0].summary
    views = _audit(chained, AUDITOR, clock).query(
        AuditFilter(event_types=("record.viewed",), actor=DM.login)
    )
    assert [v.contact_id for v in views] == [cid]
    assert chained.verify_chain().ok


def test_events_in_someone_elses_name_are_refused(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    guarded = GuardedStore(chained, DM, clock)
    forged = event(
        "handover.noted",
        {"handover_id": new_id(), "shift": "day", "text": "x"},
        clock.now(),
        actor="someone.else",
    )
    with pytest.raises(PermissionDenied, match="someone.else"):
        guarded.append([forged])
    assert chained.event_count() == 0


def test_a_person_the_server_withholds_is_hidden_even_from_a_stale_local_naming(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    """The server hides a re-issued restriction from the logins it no longer names, so a
    desk's own copy may still name its login: the server's withheld list wins. Cleared,
    the local restriction governs again."""
    pid, cid = _seed(chained, clock)  # restricted locally to sp.senior
    named = GuardedStore(chained, NAMED, clock)
    assert named.visible_contacts([cid]) == {cid: True} and not named.hidden_people([pid])
    assert withheld.held_people(chained.engine) == [pid]
    withheld.replace(chained.engine, [pid])
    assert named.visible_contacts([cid]) == {cid: False}
    assert named.hidden_people([pid]) == {pid}
    with pytest.raises(RestrictedRecord):
        named.require_person(pid)
    withheld.replace(chained.engine, [])
    assert named.visible_contacts([cid]) == {cid: True}


def test_a_standalone_desk_never_has_withheld_people(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    _seed(chained, clock)
    DeskService(GuardedStore(chained, DM, clock), DM, clock).queue()
    with chained.engine.connect() as conn:
        assert conn.execute(select(withheld.WITHHELD)).fetchall() == []


def test_restrictions_of_contacts_are_what_every_linked_child_read_gives(
    chained: ChainedEventStore, clock: FixedClock
) -> None:
    """The restriction check reads only the restricted or withheld children of the
    contacts (the queue's redaction at start-up). Oracle: the whole read it replaced,
    every linked child's person id then the restrictions among them, over contacts with
    a restricted child, a withheld one, both, neither, and one about no known person."""
    from collections import defaultdict

    from dutydesk.store import access

    restricted, _ = _seed(chained, clock)
    held, plain = new_id(), new_id()
    people = [(held, "Aoife"), (plain, "Zoë")]
    chained.import_events(
        [
            event("person.registered", {"person_id": p, "given_name": n}, clock.now())
            for p, n in people
        ]
    )
    mixes = [[restricted, plain], [held], [held, restricted], [plain], [new_id()]]
    contacts = [
        contact_payload(children=[{"person_id": p, "given_name": "A"} for p in mix])
        for mix in mixes
    ]
    chained.import_events([event("contact.received", c, clock.now()) for c in contacts])
    withheld.replace(chained.engine, [held])
    ids = [c["contact_id"] for c in contacts] + [new_id()]

    with chained.engine.connect() as conn:
        linked = access.people_on_contacts(conn, ids)
        found = access.restrictions(conn, set().union(*linked.values()))
    before: dict[str, list[object]] = defaultdict(list)
    for cid, pids in linked.items():
        for p in sorted(pids):
            if p in found:
                before[cid].append(found[p])
    guarded = GuardedStore(chained, DM, clock)
    assert guarded.restrictions_of_contacts(ids) == dict(before)
    assert len(before) == 3  # the plain, the unknown and the missing contact have none
    assert guarded.visible_contacts(ids) == {cid: cid not in before for cid in ids}
