"""The duty log lists what an office received and decided in a period, with times."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dutydesk.domain.ids import new_id
from dutydesk.reports.verify import Verdict
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.report_queries import ReportQueries
from tests.factories import contact_payload, decision_payload, event
from tests.integration.reports.conftest import page_texts


def _contact(
    store: EventStore, at: datetime, office: str, concern: str, decided_at: datetime | None = None
) -> str:
    cid = new_id()
    events = [
        event(
            "contact.received",
            contact_payload(
                contact_id=cid, received_at=at.isoformat(), office=office, concern=concern
            ),
            at,
        )
    ]
    if decided_at is not None:
        events.append(
            event(
                "decision.recorded",
                decision_payload(cid, outcome="early_help", threshold_level=2),
                decided_at,
            )
        )
    store.append(events)
    return cid


def test_duty_log_lists_the_days_contacts_and_decisions_with_times(
    store: EventStore, documents: DocumentService, now: datetime
) -> None:
    day = now.replace(hour=0, minute=0)
    _contact(
        store,
        day + timedelta(hours=8, minutes=5),
        "North",
        "IN-DAY-1",
        day + timedelta(hours=11, minutes=40),
    )
    _contact(store, day + timedelta(hours=23, minutes=59), "North", "IN-DAY-2")
    _contact(
        store,
        day - timedelta(minutes=1),
        "North",
        "DAY-BEFORE",
        day + timedelta(hours=9, minutes=15),
    )  # decided today: a decision row
    _contact(
        store,
        day + timedelta(hours=10),
        "South",
        "OTHER-OFFICE",
        day + timedelta(hours=10, minutes=30),
    )
    doc = documents.duty_log(now.date(), now.date(), office="North")
    text = " ".join(" ".join(page_texts(doc.pdf)).split())
    assert "Duty log: North, 26 Nov 2026" in text
    assert "IN-DAY-1" in text and "IN-DAY-2" in text
    assert "DAY-BEFORE" not in text and "OTHER-OFFICE" not in text
    assert "08:05" in text and "23:59" in text  # received times
    assert "11:40" in text and "09:15" in text  # decision times
    assert "Contacts received (2)" in text and "Decisions made (2)" in text
    assert "Shift signed off by the duty manager" in text
    documents.record_printed(doc)
    assert documents.verify(doc.pdf).verdict is Verdict.MATCHES
    assert len(doc.event_ids) == 4  # two receipts, two decisions


def test_long_duty_log_is_split_into_chunks_and_numbered(
    store: EventStore, documents: DocumentService, now: datetime
) -> None:
    day = now.replace(hour=0, minute=0)
    for i in range(450):
        _contact(store, day + timedelta(minutes=2 * i), "North", f"ROW-{i:03d}")
    doc = documents.duty_log(now.date(), now.date(), office="North")
    pages = page_texts(doc.pdf)
    assert len(pages) > 3
    assert all(f"Page {n} of {len(pages)}" in p for n, p in enumerate(pages, start=1))
    joined = " ".join(pages)
    assert all(f"ROW-{i:03d}" in joined for i in range(450))


def test_range_that_ends_before_it_starts_is_refused(store: EventStore) -> None:
    with pytest.raises(ValueError, match="ends"):
        ReportQueries(store.engine).duty_log(date(2026, 11, 2), date(2026, 11, 1))


def test_duty_log_lists_contacts_in_the_windows_queue_order(
    store: EventStore, documents: DocumentService, now: datetime
) -> None:
    """Immediate danger above an overdue Red, as the window and `dutydesk triage` order."""
    from dutydesk.domain.codes import Role

    day = now.replace(hour=0, minute=0)
    early, late = new_id(), new_id()
    store.append(
        [
            event(
                "contact.received",
                contact_payload(
                    contact_id=early,
                    received_at=(day + timedelta(hours=1)).isoformat(),
                    office="North",
                    concern="OVERDUE-RED",
                ),
                day + timedelta(hours=1),
            ),
            event(
                "contact.rated",
                {
                    "contact_id": early,
                    "score": 80,
                    "rating": "red",
                    "reasons": [],
                    "policy_version": "t",
                    "due_at": (day + timedelta(hours=5)).isoformat(),
                },
                day + timedelta(hours=1),
                role=Role.DUTY_MANAGER,
            ),
            event(
                "contact.received",
                contact_payload(
                    contact_id=late,
                    received_at=(day + timedelta(hours=8)).isoformat(),
                    office="North",
                    concern="DANGER-NOW",
                    immediate_danger=True,
                ),
                day + timedelta(hours=8),
            ),
        ]
    )
    doc = documents.duty_log(now.date(), now.date(), office="North")
    text = " ".join(" ".join(page_texts(doc.pdf)).split())
    assert "In queue order" in text
    assert text.index("DANGER-NOW") < text.index("OVERDUE-RED")
