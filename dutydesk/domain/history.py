"""A child's front-door history from linked records, as the triage rules and the desk read it.

Only records already linked to a person count (a contact child slot with a ``person_id``);
proposing links is the matching module's job. Definitions:

* **Referral** and **re-referral** are the DfE definitions in ``domain.referrals`` (the one
  implementation): a referral is ``ContactRow.is_referral`` (NFA referrals imported from a
  census or Annex A included), dated on the London day it was received, one per child per
  day. A contact now would be a **re-referral** when the child had a referral on an earlier
  day within the 12 months before today (a referral earlier today is the same referral).
* **Referrals in the last 12 months** counts those earlier referral days in that window.
* **Police notifications** count contacts from source ``6`` in the last 3 months.

Everything is "as at" a given moment: later contacts, and decisions made after it, do not
count, so history can be rebuilt for any past contact (evaluation needs that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .projection import ContactRow, PersonRow
from .referrals import (
    months_before,
    one_per_day,
    previous_referral_within,
    referral_date,
    referrals_before,
)

POLICE_SOURCE = "6"


@dataclass(frozen=True, slots=True)
class PastContact:
    """The parts of an earlier contact that history needs (cheap to load in bulk)."""

    contact_id: str
    received_at: str
    source_code: str
    rating: str | None = None
    outcome: str | None = None
    is_referral: bool = False
    decided_at: str | None = None

    @classmethod
    def from_row(cls, row: ContactRow) -> PastContact:
        return cls(
            row.contact_id,
            row.received_at,
            row.source_code,
            row.rating,
            row.outcome,
            row.is_referral,
            row.decided_at,
        )


@dataclass(frozen=True, slots=True)
class PersonFlags:
    """What a child's history takes from their person record: read alone in bulk (rating
    100,000 open contacts reads a person per linked child; the whole row is not needed)."""

    person_id: str
    open_case: bool = False
    cp_plan: str | None = None
    looked_after: bool = False


@dataclass(frozen=True, slots=True)
class ChildHistory:
    """What is known about one linked child as at ``as_at``."""

    person_id: str
    as_at: str
    previous_contacts: int = 0
    contacts_12m: int = 0
    referrals_12m: int = 0
    last_referral_on: str | None = None
    re_referral: bool = False
    police_notifications: int = 0  # in the police window, this contact not included
    open_case: bool = False
    cp_plan: str | None = None  # "current", "past" or None
    looked_after: bool = False
    earlier: tuple[PastContact, ...] = ()
    # Distinct referral sources of the contacts in the re-referral window (agencies or
    # people raising concerns), for "accumulating concerns from different agencies".
    sources_12m: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.previous_contacts or self.open_case or self.cp_plan or self.looked_after)


__all__ = [
    "ChildHistory",
    "PastContact",
    "PersonFlags",
    "build_history",
    "history_messages",
]


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def build_history(
    person_id: str,
    person: PersonRow | PersonFlags | None,
    contacts: Iterable[PastContact],
    at: datetime,
    *,
    exclude_contact_id: str | None = None,
    rereferral_months: int = 12,
    police_months: int = 3,
    as_at: str | None = None,
) -> ChildHistory:
    """History of ``person_id`` from their linked ``contacts`` as at ``at`` (``as_at``:
    ``at.isoformat()``, when the caller has made it already)."""
    cp_plan = person.cp_plan if person and person.cp_plan in ("current", "past") else None
    if (
        type(contacts) is list
        and len(contacts) == 1
        and contacts[0].contact_id == exclude_contact_id
    ):
        unique: dict[str, PastContact] = {}  # only the contact being rated: as no contact
    else:
        unique = {c.contact_id: c for c in contacts}  # a child twice on a contact: once
    if not unique or (len(unique) == 1 and exclude_contact_id in unique):
        # No other contact (most children on an open contact: only the one being rated):
        # every count is 0, only the person's own flags are known.
        return ChildHistory(
            person_id,
            as_at or at.isoformat(),
            open_case=bool(person and person.open_case),
            cp_plan=cp_plan,
            looked_after=bool(person and person.looked_after),
        )
    day = referral_date(at)
    rerefer_from = months_before(day, rereferral_months)
    police_from = months_before(day, police_months)
    # Each arrival time is parsed once here (rating 100,000 open contacts builds a history
    # per linked child, and parsing dominated when it was done per test).
    dated = [
        (c, _instant(c.received_at))
        for c in unique.values()
        if c.contact_id != exclude_contact_id and c.received_at
    ]
    dated = [(c, when) for c, when in dated if when < at]
    dated.sort(key=lambda pair: (pair[0].received_at, pair[0].contact_id))
    earlier = [c for c, _ in dated]
    referral_days = one_per_day(
        referral_date(when)
        for c, when in dated
        if c.is_referral and c.decided_at and _instant(c.decided_at) <= at
    )
    # The windows count London days, as ``day`` is one: the same instant written with
    # another UTC offset (a partner's system writing UTC in summer) counts alike.
    on = [(c, referral_date(when)) for c, when in dated]
    recent = [c for c, d in on if d >= rerefer_from]
    police = [c for c, d in on if c.source_code == POLICE_SOURCE and d >= police_from]
    return ChildHistory(
        person_id=person_id,
        as_at=as_at or at.isoformat(),
        previous_contacts=len(earlier),
        contacts_12m=len(recent),
        referrals_12m=referrals_before(referral_days, day, rereferral_months),
        last_referral_on=referral_days[-1].isoformat() if referral_days else None,
        re_referral=previous_referral_within(referral_days, day, rereferral_months) is not None,
        police_notifications=len(police),
        open_case=bool(person and person.open_case),
        cp_plan=cp_plan,
        looked_after=bool(person and person.looked_after),
        earlier=tuple(earlier),
        sources_12m=tuple(sorted({c.source_code for c in recent})),
    )


# From this many earlier contacts in 12 months the pattern is shown to the duty manager
# (cumulative harm: contacts that each look minor alone).
REPEAT_CONTACTS = 2


def history_messages(h: ChildHistory) -> list[str]:
    """The flags a duty manager reads beside a child, most serious first."""
    out = []
    if h.open_case:
        out.append("Open case: an allocated worker holds it")
    if h.looked_after:
        out.append("Looked after by the local authority")
    if h.cp_plan == "current":
        out.append("Subject of a child protection plan now")
    if h.re_referral:
        out.append(
            f"Referred in the last 12 months ({h.referrals_12m}): "
            "a referral now would be a re-referral"
        )
    if h.contacts_12m >= REPEAT_CONTACTS:
        out.append(f"{h.contacts_12m} earlier contacts in 12 months")
    if h.police_notifications >= 3:
        out.append(f"{h.police_notifications} police notifications in 3 months (escalation)")
    if h.cp_plan == "past":
        out.append("Previously subject of a child protection plan")
    return out
