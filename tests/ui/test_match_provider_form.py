"""The entry form with the fuzzy match provider over a real store: scored suggestions
with the fields that agreed, and Enter links the child."""

from __future__ import annotations

from pathlib import Path

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.guard import GuardedStore
from dutydesk.services.match_provider import match_provider
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.contact_form import ContactForm
from tests.factories import VALID_NHS, draft_store, event

SIOBHAN = "0190a000-0000-7000-8000-000000000001"
OFFICER = Actor("co.officer", Role.CONTACT_OFFICER, "desk")


def test_the_form_shows_scored_suggestions(qtbot, clock, now, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chained = ChainedEventStore.open(tmp_path / "s.sqlite3")
    chained.append(
        [
            event(
                "person.registered",
                {
                    "person_id": SIOBHAN,
                    "given_name": "Siobhan",
                    "family_name": "OBrien",
                    "date_of_birth": "2019-04-03",
                    "nhs_number": VALID_NHS,
                },
                now,
            )
        ]
    )
    form = ContactForm(draft_store(tmp_path / "drafts"))
    qtbot.addWidget(form)
    form.set_match_provider(match_provider(GuardedStore(chained, OFFICER, clock), clock))
    child = form.children_entries[0]
    child.given.setText("Siobhán")
    child.family.setText("O'Brien")
    child.dob.setText("03/04/2019")
    qtbot.waitUntil(lambda: form.matches.count() == 1, timeout=3000)
    assert form.matches.item(0).text() == (
        "Siobhan OBrien (7 y) — born 2019-04-03 — possible match, confidence 70, "
        "family name (punctuation), given name (diacritics), date of birth"
    )
    form.matches.itemActivated.emit(form.matches.item(0))
    assert child.person_id == SIOBHAN
    form.discard()
    chained.close()
