"""A question nobody answered is never "no" in silence: immediate danger may be "not
stated" only on imported history, and any key question left unanswered whose "yes"
would raise the rating is named in the reasons (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import Event, validate_payload
from dutydesk.domain.projection import ReadModel, apply_all
from dutydesk.domain.queue import order_key
from dutydesk.domain.triage import factors as catalogue
from dutydesk.domain.triage import vignettes as vg
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.reports.caselog import danger_text
from dutydesk.services.triage import policy_from
from tests.factories import contact_payload

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
VIGNETTES = Path(__file__).resolve().parents[3] / "data" / "vignettes"
KEY = ("immediate_danger", "injury_reported", "disclosure")


def _history(**changes: object) -> dict[str, object]:
    """A contact as intake/history.py writes it (CIN census / Annex A List 3)."""
    payload = contact_payload(channel="import", external_ref="cin:201:DfEX1", categories=[])
    del payload["immediate_danger"]
    payload.update(changes)
    return payload


def test_only_imported_history_may_leave_immediate_danger_out() -> None:
    live = contact_payload()
    del live["immediate_danger"]
    with pytest.raises(ValidationError, match="immediate_danger: is required"):
        validate_payload("contact.received", live, today=TODAY)
    with pytest.raises(ValidationError, match="immediate_danger: is required"):
        validate_payload("contact.received", {**live, "immediate_danger": None}, today=TODAY)
    clean = validate_payload("contact.received", _history(), today=TODAY)
    assert "immediate_danger" not in clean
    assert catalogue.danger_answer(clean) is None
    assert "immediate_danger" not in catalogue.answers(clean)


def test_not_stated_prints_as_not_stated_and_no_stays_no() -> None:
    assert danger_text(_history()) == "Not stated"
    assert danger_text(contact_payload(immediate_danger=False)) == "No"
    assert danger_text(contact_payload(immediate_danger=True)) == "Yes"


def test_history_written_before_the_fix_reads_false_as_not_stated() -> None:
    """Before 2026-12-01 history.py wrote ``false`` without anyone being asked: that
    ``false`` carries no answer. A live contact's ``false`` is a real "no"."""
    old = _history(immediate_danger=False)
    assert catalogue.danger_answer(old) is None
    assert danger_text(old) == "Not stated"
    annex = _history(immediate_danger=False, external_ref="annex-a:list1:9212044")
    assert catalogue.danger_answer(annex) is None
    assert catalogue.danger_answer(_history(immediate_danger=True)) is True
    live = contact_payload(immediate_danger=False, external_ref="cin:201:DfEX1")
    assert catalogue.danger_answer(live) is False  # not imported history: a real "no"


def test_the_projection_keeps_not_stated_apart_from_no() -> None:
    model = ReadModel()
    events = [
        Event(
            id=f"e{i}",
            type="contact.received",
            actor="dm.manager",
            actor_role="duty_manager",
            device="d",
            client_time=NOW.isoformat(),
            payload=validate_payload("contact.received", p, today=TODAY),
        )
        for i, p in enumerate(
            [_history(), _history(immediate_danger=False), contact_payload(), contact_payload()]
        )
    ]
    apply_all(model, events)
    got = [model.contacts[e.payload["contact_id"]].immediate_danger for e in events]
    assert got == [None, None, False, False]


def test_not_stated_danger_is_named_in_the_reasons_and_no_is_not() -> None:
    policy = policy_from(None)
    stated = score_contact(contact_payload(immediate_danger=False), (), policy, NOW)
    unstated = score_contact(_history(categories=["18C"]), (), policy, NOW)
    assert unstated.score == stated.score  # scored like "no" ...
    codes = [r["factor"] for r in unstated.reasons]
    assert "not_asked:immediate_danger" in codes  # ... but never silently
    text = next(r["text"] for r in unstated.reasons if r["factor"] == "not_asked:immediate_danger")
    assert text == "Immediate danger not stated: a yes would make it Red"
    assert "not_asked:immediate_danger" not in [r["factor"] for r in stated.reasons]


def test_an_unasked_injury_on_a_baby_is_named_and_an_answered_no_is_not() -> None:
    policy = policy_from(None)
    baby = [{"given_name": "Baby", "date_of_birth": "2026-08-01"}]
    unasked = score_contact(contact_payload(children=baby, categories=[]), (), policy, NOW)
    asked_no = score_contact(
        contact_payload(children=baby, categories=[], injury_reported=False), (), policy, NOW
    )
    assert unasked.rating == asked_no.rating
    assert unasked.rating.value != "red"
    reason = next(r for r in unasked.reasons if r["factor"] == "not_asked:injury_reported")
    assert reason["points"] == 0
    assert reason["text"].endswith("A yes would make it Red")
    assert "not_asked:injury_reported" not in [r["factor"] for r in asked_no.reasons]


def test_every_unanswered_key_question_that_would_raise_a_rating_is_named() -> None:
    """Over the whole vignette library: for each key question left unanswered, the reasons
    name it exactly when answering "yes" would give a higher rating."""
    policy = policy_from(None)
    vignettes = vg.load_texts(
        [(str(f), f.read_text(encoding="utf-8")) for f in sorted(VIGNETTES.glob("*.json"))]
    )
    checked = 0
    for v in vignettes:
        at = datetime.fromisoformat(v.payload["received_at"]) + timedelta(minutes=1)
        past = vg.histories(v, policy)
        base = score_contact(v.payload, past, policy, at)
        named = {r["factor"] for r in base.reasons}
        for name in KEY:
            if v.payload.get(name) is not None:
                continue
            yes = score_contact({**v.payload, name: True}, past, policy, at)
            if yes.rating.rank < base.rating.rank:
                checked += 1
                assert f"not_asked:{name}" in named, (v.id, name)
            else:
                assert f"not_asked:{name}" not in named, (v.id, name)
    assert checked > 0


@dataclass
class _Item:
    contact_id: str
    immediate_danger: bool | None
    rating: str | None = "red"
    due_at: str | None = "2026-11-26T10:00:00+00:00"
    score: int | None = 50
    received_at: str = "2026-11-26T08:00:00+00:00"


def test_not_stated_never_jumps_the_queue_above_a_stated_danger() -> None:
    items = [_Item("none", None), _Item("yes", True), _Item("no", False)]
    ranked = [i.contact_id for i in sorted(items, key=order_key)]
    assert ranked[0] == "yes"
