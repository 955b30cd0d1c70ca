"""Pending links: both records side by side, confirm in one transaction, dismiss with a
reason, restricted records kept hidden."""

from __future__ import annotations

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.services.audit import AuditService
from dutydesk.services.guard import GuardedStore, RestrictedRecord
from dutydesk.services.links import LinkService
from dutydesk.store import pending_links
from dutydesk.store.chain import ChainedEventStore
from tests.factories import event
from tests.link_cases import Waiting, waiting_links

OFFICER = Actor("co.officer", Role.CONTACT_OFFICER, "desk")
NAMED = Actor("sp.senior", Role.SENIOR_PRACTITIONER, "desk")
ADMIN = Actor("ad.min", Role.ADMIN, "desk")


@pytest.fixture
def chained(tmp_path):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    yield store
    store.close()


@pytest.fixture
def waiting(chained: ChainedEventStore, clock: FixedClock) -> Waiting:
    return waiting_links(chained, clock.now())


def _service(store: ChainedEventStore, actor: Actor, clock: FixedClock) -> LinkService:
    return LinkService(GuardedStore(store, actor, clock), clock)


def _linked(store: ChainedEventStore) -> list:  # type: ignore[type-arg]
    return [e for e in store.events() if e.type == "person.linked"]


def test_pending_shows_both_records_side_by_side(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    first, second = _service(chained, OFFICER, clock).pending()
    assert first.key == (waiting.contact_id, 0, waiting.person_ids[0])
    assert first.on_contact.name == "Siobhán O'Brien"
    assert first.on_record.name == "Siobhan OBrien"
    assert first.on_record.postcode == first.on_contact.postcode == "LS1 4AB"
    assert first.on_contact.date_of_birth == first.on_record.date_of_birth == "2019-04-03"
    assert first.confidence == 85 and first.level == "likely"
    assert "given_name (diacritics)" in first.matched
    assert first.received_at and first.source == "police.csv" and not first.hidden
    assert second.on_contact.name == "Zoë Wiśniewski"


def test_confirm_links_with_evidence_and_closes_the_row(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    service = _service(chained, OFFICER, clock)
    event, changes = service.confirm(waiting.contact_id, 0, waiting.person_ids[0])
    assert event is not None and event.actor == "co.officer"
    assert event.payload["evidence"] == [
        "family_name (punctuation)",
        "given_name (diacritics)",
        "date_of_birth",
        "postcode",
    ]
    assert event.payload["confidence"] == 85
    assert _linked(chained) == [event]
    child = chained.read_model().children[(waiting.contact_id, 0)]
    assert child.person_id == waiting.person_ids[0]
    assert [m.slot for m in service.pending()] == [1]
    with chained.engine.connect() as conn:
        row = pending_links.find(conn, waiting.contact_id, 0, waiting.person_ids[0])
    assert row is not None and (row.state, row.decided_by) == ("linked", "co.officer")
    assert waiting.contact_id in changes.contacts and changes.queue
    assert chained.verify_chain().ok  # the link went through the chained, guarded append


def test_confirm_twice_is_refused_by_name(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    service = _service(chained, OFFICER, clock)
    service.confirm(waiting.contact_id, 0, waiting.person_ids[0])
    with pytest.raises(ValidationError, match="already linked by co.officer"):
        service.confirm(waiting.contact_id, 0, waiting.person_ids[0])
    assert len(_linked(chained)) == 1


def test_event_and_row_commit_together(chained, waiting, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk went away")

    monkeypatch.setattr(pending_links, "close", broken)
    with pytest.raises(RuntimeError):
        _service(chained, OFFICER, clock).confirm(waiting.contact_id, 0, waiting.person_ids[0])
    monkeypatch.undo()
    assert _linked(chained) == []  # the event rolled back with the row
    assert chained.read_model().children[(waiting.contact_id, 0)].person_id is None
    assert len(_service(chained, OFFICER, clock).pending()) == 2


def test_a_role_that_may_not_link_changes_nothing(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    auditor = Actor("au.ditor", Role.AUDITOR, "desk")
    with pytest.raises(PermissionDenied, match="may not link person"):
        _service(chained, auditor, clock).confirm(waiting.contact_id, 0, waiting.person_ids[0])
    assert _linked(chained) == [] and len(_service(chained, OFFICER, clock).pending()) == 2


def test_linked_meanwhile_closes_or_refuses(chained, waiting, clock, now) -> None:  # type: ignore[no-untyped-def]
    """The list on screen can be stale: someone linked the child another way meanwhile."""
    cid, (first, second) = waiting.contact_id, waiting.person_ids
    chained.append(
        [
            event(
                "person.linked",
                {
                    "contact_id": cid,
                    "slot": 0,
                    "person_id": first,
                    "reason": "linked from the entry form",
                },
                now,
            ),
            event(
                "person.linked",
                {"contact_id": cid, "slot": 1, "person_id": first, "reason": "linked by mistake"},
                now,
            ),
        ]
    )
    service = _service(chained, OFFICER, clock)
    assert service.pending() == []
    linked, _ = service.confirm(cid, 0, first)  # same person: only the row closes
    assert linked is None and len(_linked(chained)) == 2
    with pytest.raises(ValidationError, match="already linked to another person"):
        service.confirm(cid, 1, second)
    with chained.engine.connect() as conn:
        assert pending_links.find(conn, cid, 0, first).state == "linked"  # type: ignore[union-attr]
        assert pending_links.find(conn, cid, 1, second).state == "pending"  # type: ignore[union-attr]


def test_dismiss_needs_a_reason_and_keeps_who_and_why(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    service = _service(chained, OFFICER, clock)
    for blank in ("", "   ", "no"):
        with pytest.raises(ValidationError, match="say why"):
            service.dismiss(waiting.contact_id, 1, waiting.person_ids[1], blank)
    service.dismiss(
        waiting.contact_id,
        1,
        waiting.person_ids[1],
        "Different school and the mother says no sister called Zoë",
    )
    assert [m.slot for m in service.pending()] == [0]
    with chained.engine.connect() as conn:
        row = pending_links.find(conn, waiting.contact_id, 1, waiting.person_ids[1])
    assert row is not None and row.state == "dismissed" and row.decided_by == "co.officer"
    assert row.reason and row.reason.startswith("Different school")
    assert row.decided_at == clock.now().isoformat()
    assert _linked(chained) == []
    with pytest.raises(ValidationError, match="already dismissed"):
        service.confirm(waiting.contact_id, 1, waiting.person_ids[1])


def test_restricted_record_is_hidden_and_cannot_be_judged_blind(chained, waiting, clock) -> None:  # type: ignore[no-untyped-def]
    AuditService(GuardedStore(chained, ADMIN, clock)).restrict(
        waiting.person_ids[0], [NAMED.login], "child of a staff member"
    )
    officer = _service(chained, OFFICER, clock)
    hidden = next(m for m in officer.pending() if m.slot == 0)
    assert hidden.hidden and hidden.on_record.name == "Restricted record"
    assert hidden.on_record.date_of_birth is None and hidden.matched == ()
    with pytest.raises(RestrictedRecord, match="someone named on the record"):
        officer.confirm(waiting.contact_id, 0, waiting.person_ids[0])
    with pytest.raises(RestrictedRecord):
        officer.dismiss(waiting.contact_id, 0, waiting.person_ids[0], "not the same child")
    named = _service(chained, NAMED, clock)
    shown = next(m for m in named.pending() if m.slot == 0)
    assert shown.on_record.name == "Siobhan OBrien"
    event, _ = named.confirm(waiting.contact_id, 0, waiting.person_ids[0])
    assert event is not None and event.actor == "sp.senior"
