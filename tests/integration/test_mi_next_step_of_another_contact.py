"""MI counts a next step done only by a completion under its decision's own contact.

``next_step.completed`` names a contact and a decision id. A decision belongs to the
contact whose recording names it first (docs/sync.md, "A decision belongs to one
contact"); a completion under contact B naming contact A's decision changes nothing. The
server refuses such an event since 0017's rules, but one taken before is in the shared log
for good: MI's "Next steps overdue" must not count A's step done by it (the follow-through
view keys it the same way: test_next_step_of_another_contact.py)."""

from __future__ import annotations

from pathlib import Path

from dutydesk.mi.records import OPTIONAL_READS, NextStepRecord
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import MiQueries
from tests.factories import contact_payload, decision_payload, event
from tests.integration.services.test_next_step_of_another_contact import NOW, STEPS


def _steps(store: EventStore) -> dict[tuple[str, str, int], str | None]:
    loaded = MiQueries(store.engine).load(with_people=True, reads=OPTIONAL_READS)
    steps: list[NextStepRecord] = loaded.next_steps
    return {(s.contact_id, s.decision_id, s.index): s.done_at for s in steps}


def test_a_completion_under_another_contact_is_not_counted(tmp_path: Path) -> None:
    store = EventStore.open(tmp_path / "store.sqlite3")
    try:
        a, b = contact_payload(), contact_payload()
        ca, cb = a["contact_id"], b["contact_id"]
        mine, theirs = decision_payload(ca, rationale=STEPS), decision_payload(cb, rationale=STEPS)
        da, db = mine["decision_id"], theirs["decision_id"]
        store.append(
            [
                event("contact.received", a, NOW),
                event("contact.received", b, NOW),
                event("decision.recorded", mine, NOW),
                event("decision.recorded", theirs, NOW),
            ]
        )
        assert set(_steps(store)) == {(ca, da, 0), (ca, da, 1), (cb, db, 0), (cb, db, 1)}
        forged = {"contact_id": cb, "decision_id": da, "index": 0}
        own = {"contact_id": cb, "decision_id": db, "index": 1}
        store.append(
            [event("next_step.completed", forged, NOW), event("next_step.completed", own, NOW)]
        )
        after = _steps(store)
        assert after[(ca, da, 0)] is None  # A's step is not done by B's event
        assert after[(cb, db, 1)] is not None  # B's own completion counts
        assert after[(ca, da, 1)] is None and after[(cb, db, 0)] is None
        store.append(
            [event("next_step.completed", {"contact_id": ca, "decision_id": da, "index": 0}, NOW)]
        )
        assert _steps(store)[(ca, da, 0)] is not None  # A's own completion counts
    finally:
        store.close()
