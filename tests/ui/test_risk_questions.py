"""The entry form asks what the policy scores: injury, disclosure and the risk details
built from the factor catalogue, keyboard-first, with "not asked" kept apart from "No"."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from dutydesk.app import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.services.desk import DeskService
from dutydesk.services.snapshots import MatchSuggestion
from dutydesk.services.triage import TriageService, policy_from
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.contact_form import FORM_KEYS, ContactForm, born_already
from dutydesk.ui.keyboard_map import clashes, routes
from dutydesk.ui.risk_questions import read_birth
from tests.factories import draft_store

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def focused(widget: QWidget) -> QWidget:
    found = widget.focusWidget()
    assert found is not None, "nothing has the keyboard focus"
    return found


def tab_to(qtbot, form: QWidget, name: str, limit: int = 60) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if focused(form).objectName() == name:
            return
        qtbot.keyClick(focused(form), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {name}; stuck at {focused(form).objectName()}")


def type_in(qtbot, form: QWidget, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    tab_to(qtbot, form, name)
    qtbot.keyClicks(focused(form), text)


def basic(form: ContactForm, source: str, dob: str, concern: str) -> None:
    form.danger.setCurrentIndex(1)  # No
    form.source.setCurrentIndex(form.source.findData(source))
    form.children_entries[0].given.setText("Baby")
    form.children_entries[0].dob.setText(dob)
    form.concern.setPlainText(concern)
    form.consent.setCurrentIndex(form.consent.findData("not_sought"))


def test_bruised_four_month_old_entered_through_the_form_is_red_with_the_rule(
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The issue's case: rated GREEN, score 22, when the form could not ask about injury."""
    desk = DeskService(store, demo_actor(), clock, triage=TriageService(store, demo_actor(), clock))
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.show()
    basic(form, "3B", "26/07/2026", "Bruise on the cheek of a 4-month-old.")
    assert not form.risk.panel.isVisible()  # a simple contact sees one line, not the list
    form.risk.widgets["injury_reported"].setFocus()
    qtbot.keyClick(focused(form), Qt.Key.Key_Y)  # keyboard search: "Yes"
    assert form.risk.panel.isVisible()  # injury details open by themselves
    payload = form.payload()
    assert payload["injury_reported"] is True and "disclosure" not in payload
    cid, _ = desk.record_contact(payload)
    row = desk.queries.contact(cid)
    assert row is not None and row.rating == "red"
    factors = [r.get("factor") for r in row.reasons]
    assert "hard_rule:non_mobile_injury" in factors
    texts = " ".join(str(r.get("text")) for r in row.reasons)
    assert "not independently mobile" in texts


