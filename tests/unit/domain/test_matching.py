"""Matching on awkward names, swapped dates and the no-false-merge rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.matching import (
    LIKELY,
    NAME_DOB_CAP,
    BlockingIndex,
    Subject,
    compare_names,
    edit_distance,
    fold,
    name_key,
    rank,
    score,
)
from dutydesk.domain.projection import PersonRow
from tests.factories import VALID_NHS

OTHER_NHS = "4010232137"


def person(pid: str = "p1", **kw: object) -> PersonRow:
    base: dict[str, object] = {
        "given_name": "Siobhán",
        "family_name": "O'Brien",
        "date_of_birth": "2019-04-03",
        "sex": "b",
    }
    base.update(kw)
    return PersonRow(person_id=pid, **base)  # type: ignore[arg-type]


def test_fold_removes_diacritics_apostrophes_and_case() -> None:
    assert fold("Siobhán") == "siobhan"
    assert fold("Wiśniewski") == "wisniewski"
    assert fold("Łukasz") == "lukasz"
    assert name_key("O'Brien") == name_key("OBrien") == name_key("O Brien") == "obrien"
    assert name_key("O\u2019Brien") == "obrien"
    assert fold("Smith-Jones") == "smith jones"


def test_edit_distance_counts_transpositions_as_one() -> None:
    assert edit_distance("smith", "smtih") == 1
    assert edit_distance("jones", "jonse") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a", "abcdefgh", 2) == 3


def test_name_comparisons_say_how_they_agree() -> None:
    assert compare_names("Siobhán", "Siobhan") == (1.0, "diacritics")
    assert compare_names("Wiśniewski", "Wisniewski") == (1.0, "diacritics")
    assert compare_names("O'Brien", "O Brien") == (1.0, "punctuation")
    assert compare_names("Smith-Jones", "Jones") == (0.8, "hyphenated")
    assert compare_names("Mohammed", "Mohamed") == (0.75, "typo")
    assert compare_names("Li", "Le") is None
    assert compare_names("Brown", "Green") is None


def test_same_nhs_number_is_certain_whatever_the_name() -> None:
    c = score(
        Subject(given_name="Shiv", family_name="Obrien", nhs_number=VALID_NHS),
        person(nhs_number=VALID_NHS),
    )
    assert c is not None and c.confidence == 100 and c.level == "certain"
    assert c.matched == ("nhs_number",) and not c.needs_confirmation


def test_conflicting_nhs_numbers_are_never_a_match() -> None:
    subject = Subject(
        given_name="Siobhán",
        family_name="O'Brien",
        date_of_birth="2019-04-03",
        nhs_number=OTHER_NHS,
        postcode="LS1 4AB",
    )
    assert score(subject, person(nhs_number=VALID_NHS, postcode="LS1 4AB")) is None


def test_same_name_and_birthday_alone_is_only_possible() -> None:
    c = score(
        Subject(given_name="Siobhan", family_name="OBrien", date_of_birth="2019-04-03"), person()
    )
    assert c is not None
    assert c.confidence <= NAME_DOB_CAP < LIKELY
    assert c.level == "possible"
    assert set(c.matched) == {
        "given_name (diacritics)",
        "family_name (punctuation)",
        "date_of_birth",
    }


def test_agreeing_postcode_or_school_lifts_to_likely() -> None:
    subject = Subject(
        given_name="Siobhan", family_name="O Brien", date_of_birth="2019-04-03", postcode="ls1 4ab"
    )
    c = score(subject, person(postcode="LS1 4AB"))
    assert c is not None and c.level == "likely" and "postcode" in c.matched
    c2 = score(
        Subject(
            given_name="Siobhán",
            family_name="O'Brien",
            date_of_birth="2019-04-03",
            school="St Mary's Primary",
        ),
        person(school="St Marys Primary"),
    )
    assert c2 is not None and c2.level == "likely" and "school" in c2.matched


def test_twins_share_family_name_and_birthday_but_not_given_name() -> None:
    c = score(
        Subject(
            given_name="Aoife",
            family_name="O'Brien",
            date_of_birth="2019-04-03",
            postcode="LS1 4AB",
        ),
        person(postcode="LS1 4AB"),
    )
    assert c is None or c.level == "possible"


def test_swapped_day_and_month_and_typo_in_name() -> None:
    c = score(
        Subject(
            given_name="Siobhan",
            family_name="O'Brein",
            date_of_birth="2019-03-04",
            postcode="LS1 4AB",
            school="Park School",
        ),
        person(postcode="LS1 4AB", school="Park School"),
    )
    assert c is not None
    assert "date_of_birth (day and month swapped)" in c.matched
    assert "family_name (typo)" in c.matched


def test_hyphenated_family_name_matches_either_part() -> None:
    c = score(
        Subject(
            given_name="Amelia", family_name="Jones", date_of_birth="2015-06-20", postcode="M1 1AA"
        ),
        person(
            given_name="Amelia",
            family_name="Smith-Jones",
            date_of_birth="2015-06-20",
            postcode="M1 1AA",
        ),
    )
    assert c is not None and "family_name (hyphenated)" in c.matched


def test_known_alias_is_used() -> None:
    p = person(
        given_name="Kacper",
        family_name="Wiśniewski",
        date_of_birth="2012-02-11",
        other_names=("Casper Wood",),
        sex="a",
    )
    c = score(Subject(given_name="Casper", family_name="Wood", date_of_birth="2012-02-11"), p)
    assert c is not None and "family_name (alias)" in c.matched
    assert (
        score(Subject(given_name="Kacper", family_name="Wisniewski", date_of_birth="2012-02-11"), p)
        is not None
    )


def test_different_sex_lowers_confidence() -> None:
    same = score(
        Subject(given_name="Siobhan", family_name="O'Brien", date_of_birth="2019-04-03", sex="b"),
        person(),
    )
    diff = score(
        Subject(given_name="Siobhan", family_name="O'Brien", date_of_birth="2019-04-03", sex="a"),
        person(),
    )
    assert same is not None and (diff is None or diff.confidence < same.confidence)


def test_a_single_name_is_not_a_candidate() -> None:
    assert score(Subject(family_name="O'Brien"), person()) is None
    assert (
        score(Subject(given_name="Tom", family_name="Green", date_of_birth="2019-04-03"), person())
        is None
    )


def test_blocking_index_finds_the_same_candidates_as_a_full_scan() -> None:
    people = [
        person(f"p{i}", given_name=g, family_name=f, date_of_birth=d)
        for i, (g, f, d) in enumerate(
            [
                ("Siobhán", "O'Brien", "2019-04-03"),
                ("Siobhan", "Obrien", "2019-03-04"),
                ("Amelia", "Smith-Jones", "2015-06-20"),
                ("Amelia", "Jones", "2015-06-21"),
                ("Tom", "Green", "2010-01-01"),
            ]
        )
    ]
    index = BlockingIndex.build(people)
    for subject in (
        Subject(given_name="Siobhan", family_name="O Brien", date_of_birth="2019-04-03"),
        Subject(given_name="Amelia", family_name="Jones", date_of_birth="2015-06-20"),
    ):
        assert index.search(subject) == rank(subject, people)
        assert index.search(subject)


names = st.text(alphabet="abcdeéńś'- ", min_size=1, max_size=12)


@given(names, names, st.dates().map(lambda d: d.isoformat()))
def test_score_is_symmetric_in_names_and_bounded(a: str, b: str, dob: str) -> None:
    s = Subject(given_name=a, family_name=b, date_of_birth=dob)
    p = person(given_name=a, family_name=b, date_of_birth=dob)
    c = score(s, p)
    assert c is None or 0 <= c.confidence <= NAME_DOB_CAP
