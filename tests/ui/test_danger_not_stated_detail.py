"""The detail pane of an imported history contact says immediate danger was not stated,
and scoring the stored contact says what a "yes" would have made it (issue 14). Imported
history arrives decided, so it is not rated on import."""

from __future__ import annotations

from pathlib import Path

from dutydesk.app import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.services.desk import DeskService
from dutydesk.services.triage import policy_from
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.detail_html import detail_html
from tests.factories import importer

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_imported_history_shows_immediate_danger_not_stated(
    store: EventStore, clock: FixedClock
) -> None:
    assert importer(store, clock).run(SAMPLES / "CIN2rows.xml").rows_rejected == 0
    desk = DeskService(store, demo_actor(), clock)
    cid = next(e.payload["contact_id"] for e in store.events() if e.type == "contact.received")
    detail = desk.contact_detail(cid)
    assert detail is not None and detail.immediate_danger is None
    html = detail_html(detail, clock.now(), {})
    assert "<b>Immediate danger: not stated</b>" in html
    assert "Immediate danger reported at intake" not in html
    model = store.read_model()
    kids = [k for k in model.children.values() if k.contact_id == cid]
    result = score_contact(model.contacts[cid], (), policy_from(None), clock.now(), children=kids)
    reasons = [r for r in result.reasons if r["factor"] == "not_asked:immediate_danger"]
    assert [r["text"] for r in reasons] == ["Immediate danger not stated: a yes would make it Red"]