def test_a_da_notification_is_filled_in_with_the_keyboard_only(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.show()
    with qtbot.waitActive(form):
        form.activateWindow()
    assert focused(form).objectName() == "immediateDanger"
    qtbot.keyClick(focused(form), Qt.Key.Key_Down)  # No
    type_in(qtbot, form, "reporterAgency", "West Yorkshire Police")
    type_in(qtbot, form, "sourceCode", "6")  # "6 Police"
    type_in(qtbot, form, "channel", "Pol")  # police notification
    type_in(qtbot, form, "child0Given", "Amelie")
    type_in(qtbot, form, "child0Dob", "about 6")
    type_in(qtbot, form, "concern", "DA incident, partner strangled mother, child present.")
    type_in(qtbot, form, "risk_disclosure", "n")  # the headline questions are on the way
    qtbot.keyClick(focused(form), Qt.Key.Key_R, ALT)  # open the risk details
    qtbot.waitUntil(form.risk.panel.isVisible)  # a mnemonic clicks after a short flash
    type_in(qtbot, form, "risk_dash_level", "h")  # high
    type_in(qtbot, form, "risk_children_present", "y")
    type_in(qtbot, form, "risk_strangulation", "y")
    type_in(qtbot, form, "risk_weapon", "n")
    type_in(qtbot, form, "risk_previous_incidents", "3")
    tab_to(qtbot, form, "consent")
    for _ in range(4):
        qtbot.keyClick(focused(form), Qt.Key.Key_Down)  # Not required
    got: list[dict] = []
    form.submitted.connect(got.append)
    assert form.consent.currentData() == "not_required", form.consent.currentText()
    qtbot.keyClick(focused(form), Qt.Key.Key_Return, CTRL)
    assert got, (form.error.text(), focused(form).objectName(), form.isActiveWindow())
    p = got[0]
    assert p["source_code"] == "6" and p["channel"] == "police_notification"
    assert p["children"][0]["age_years"] == 6
    assert p["domestic_abuse"] == {
        "dash_level": "high",
        "children_present": True,
        "strangulation": True,
        "weapon": False,
        "previous_incidents": 3,
    }
    assert "victim_pregnant" not in p["domestic_abuse"]  # not asked, not "no"
    assert "injury_reported" not in p and "risk" not in p
    assert p["disclosure"] is False  # answered "no" from the keyboard


def test_not_asked_is_not_no_and_drafts_keep_the_answers(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    drafts = draft_store(tmp_path / "drafts")
    form = ContactForm(drafts)
    qtbot.addWidget(form)
    basic(form, "2A", "03/04/2019", "Hungry at school.")
    assert "injury_reported" not in form.payload()
    form.risk.widgets["injury_reported"].setCurrentIndex(1)  # type: ignore[attr-defined]
    form.risk.widgets["carer_substance_misuse"].setCurrentIndex(2)  # type: ignore[attr-defined]
    form.risk.widgets["missing_episodes"].setValue(2)  # type: ignore[attr-defined]
    payload = form.payload()
    assert payload["injury_reported"] is False
    assert payload["risk"] == {"carer_substance_misuse": True, "missing_episodes": 2}
    form.save_draft()
    again = ContactForm(drafts, draft=drafts.list("contact")[0])
    qtbot.addWidget(again)
    assert again.payload() == payload


def test_the_form_asks_every_fact_the_policy_scores(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    asked = set(form.risk.widgets) | {"immediate_danger"}
    missing = sorted(policy_from(None).scored_facts() - asked)
    assert missing == []


def test_which_child_follows_the_children_on_the_form(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.add_child()
    box = form.risk.widgets["injury_child"]
    assert [box.itemData(i) for i in range(box.count())] == [None, 0, 1]  # type: ignore[attr-defined]


def test_birth_box_takes_an_approximate_age_or_an_estimated_date() -> None:
    assert read_birth("about 6") == ("", False, 6)
    assert read_birth("8y") == ("", False, 8)
    assert read_birth("~20/07/2026") == ("20/07/2026", True, None)
    assert read_birth("20/07/2026?") == ("20/07/2026", True, None)
    assert read_birth("20/07/2026") == ("20/07/2026", False, None)


def test_the_detail_pane_shows_answers_and_not_asked(
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.ui.detail_html import detail_html

    desk = DeskService(store, demo_actor(), clock)
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    basic(form, "6", "03/04/2019", "DA incident.")
    form.risk.widgets["strangulation"].setCurrentIndex(2)  # type: ignore[attr-defined]
    form.risk.widgets["injury_reported"].setCurrentIndex(1)  # type: ignore[attr-defined]
    cid, _ = desk.record_contact(form.payload())
    detail = desk.contact_detail(cid)
    assert detail is not None
    html = detail_html(detail, clock.now(), {})
    assert "Was there strangulation, choking or suffocation? <b>Yes</b>" in html
    assert "Is an injury, mark or bruise reported? <b>No</b>" in html
    assert "Has the child told someone they are being harmed? <b>Not asked</b>" in html
    assert "self-harming" not in html  # not asked and not a headline question


def test_an_approximate_age_reaches_the_queue_detail(
    qtbot, store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    desk = DeskService(store, demo_actor(), clock)
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    basic(form, "9", "about 6", "The children next door look sad.")
    form.add_child()
    form.children_entries[1].given.setText("Older")
    form.children_entries[1].dob.setText("~01/03/2018")
    cid, _ = desk.record_contact(form.payload())
    detail = desk.contact_detail(cid)
    assert detail is not None
    assert [c.age for c in detail.children] == ["about 6 y", "8 y (est.)"]
    queued = next(i for i in desk.queue() if i.contact_id == cid)
    assert [c.age for c in queued.children] == ["about 6 y", "8 y (est.)"]


def _tab_chain(form: QWidget) -> list[str]:
    """The names the Tab key visits, from the first question round to it again."""
    start = form.danger  # type: ignore[attr-defined]
    names, cur = [], start
    for _ in range(200):
        names.append(cur.objectName())
        nxt = cur.nextInFocusChain()
        while not (
            nxt.isVisible() and nxt.isEnabled() and nxt.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            nxt = nxt.nextInFocusChain()
        cur = nxt
        if cur is start:
            return names
    raise AssertionError("the focus chain does not come round")


def test_a_simple_contact_costs_two_questions_and_no_toggle(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Keyboard-first and fast: with the risk details closed, Tab meets injury and
    disclosure, not the Risk details button (Alt+R) nor any detail question; none of them
    is required, and a simple contact is submitted with Ctrl+Enter without answering any.
    Both questions are answered from the keyboard where Tab stops."""
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.show()
    with qtbot.waitActive(form):
        form.activateWindow()
    chain = _tab_chain(form)
    risk_stops = [n for n in chain if n.startswith("risk")]
    assert risk_stops == ["risk_injury_reported", "risk_disclosure"]
    assert chain.index("risk_injury_reported") == chain.index("concern") + 1
    assert chain.index("categories") == chain.index("risk_disclosure") + 1
    assert "matchSuggestions" not in chain  # empty: nothing to choose
    assert form.risk.toggle.text() == "▸ &Risk details"  # the mnemonic is shown
    assert "Alt+R opens" in form.risk.summary.text()
    tab_to(qtbot, form, "risk_injury_reported")
    qtbot.keyClick(focused(form), Qt.Key.Key_N)
    qtbot.keyClick(focused(form), Qt.Key.Key_Tab)
    qtbot.keyClick(focused(form), Qt.Key.Key_N)
    assert form.risk.answers() == {"injury_reported": False, "disclosure": False}
    qtbot.keyClick(focused(form), Qt.Key.Key_Home)  # back to "not asked"
    qtbot.keyClick(focused(form), Qt.Key.Key_Tab)
    assert focused(form).objectName() == "categories"
    qtbot.keyClick(focused(form), Qt.Key.Key_J, ALT)
    qtbot.keyClick(focused(form), Qt.Key.Key_Home)
    assert form.risk.answers() == {}
    basic(form, "2A", "about 9", "Often hungry at school.")
    got: list[dict] = []
    form.submitted.connect(got.append)
    form.concern.setFocus()
    qtbot.keyClick(focused(form), Qt.Key.Key_Return, CTRL)
    assert got, form.error.text()
    assert "risk" not in got[0] and "injury_reported" not in got[0]  # all "not asked"
    qtbot.keyClick(focused(form), Qt.Key.Key_R, ALT)
    qtbot.waitUntil(form.risk.panel.isVisible)  # a mnemonic clicks after a short flash
    assert "Alt+R closes" in form.risk.summary.text()
    opened = [n for n in _tab_chain(form) if n.startswith("risk_")]
    assert len(opened) > 20  # opened, every detail question is on the keyboard path
    assert "riskDetailsToggle" not in _tab_chain(form)
    qtbot.keyClick(focused(form), Qt.Key.Key_Tab)  # Alt+R, then Tab: the first detail
    assert focused(form).objectName() == "risk_injury_child"
    qtbot.keyClick(focused(form), Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: not form.risk.panel.isVisible())


def test_tab_skips_unborn_once_the_date_says_born_and_an_empty_match_list(
    qtbot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.show()
    dob = form.children_entries[0].dob
    today = date.today()
    for text, stop in (
        ("", True),  # not known yet: an unborn baby may have no date
        ((today + timedelta(days=90)).strftime("%d/%m/%Y"), True),  # expected date
        ((today - timedelta(days=10)).strftime("%d/%m/%Y"), True),  # overdue, or newborn
        ("not a date", True),
        ("03/04/2019", False),
        ("~03/04/2019", False),
        ("about 6", False),
    ):
        dob.setText(text)
        assert ("child0Unborn" in _tab_chain(form)) is stop, text
    form.children_entries[0].unborn.setChecked(True)  # ticked: Tab can reach it to untick
    assert "child0Unborn" in _tab_chain(form)
    assert born_already("01/01/2026", date(2026, 3, 1))
    assert not born_already("01/01/2026", date(2026, 1, 20))
    # The future-date check is unchanged: a future date needs "Unborn" ticked.
    form.children_entries[0].unborn.setChecked(False)
    dob.setText((today + timedelta(days=90)).strftime("%d/%m/%Y"))
    assert any("is in the future" in p.message for p in form.children_entries[0].problems())
    assert "matchSuggestions" not in _tab_chain(form)
    form.show_matches(
        [MatchSuggestion("p-1", "Amelie Known", "2019-04-03", None, None, ("name",), 2)]
    )
    assert "matchSuggestions" in _tab_chain(form)  # a match to link: Tab stops there
    form.show_matches([])
    assert "matchSuggestions" not in _tab_chain(form)


def test_f1_lists_the_form_keys_and_each_is_a_real_route(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    form = ContactForm(draft_store(tmp_path))
    qtbot.addWidget(form)
    form.show()
    with qtbot.waitActive(form):
        form.activateWindow()
    form.show_matches(
        [MatchSuggestion("p-1", "Amelie Known", "2019-04-03", None, None, ("name",), 2)]
    )
    real = {r.keys for r in routes(form)}
    assert [k for k, _what in FORM_KEYS if k not in real] == []
    assert clashes(form) == {}
    qtbot.keyClick(focused(form), Qt.Key.Key_F1)
    box = form._keys_box
    assert box is not None and box.isVisible()
    assert "Alt+R" in box.text() and "Risk details" in box.text()
    box.close()
