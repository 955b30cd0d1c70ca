"""Immediate danger "not stated": imported history never says whether a child was in
immediate danger, so it is recorded, shown, printed and scored as not stated, never as
"no" (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

from dutydesk.domain.clock import FixedClock
from dutydesk.intake.ids import la_person_id
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.factories import importer
from tests.integration.reports.conftest import page_texts

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_an_imported_census_states_no_immediate_danger_and_prints_not_stated(
    store: EventStore, clock: FixedClock, documents: DocumentService
) -> None:
    report = importer(store, clock).run(SAMPLES / "CIN2rows.xml")
    assert report.rows_rejected == 0
    received = [e for e in store.events() if e.type == "contact.received"]
    assert received
    # Before: history.py wrote "immediate_danger": false for every imported contact.
    assert all("immediate_danger" not in e.payload for e in received)
    model = store.read_model()
    contacts = [model.contacts[e.payload["contact_id"]] for e in received]
    assert all(c.immediate_danger is None for c in contacts)
    pdf = documents.case_log(person_id=la_person_id("DfEX0000001")).pdf
    text = _flat(" ".join(page_texts(pdf)))
    assert "Immediate danger Not stated" in text
    assert re.search(r"Immediate danger No\b", text) is None
