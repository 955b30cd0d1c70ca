"""A completed next step is its own contact's decision's (docs/sync.md, "A decision belongs
to one contact").

``next_step.completed`` names a contact and a decision id, like a sign-off. A decision
belongs to the contact whose recording names it first; an event naming it under another
contact changes nothing (``projection._own_decision``). Written as the attacker: a
crafted or faulty desk sends, under contact B (which it may act on), a completion naming
contact A's decision. The follow-through view must not show A's next step as done by it
(before this fix it did, as soon as B was itself in the view: any contact decided in the
look-back).
"""

from __future__ import annotations

from datetime import datetime

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.services.followthrough import FollowThroughService
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload, decision_payload, event

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
MANAGER = Actor("dm.manager", Role.DUTY_MANAGER, "test-desk")
STEPS = {
    "concerns_and_risks": "Bruising with a disclosure.",
    "analysis": "Reasonable cause to suspect significant harm.",
    "next_steps": [
        {"action": "Strategy discussion with police", "owner": "dm.manager", "due": "2026-11-27"},
        {"action": "Tell the school", "due": "2026-11-27"},
    ],
}


def _done(store: ChainedEventStore) -> dict[tuple[str, str, int], str | None]:
    view = FollowThroughService(store, MANAGER, FixedClock(NOW), OfficeHours()).view()
    return {(s.contact_id, s.decision_id, s.index): s.done for s in view.next_steps}


def test_a_completion_under_another_contact_does_not_mark_the_decisions_step_done(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    store = ChainedEventStore.open(tmp_path / "desk.sqlite3")
    try:
        a, b = contact_payload(), contact_payload()
        ca, cb = a["contact_id"], b["contact_id"]
        mine = decision_payload(ca, rationale=STEPS)
        theirs = decision_payload(cb, rationale=STEPS)
        da, db = mine["decision_id"], theirs["decision_id"]
        store.append(
            [
                event("contact.received", a, NOW),
                event("contact.received", b, NOW),
                event("decision.recorded", mine, NOW),
                event("decision.recorded", theirs, NOW),
            ]
        )
        before = _done(store)
        assert set(before) >= {(ca, da, 0), (ca, da, 1), (cb, db, 0)}
        assert not any(before.values())

        # the crafted completion: contact B, A's decision (and B's own index 1, legitimately)
        forged = {"contact_id": cb, "decision_id": da, "index": 0, "note": "not ours"}
        own = {"contact_id": cb, "decision_id": db, "index": 1}
        store.append(
            [event("next_step.completed", forged, NOW), event("next_step.completed", own, NOW)]
        )
        after = _done(store)
        assert after[(ca, da, 0)] is None  # A's step is not done by B's event
        assert after[(cb, db, 1)]  # the legitimate completion is shown
        assert after[(ca, da, 1)] is None and after[(cb, db, 0)] is None

        # A's own completion of the step: done
        store.append(
            [event("next_step.completed", {"contact_id": ca, "decision_id": da, "index": 0}, NOW)]
        )
        assert _done(store)[(ca, da, 0)]
    finally:
        store.close()
