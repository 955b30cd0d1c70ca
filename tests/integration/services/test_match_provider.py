"""Scored match suggestions for the entry form, with awkward names, through the real store
and the real form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.audit import AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.match_provider import match_provider, subject_of
from dutydesk.store.chain import ChainedEventStore
from tests.factories import VALID_NHS, event

SIOBHAN = "0190a000-0000-7000-8000-000000000001"
SEAN = "0190a000-0000-7000-8000-000000000002"
ZOE = "0190a000-0000-7000-8000-000000000003"
OTHER_NHS = "9434765870"  # valid, different
OFFICER = Actor("co.officer", Role.CONTACT_OFFICER, "desk")


@pytest.fixture
def chained(tmp_path: Path, now: datetime):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    store.append(
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
            ),
            event(
                "person.registered",
                {
                    "person_id": SEAN,
                    "given_name": "Sean",
                    "family_name": "O'Brien",
                    "date_of_birth": "2016-12-12",
                    "nhs_number": OTHER_NHS,
                },
                now,
            ),
            event(
                "person.registered",
                {
                    "person_id": ZOE,
                    "given_name": "Zoe",
                    "family_name": "Wisniewski",
                    "date_of_birth": "2017-02-11",
                    "other_names": ["Zoe Smith"],
                },
                now,
            ),
        ]
    )
    yield store
    store.close()


def _ask(store, clock, **query):  # type: ignore[no-untyped-def]
    full = {
        "nhs_number": None,
        "given_name": None,
        "family_name": None,
        "date_of_birth": None,
        **query,
    }
    if not isinstance(store, GuardedStore):  # the provider reads as a signed-in person
        store = GuardedStore(store, Actor("cc.one", Role.CONTACT_OFFICER, "t"), clock)
    return match_provider(store, clock)(full)


def test_accents_and_apostrophes_are_scored_not_missed(chained, clock) -> None:  # type: ignore[no-untyped-def]
    [s] = _ask(
        chained, clock, given_name="Siobhán", family_name="O'Brien", date_of_birth="2019-04-03"
    )
    assert s.person_id == SIOBHAN and s.name == "Siobhan OBrien (7 y)"
    assert s.evidence == (
        "possible match, confidence 70",
        "family name (punctuation)",
        "given name (diacritics)",
        "date of birth",
    )
    assert s.strength == 70 and s.date_of_birth == "2019-04-03"


def test_the_other_way_round_and_a_swapped_date(chained, clock) -> None:  # type: ignore[no-untyped-def]
    [s] = _ask(chained, clock, given_name="Sean", family_name="OBrien", date_of_birth="2016-12-12")
    assert s.person_id == SEAN and "family name (punctuation)" in s.evidence
    [z] = _ask(
        chained, clock, given_name="Zoë", family_name="Wiśniewski", date_of_birth="2017-11-02"
    )  # day and month typed the wrong way round
    assert z.person_id == ZOE
    assert "date of birth (day and month swapped)" in z.evidence
    assert z.strength < 70


def test_an_alias_and_a_typo_are_found(chained, clock) -> None:  # type: ignore[no-untyped-def]
    [alias] = _ask(
        chained, clock, given_name="Zoe", family_name="Smith", date_of_birth="2017-02-11"
    )
    assert alias.person_id == ZOE and any("(alias)" in e for e in alias.evidence)
    [typo] = _ask(
        chained, clock, given_name="Siobhan", family_name="OBrein", date_of_birth="2019-04-03"
    )
    assert typo.person_id == SIOBHAN and "family name (typo)" in typo.evidence


def test_nhs_number_is_certain_and_a_different_one_rules_out(chained, clock) -> None:  # type: ignore[no-untyped-def]
    [s] = _ask(chained, clock, nhs_number="943 476 5919")
    assert (
        s.person_id == SIOBHAN
        and s.evidence == ("certain match, confidence 100", "nhs number")
        and s.strength == 100
    )
    # Sean's name and date of birth, but Siobhan's NHS number: Sean is ruled out
    assert [
        x.person_id
        for x in _ask(
            chained,
            clock,
            given_name="Sean",
            family_name="O'Brien",
            date_of_birth="2016-12-12",
            nhs_number=VALID_NHS,
        )
    ] == [SIOBHAN]
    # a half-typed NHS number is ignored, not used to rule people out
    assert [
        x.person_id
        for x in _ask(
            chained,
            clock,
            given_name="Sean",
            family_name="O'Brien",
            date_of_birth="2016-12-12",
            nhs_number="943 47",
        )
    ] == [SEAN]


def test_names_alone_or_nothing_suggest_nobody(chained, clock) -> None:  # type: ignore[no-untyped-def]
    assert _ask(chained, clock, given_name="Siobhan", family_name="OBrien") == []
    assert _ask(chained, clock) == []
    assert subject_of({"given_name": "  "}) is None
    assert (
        _ask(chained, clock, given_name="Amara", family_name="Okafor", date_of_birth="2020-06-30")
        == []
    )


def test_restricted_person_is_offered_without_its_content(chained, clock) -> None:  # type: ignore[no-untyped-def]
    AuditService(GuardedStore(chained, Actor("ad.min", Role.ADMIN, "desk"), clock)).restrict(
        SIOBHAN, ["sp.senior"], "child of a staff member"
    )
    officer = GuardedStore(chained, OFFICER, clock)
    [s] = _ask(
        officer, clock, given_name="Siobhán", family_name="O'Brien", date_of_birth="2019-04-03"
    )
    assert (s.person_id, s.name, s.date_of_birth, s.nhs_number) == (
        SIOBHAN,
        "Restricted record",
        None,
        None,
    )
    assert s.evidence == ("possible match, confidence 70",)
    [by_nhs] = _ask(officer, clock, nhs_number=VALID_NHS)
    assert by_nhs.evidence == ("certain match, confidence 100", "nhs number")
    named = GuardedStore(chained, Actor("sp.senior", Role.SENIOR_PRACTITIONER, "desk"), clock)
    [shown] = _ask(named, clock, nhs_number=VALID_NHS)
    assert shown.name.startswith("Siobhan OBrien")
