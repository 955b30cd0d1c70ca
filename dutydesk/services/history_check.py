"""Checking an imported Annex A against the history now in the store.

Annex A List 3 states, for each child, the number of referrals in the 12 months before the
child's latest referral. Recomputing it from the imported history shows whether the history
is complete: where the store holds fewer earlier referrals than the workbook states, the
earlier referrals were not in the files imported so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..intake.history import is_imported_referral, referrals_in_last_12_months
from ..intake.ids import la_person_id
from ..store.eventstore import EventStore
from ..store.queries import Queries


@dataclass(frozen=True, slots=True)
class Last12Check:
    child_id: str
    stated: int
    recomputed: int

    @property
    def agrees(self) -> bool:
        return self.stated == self.recomputed


def referral_days(store: EventStore, la_child_id: str) -> list[date]:
    contacts = Queries(store.engine).contacts_of_person(la_person_id(la_child_id))
    return [
        date.fromisoformat(c.received_at[:10])
        for c in contacts
        if is_imported_referral(c.external_ref, c.is_referral)
    ]


def check_last_12(store: EventStore, stated: dict[str, int]) -> list[Last12Check]:
    return [
        Last12Check(child, n, referrals_in_last_12_months(referral_days(store, child)))
        for child, n in sorted(stated.items())
    ]
