"""The contact entry form: immediate danger first, inline NHS check, drafts that survive
closing the form, match suggestions, and service refusals shown without losing input."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from dutydesk.services.desk import DeskService
from dutydesk.services.drafts import DraftStore
from dutydesk.services.snapshots import MatchSuggestion
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.contact_form import DRAFT_KIND, ContactForm, nhs_hint
from dutydesk.ui.form_parts import parse_day


def fill(form: ContactForm, *, danger: int = 1) -> None:
    form.danger.setCurrentIndex(danger)
    form.reporter_name.setText("Ms Ada Teacher")
    form.source.setCurrentIndex(form.source.findData("2A"))
    child = form.children_entries[0]
    child.given.setText("Siobhán")
    child.family.setText("O'Brien")
    child.dob.setText("03/04/2019")
    child.nhs.setText("943 476 5919")
    form.concern.setPlainText("Bruise to the cheek; she said dad hit her.")
    form.consent.setCurrentIndex(form.consent.findData("given"))


def test_immediate_danger_is_the_first_question(qtbot, store: EventStore) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(DraftStore(store, "co.officer"))
    qtbot.addWidget(form)
    form.show()
    assert form.focusWidget() is form.danger
    fill(form, danger=0)
    got: list[dict] = []
    form.submitted.connect(got.append)
    form.try_submit()
    assert got == [] and "Immediate danger: answer this question first" in form.error.text()
    form.danger.setCurrentIndex(2)
    assert form.danger_note.isVisible()
    form.try_submit()
    assert got and got[0]["immediate_danger"] is True
    assert got[0]["children"][0]["nhs_number"] == "9434765919"
    assert got[0]["children"][0]["date_of_birth"] == "2019-04-03"


def test_draft_survives_closing_the_form(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    store: EventStore,
) -> None:
    drafts = DraftStore(store, "co.officer")
    form = ContactForm(drafts)
    qtbot.addWidget(form)
    form.show()
    fill(form)
    form.categories.item(3).setCheckState(Qt.CheckState.Checked)
    form.add_child().given.setText("Baby")
    form.children_entries[1].unborn.setChecked(True)
    qtbot.waitUntil(lambda: drafts.list(DRAFT_KIND) != [], timeout=3000)
    qtbot.wait(450)  # the last keystroke's save
    form.reject()  # closed (or the desk crashed): nothing was stored

    saved = drafts.list(DRAFT_KIND)
    assert len(saved) == 1
    assert [p.name for p in tmp_path.iterdir() if "store" not in p.name] == []  # no file
    assert DraftStore(store, "someone.else").list(DRAFT_KIND) == []  # the typist's own
    again = ContactForm(drafts, draft=saved[0])
    qtbot.addWidget(again)
    assert again.draft_id == form.draft_id
    assert again.payload() == form.payload()
    assert again.children_entries[0].family.text() == "O'Brien"
    assert again.children_entries[1].unborn.isChecked()
    assert "Restored" in again.draft_note.text()
    again.saved()
    assert drafts.list(DRAFT_KIND) == []


def test_a_bad_nhs_number_is_named_inline_and_blocks(qtbot, store: EventStore) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(DraftStore(store, "co.officer"))
    qtbot.addWidget(form)
    fill(form)
    form.children_entries[0].nhs.setText("943 476 5918")
    assert form.children_entries[0].nhs_status.text().startswith("✗ fails the check digit")
    assert nhs_hint("12345") == "✗ needs 10 digits (5 typed)"
    form.try_submit()
    assert "Child 1 NHS number: fails the check digit" in form.error.text()


def test_dates_are_parsed_or_named(tmp_path: Path) -> None:
    assert parse_day("3/4/2019", "x") == "2019-04-03"
    assert parse_day("2019-04-03", "x") == "2019-04-03"
    assert parse_day(" ", "x") is None
    import pytest

    from dutydesk.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="dob"):
        parse_day("31/02/2019", "dob")


def test_match_suggestions_link_the_child(qtbot, store: EventStore) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(DraftStore(store, "co.officer"))
    qtbot.addWidget(form)
    queries: list[dict] = []
    suggestion = MatchSuggestion(
        "0193a000-0000-7000-8000-000000000009",
        "Siobhán O'Brien (7 y)",
        "2019-04-03",
        "9434765919",
        None,
        ("same NHS number",),
        60,
    )

    def provider(query):  # type: ignore[no-untyped-def]
        queries.append(dict(query))
        return [suggestion]

    form.set_match_provider(provider)
    fill(form)
    qtbot.waitUntil(lambda: form.matches.count() == 1, timeout=3000)
    assert queries[-1]["nhs_number"] == "943 476 5919"
    form.matches.setCurrentRow(0)
    form.matches.itemActivated.emit(form.matches.item(0))
    assert form.payload()["children"][0]["person_id"] == suggestion.person_id


def test_default_match_provider_finds_people_in_the_store(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    person = next(
        iter(
            service.queries.people(
                [c.person_id for i in service.queue() for c in i.children if c.person_id]
            ).values()
        )
    )
    form = window.contact_actions.new_contact()
    assert form is not None
    entry = form.children_entries[0]
    entry.family.setText(person.family_name or "")
    entry.given.setText(person.given_name or "")
    qtbot.waitUntil(lambda: form.matches.count() > 0, timeout=3000)
    ids = [
        form.matches.item(i).data(Qt.ItemDataRole.UserRole).person_id
        for i in range(form.matches.count())
    ]
    assert person.person_id in ids
    form.discard()


def test_saving_through_the_window_puts_danger_at_the_top_and_clears_the_draft(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    window = make_window()
    form = window.contact_actions.new_contact()
    assert form is not None
    fill(form, danger=2)
    form.try_submit()
    assert not form.isVisible()
    cid = window.current_contact_id()
    assert cid is not None and window.model.item(window.model.row_of(cid)).rating == "red"  # type: ignore[union-attr]
    assert window.drafts.list(DRAFT_KIND) == []
