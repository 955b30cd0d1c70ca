"""What the rating upkeep needs from the store: which open contacts a batch of newly
arrived events may have changed the rating of.

A contact's rating depends on the contact itself, the children linked to it, and those
children's history (their other contacts, referrals, plans). So the contacts to look at
again after events ``(seq, newest]`` are the contacts those events name, plus every open
contact of a person those events are about. Ratings and overrides are left out on
purpose: a rating arriving from another desk is not a reason to rate again (two desks with
different policies would otherwise answer each other for ever), unless a lower scoring
revision made it (``rated_by_older_scorer``: a desk never rates back a higher one's).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Engine, func, select

from ..domain.triage.scoring import _NO_ANSWERS, ChildFacts, ContactFacts
from .eventstore import EVENTS
from .queries import OPEN_STATUSES
from .readmodel import CONTACTS
from .rowread import _bool, _json, _seq, chunks, fetch, placeholders

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
# The events of ``(after, upto]`` that may change a rating (parameters: after, upto, then
# ``NOT_RATING_INPUTS``).
_WINDOW = (
    "events.local_seq > ? AND events.local_seq <= ? AND events.type NOT IN "
    f"({placeholders(len(NOT_RATING_INPUTS))})"
)


def newest_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(EVENTS.c.local_seq))).scalar() or 0)


def contacts_to_rerate(engine: Engine, after_seq: int, upto_seq: int) -> set[str]:
    """Open contacts whose rating events in ``(after_seq, upto_seq]`` may have changed.

    A contact that arrived or had a child linked or unlinked is rated again itself. Any
    other event (a decision, a referral, a plan, a person's details) changes the history
    of the children it is about, so their *other* open contacts are looked at again; the
    contact it names is not (its own decision is not part of its history).

    Read through the driver (``rowread``): after an import the window holds a row per
    imported event, and SQLAlchemy's per-row fetch and per-chunk compilation cost more
    than the queries did."""
    params = (after_seq, upto_seq, *NOT_RATING_INPUTS)
    with engine.connect() as conn:
        named: dict[str, bool] = {}  # contact id -> named by an event that rates it itself
        for cid, kind in fetch(
            conn,
            f"SELECT DISTINCT contact_id, type FROM events WHERE {_WINDOW} "
            "AND contact_id IS NOT NULL",
            params,
        ):
            named[cid] = named.get(cid, False) or kind in RATES_ITS_CONTACT
        people = {
            pid
            for (pid,) in fetch(
                conn,
                "SELECT DISTINCT event_people.person_id FROM event_people JOIN events "
                f"ON events.local_seq = event_people.local_seq WHERE {_WINDOW}",
                params,
            )
        }
        for chunk in chunks(sorted(named)):
            people |= {
                pid
                for (pid,) in fetch(
                    conn,
                    f"SELECT DISTINCT person_id FROM contact_children WHERE contact_id IN "
                    f"({placeholders(len(chunk))}) AND person_id IS NOT NULL",
                    chunk,
                )
            }
        found = {cid for cid, itself in named.items() if itself}
        for chunk in chunks(sorted(people)):
            found |= {
                cid
                for (cid,) in fetch(
                    conn,
                    f"SELECT DISTINCT contact_id FROM contact_children WHERE person_id IN "
                    f"({placeholders(len(chunk))})",
                    chunk,
                )
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


def rated_by_older_scorer(engine: Engine, revision: int) -> set[str]:
    """Open contacts whose recorded rating a scoring revision below ``revision`` made (a
    rating pulled from an older desk, or recorded here before a scoring fix). Read through
    ``ix_contacts_status_scorer_revision``: one short range per open status, so the live
    poll's look costs nothing while no such rating is held, whatever the closed contacts
    an older revision rated (they keep their rating)."""
    status_in = f"status IN ({placeholders(len(OPEN_STATUSES))})"
    with engine.connect() as conn:
        return {
            cid
            for (cid,) in fetch(
                conn,
                f"SELECT contact_id FROM contacts WHERE {status_in} AND scorer_revision < ? "
                "AND received_at != ''",
                [*OPEN_STATUSES, revision],
            )
        }


def _open(conn: Connection, contact_ids: Iterable[str]) -> set[str]:
    status_in = f"status IN ({placeholders(len(OPEN_STATUSES))})"
    out: set[str] = set()
    for chunk in chunks(sorted(contact_ids)):
        out |= {
            cid
            for (cid,) in fetch(
                conn,
                f"SELECT contact_id FROM contacts WHERE contact_id IN ({placeholders(len(chunk))})"
                f" AND {status_in} AND received_at != ''",
                [*chunk, *OPEN_STATUSES],
            )
        }
    return out


# ---- the bulk re-rating's read --------------------------------------------------------
# Rating every open contact reads, for each, what scoring needs and the rating stored now,
# straight from the driver: the facts are built from the row (no 36-column ``ContactRow``
# made and then copied into ``ContactFacts``), and the stored reasons stay JSON text, which
# ``services.triage`` compares as text with what the policy says now (decoding it only
# when the texts differ). The conversions are ``rowread``'s (JSON text -> ``json.loads``,
# sequences as tuples, SQLite 0/1 -> bool, NULL kept).

_RATING_COLUMNS = (
    "contact_id, received_at, source_code, categories, immediate_danger, injury_reported, "
    "disclosure, dash_level, dara_level, children_present, previous_incidents, answers, "
    "rating, overridden, score, reasons, policy_version, due_at, scorer_revision"
)
_CHILD_COLUMNS = "contact_id, slot, person_id, date_of_birth, expected_date_of_birth, age_years"


class StoredRating(NamedTuple):
    """The rating a contact's row holds now (``reasons``: its JSON text, as stored)."""

    rating: str | None
    overridden: bool | None
    score: int | None
    reasons: str | None
    policy_version: str | None
    due_at: str | None
    scorer_revision: int | None


def open_for_rating(
    engine: Engine, contact_ids: Iterable[str]
) -> list[tuple[ContactFacts, StoredRating]]:
    """The open contacts among ``contact_ids`` (chunked, in the order of
    ``DeskQueries.open_contacts_in``): each one's facts for scoring, children included, and
    its stored rating."""
    ids = list(contact_ids)
    status_in = f"status IN ({placeholders(len(OPEN_STATUSES))})"
    out: list[tuple[ContactFacts, StoredRating]] = []
    seq, js, flag, when, no_answers = _seq, _json, _bool, datetime.fromisoformat, _NO_ANSWERS
    with engine.connect() as conn:
        for chunk in chunks(ids):
            marks = placeholders(len(chunk))
            kids: dict[str, list[ChildFacts]] = {}
            for cid, slot, pid, dob, edd, age in fetch(
                conn,
                f"SELECT {_CHILD_COLUMNS} FROM contact_children WHERE contact_id IN ({marks}) "
                "ORDER BY contact_id, slot",
                chunk,
            ):
                child = ChildFacts(slot, pid, dob, edd, age)
                if cid in kids:
                    kids[cid].append(child)
                else:
                    kids[cid] = [child]
            for r in fetch(
                conn,
                f"SELECT {_RATING_COLUMNS} FROM contacts WHERE contact_id IN ({marks}) "
                f"AND {status_in} AND received_at != ''",
                [*chunk, *OPEN_STATUSES],
            ):
                facts = ContactFacts(
                    r[0],
                    when(r[1]),
                    r[2],
                    seq(r[3]),
                    flag(r[4]),
                    flag(r[5]),  # type: ignore[arg-type]
                    flag(r[6]),  # type: ignore[arg-type]
                    r[7],
                    r[8],
                    flag(r[9]),
                    r[10],
                    tuple(kids.get(r[0], ())),
                    js(r[11]) or no_answers,
                )
                out.append(
                    (facts, StoredRating(r[12], flag(r[13]), r[14], r[15], r[16], r[17], r[18]))
                )
    return out
