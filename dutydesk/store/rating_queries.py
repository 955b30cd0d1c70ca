"""What the rating upkeep needs from the store: which open contacts a batch of newly
arrived events may have changed the rating of.

A contact's rating depends on the contact itself, the children linked to it, and those
children's history (their other contacts, referrals, plans). So the contacts to look at
again after events ``(seq, newest]`` are the contacts those events name, plus every open
contact of a person those events are about. Ratings and overrides are left out on
purpose: a rating arriving from another desk is not a reason to rate again (two desks with
different policies would otherwise answer each other for ever).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, func, select

from .eventstore import EVENT_PEOPLE, EVENTS
from .queries import OPEN_STATUSES
from .readmodel import CHILDREN, CONTACTS, _chunks

# Event types that cannot change any rating.
NOT_RATING_INPUTS = (
    "contact.rated",
    "contact.rating_overridden",
    "record.viewed",
    "document.printed",
    "document.exported",
    "access.break_glass",
    "access.granted",
    "record.restricted",
    "handover.noted",
    "handover.acknowledged",
    "note.added",
    "contact.assigned",
)
# Event types after which the contact they name is rated again itself.
RATES_ITS_CONTACT = frozenset({"contact.received", "person.linked", "person.unlinked"})


def newest_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(EVENTS.c.local_seq))).scalar() or 0)


def contacts_to_rerate(engine: Engine, after_seq: int, upto_seq: int) -> set[str]:
    """Open contacts whose rating events in ``(after_seq, upto_seq]`` may have changed.

    A contact that arrived or had a child linked or unlinked is rated again itself. Any
    other event (a decision, a referral, a plan, a person's details) changes the history
    of the children it is about, so their *other* open contacts are looked at again; the
    contact it names is not (its own decision is not part of its history)."""
    window = (
        EVENTS.c.local_seq > after_seq,
        EVENTS.c.local_seq <= upto_seq,
        EVENTS.c.type.not_in(NOT_RATING_INPUTS),
    )
    with engine.connect() as conn:
        named: dict[str, bool] = {}  # contact id -> named by an event that rates it itself
        for cid, kind in conn.execute(
            select(EVENTS.c.contact_id, EVENTS.c.type)
            .where(*window, EVENTS.c.contact_id.is_not(None))
            .distinct()
        ):
            named[cid] = named.get(cid, False) or kind in RATES_ITS_CONTACT
        people = set(
            conn.execute(
                select(EVENT_PEOPLE.c.person_id)
                .join(EVENTS, EVENTS.c.local_seq == EVENT_PEOPLE.c.local_seq)
                .where(*window)
                .distinct()
            ).scalars()
        )
        for chunk in _chunks(sorted(named)):
            people |= set(
                conn.execute(
                    select(CHILDREN.c.person_id)
                    .where(CHILDREN.c.contact_id.in_(chunk), CHILDREN.c.person_id.is_not(None))
                    .distinct()
                ).scalars()
            )
        found = {cid for cid, itself in named.items() if itself}
        for chunk in _chunks(sorted(people)):
            found |= {
                cid
                for cid in conn.execute(
                    select(CHILDREN.c.contact_id).where(CHILDREN.c.person_id.in_(chunk)).distinct()
                ).scalars()
                if named.get(cid, True)
            }
        return _open(conn, found)


def unrated_or_other_policy(engine: Engine, policy_version: str) -> set[str]:
    """Open contacts with no rating, or rated by a policy other than ``policy_version``."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(CONTACTS.c.contact_id).where(
                    CONTACTS.c.status.in_(OPEN_STATUSES),
                    CONTACTS.c.received_at != "",
                    (CONTACTS.c.rating.is_(None))
                    | (CONTACTS.c.policy_version.is_(None))
                    | (CONTACTS.c.policy_version != policy_version),
                )
            ).scalars()
        )


def _open(conn: Connection, contact_ids: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(sorted(contact_ids)):
        out |= set(
            conn.execute(
                select(CONTACTS.c.contact_id).where(
                    CONTACTS.c.contact_id.in_(chunk),
                    CONTACTS.c.status.in_(OPEN_STATUSES),
                    CONTACTS.c.received_at != "",
                )
            ).scalars()
        )
    return out
