"""A store holding likely matches waiting for a person (for link service and dialog tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dutydesk.domain.ids import new_id
from dutydesk.store import pending_links
from dutydesk.store.eventstore import EventStore
from dutydesk.store.pending_links import PendingLinkRow
from tests.factories import contact_payload, event


@dataclass(frozen=True)
class Waiting:
    contact_id: str
    person_ids: tuple[str, ...]  # one known person per child slot


def waiting_links(store: EventStore, now: datetime, count: int = 2) -> Waiting:
    """Known people, then one contact naming ``count`` unlinked children, each with a
    queued likely match (as the importer would leave them)."""
    kids = [
        ("Siobhan", "OBrien", "2019-04-03"),
        ("Zoë", "Wiśniewski", "2017-02-11"),
        ("Sean", "O'Brien", "2016-12-12"),
        ("Amara", "Okafor", "2020-06-30"),
    ]
    people = [new_id() for _ in range(count)]
    contact = contact_payload(
        children=[
            {
                "slot": i,
                "given_name": kids[i][0].replace("Siobhan", "Siobhán"),
                "family_name": kids[i][1].replace("OBrien", "O'Brien"),
                "date_of_birth": kids[i][2],
                "postcode": "LS1 4AB",
                "sex": "b" if i % 2 == 0 else "a",
            }
            for i in range(count)
        ]
    )
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": pid,
                    "given_name": kids[i][0],
                    "family_name": kids[i][1],
                    "date_of_birth": kids[i][2],
                    "postcode": "LS1 4AB",
                    "sex": "b",
                },
                now,
            )
            for i, pid in enumerate(people)
        ]
        + [event("contact.received", contact, now)]
    )
    pending_links.add(
        store.engine,
        [
            PendingLinkRow(
                contact["contact_id"],
                i,
                pid,
                85,
                (
                    "family_name (punctuation)",
                    "given_name (diacritics)",
                    "date_of_birth",
                    "postcode",
                ),
                "police.csv",
                now.isoformat(),
            )
            for i, pid in enumerate(people)
        ],
    )
    return Waiting(contact["contact_id"], tuple(people))
