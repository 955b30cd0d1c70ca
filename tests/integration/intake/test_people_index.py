"""SQL candidate lookup agrees with the in-memory index."""

from __future__ import annotations

from datetime import datetime

from dutydesk.domain.matching import Subject
from dutydesk.store.eventstore import EventStore
from dutydesk.store.people_index import load_index, lookup
from tests.factories import VALID_NHS, event


def test_lookup_finds_swapped_dates_and_nhs(store: EventStore, now: datetime) -> None:
    ids = [f"0190a000-0000-7000-8000-00000000000{i}" for i in range(4)]
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": ids[0],
                    "given_name": "Siobhán",
                    "family_name": "O'Brien",
                    "date_of_birth": "2019-03-04",
                    "postcode": "LS1 4AB",
                },
                now,
            ),
            event(
                "person.registered",
                {
                    "person_id": ids[1],
                    "given_name": "Amy",
                    "family_name": "Khan",
                    "date_of_birth": "2012-01-01",
                    "nhs_number": VALID_NHS,
                },
                now,
            ),
            event(
                "person.registered",
                {
                    "person_id": ids[2],
                    "given_name": "Tom",
                    "family_name": "Green",
                    "date_of_birth": "2019-04-03",
                },
                now,
            ),
        ]
    )
    subject = Subject(
        given_name="Siobhan", family_name="OBrien", date_of_birth="2019-04-03", postcode="LS1 4AB"
    )
    found = lookup(store.engine, subject)
    assert [c.person_id for c in found] == [ids[0]]
    assert "date_of_birth (day and month swapped)" in found[0].matched
    assert found == load_index(store.engine).search(subject)
    by_nhs = lookup(store.engine, Subject(nhs_number=VALID_NHS))
    assert [(c.person_id, c.level) for c in by_nhs] == [(ids[1], "certain")]
