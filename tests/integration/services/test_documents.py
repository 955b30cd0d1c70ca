"""Printing and exporting are themselves on the record."""

from __future__ import annotations

from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.report_cases import Case


def test_print_and_export_append_audit_events(
    documents: DocumentService, store: EventStore, case: Case
) -> None:
    doc = documents.case_log(person_id=case.person_id)
    printed, changes = documents.record_printed(doc)
    exported, _ = documents.record_exported(doc, "/tmp/out.pdf")
    stored = {e.id: e for e in store.events()}
    assert stored[printed.id].type == "document.printed"
    assert stored[exported.id].payload["destination"] == "/tmp/out.pdf"
    for e in (stored[printed.id], stored[exported.id]):
        assert e.actor == "dm.manager" and e.actor_role == "duty_manager"
        assert e.payload["digest"] == doc.digest
        assert e.payload["person_id"] == case.person_id
        assert e.payload["event_ids"] == list(doc.event_ids)
        assert e.payload["document"].startswith("case-log: Case decision log")
    assert changes.people == frozenset({case.person_id})
    # the next print of the same log shows the print events in its audit trail
    again = documents.case_log(person_id=case.person_id)
    assert printed.id in again.event_ids and exported.id in again.event_ids
