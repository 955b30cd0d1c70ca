"""Pending links as a use case: list likely matches with both records side by side, confirm
one (a ``person.linked`` event with its evidence and confidence) or dismiss it with a reason.

Confirming writes the event and closes the pending row in ONE transaction
(``GuardedStore.append_in`` + ``pending_links.close`` on the same connection): either the
child is linked and the suggestion closed, or neither. The permission check runs first,
as for every write. A suggestion already closed (by someone else, or a double press) is
refused by name, never linked twice.

A dismissal is local bookkeeping (who, when, why on the pending row), not an event: the
suggestion itself is local to this desk (derived by matching at import), so there is
nothing on the shared record to correct.

Restricted records: a person who may not see the known person's record sees that a match
to a restricted record is waiting, not the record; they may neither confirm nor dismiss it
(judging a match needs both records), so someone named on the record does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ..domain.clock import Clock
from ..domain.errors import ValidationError
from ..domain.events import Event, recorded_by
from ..domain.matching import LIKELY, POSSIBLE
from ..domain.permissions import Action, require
from ..domain.projection import ContactChildRow, PersonRow
from ..store import pending_links
from ..store.pending_links import PendingLinkRow
from .guard import GuardedStore, RestrictedRecord
from .redaction import RESTRICTED_TEXT
from .snapshots import Changes

MIN_DISMISS_REASON = 5
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the comparison: the child as described, or the known person."""

    name: str
    date_of_birth: str | None = None
    expected_date_of_birth: str | None = None
    sex: str | None = None
    nhs_number: str | None = None
    postcode: str | None = None
    school: str | None = None
    other_names: tuple[str, ...] = ()
    restricted: bool = False

    @classmethod
    def of_child(cls, row: ContactChildRow | None) -> Side:
        if row is None:
            return cls("(child no longer on the contact)")
        return cls(
            row.display_name,
            row.date_of_birth,
            row.expected_date_of_birth,
            row.sex,
            row.nhs_number,
            row.postcode,
            row.school,
        )

    @classmethod
    def of_person(cls, row: PersonRow | None) -> Side:
        if row is None:
            return cls("(person not known on this desk)")
        return cls(
            row.display_name,
            row.date_of_birth,
            row.expected_date_of_birth,
            row.sex,
            row.nhs_number,
            row.postcode,
            row.school,
            row.other_names,
        )


HIDDEN_SIDE = Side(RESTRICTED_TEXT, restricted=True)


@dataclass(frozen=True, slots=True)
class PendingMatch:
    """A likely match waiting for a person, with both records side by side."""

    contact_id: str
    slot: int
    person_id: str
    confidence: int
    matched: tuple[str, ...]
    source: str
    queued_at: str
    received_at: str | None
    on_contact: Side
    on_record: Side

    @property
    def key(self) -> tuple[str, int, str]:
        return self.contact_id, self.slot, self.person_id

    @property
    def hidden(self) -> bool:
        return self.on_record.restricted or self.on_contact.restricted

    @property
    def level(self) -> str:
        return (
            "likely"
            if self.confidence >= LIKELY
            else ("possible" if self.confidence >= POSSIBLE else "weak")
        )


class LinkService:
    """Pending links for the signed-in actor (the actor is the guarded store's)."""

    def __init__(self, store: GuardedStore, clock: Clock) -> None:
        self.store = store
        self.actor = store.actor
        self.clock = clock

    def pending(self) -> list[PendingMatch]:
        rows = pending_links.pending(self.store.engine)
        children, people, received = pending_links.sides(self.store.engine, rows)
        hidden_people = self.store.hidden_people({r.person_id for r in rows})
        visible = self.store.visible_contacts({r.contact_id for r in rows})
        out = []
        for r in rows:
            record = (
                HIDDEN_SIDE
                if r.person_id in hidden_people
                else Side.of_person(people.get(r.person_id))
            )
            child = (
                HIDDEN_SIDE
                if not visible.get(r.contact_id, True)
                else Side.of_child(children.get((r.contact_id, r.slot)))
            )
            # Which fields agreed says something about a hidden record: keep it hidden too.
            matched = () if record.restricted or child.restricted else r.matched
            out.append(
                PendingMatch(
                    r.contact_id,
                    r.slot,
                    r.person_id,
                    r.confidence,
                    matched,
                    r.source,
                    r.created_at,
                    received.get(r.contact_id),
                    child,
                    record,
                )
            )
        return out

    def confirm(self, contact_id: str, slot: int, person_id: str) -> tuple[Event | None, Changes]:
        """Link the child to the person. Returns the ``person.linked`` event (None when the
        child was already linked to this person, e.g. from the entry form: the suggestion
        is then only closed)."""
        require(self.actor, Action.LINK_PERSON)
        self._require_visible(contact_id, person_id)
        now = self.clock.now()
        with self.store.engine.begin() as conn:
            row = self._open_row(conn, contact_id, slot, person_id)
            current = pending_links.linked_person(conn, contact_id, slot)
            event = None
            if current is None:
                event = recorded_by(
                    "person.linked",
                    {
                        "contact_id": contact_id,
                        "slot": slot,
                        "person_id": person_id,
                        "evidence": list(row.matched)[:20],
                        "confidence": row.confidence,
                        "reason": f"Likely match (confidence {row.confidence}) confirmed by "
                        f"{self.actor.login} after comparing both records.",
                    },
                    by=self.actor,
                    at=now,
                )
                self.store.append_in(conn, [event])
            elif current != person_id:
                raise ValidationError(
                    f"child {slot + 1} on contact {contact_id} is already linked to another "
                    f"person ({current}); unlink them first if that link is wrong",
                    "pending_link",
                )
            pending_links.close(
                conn,
                contact_id,
                slot,
                person_id,
                state=pending_links.LINKED_STATE,
                by=self.actor.login,
                at=now.isoformat(),
            )
        return event, Changes(
            contacts=frozenset({contact_id}), people=frozenset({person_id}), queue=True
        )

    def dismiss(self, contact_id: str, slot: int, person_id: str, reason: str) -> Changes:
        """Record that the match is wrong, who said so and why; it leaves the list."""
        require(self.actor, Action.LINK_PERSON)
        text = " ".join((reason or "").split())
        if len(text) < MIN_DISMISS_REASON:
            raise ValidationError(
                "say why this is not the same child (a few words at least)", "reason"
            )
        if len(text) > MAX_REASON:
            raise ValidationError(
                f"the reason is too long ({len(text)} characters; at most {MAX_REASON})", "reason"
            )
        self._require_visible(contact_id, person_id)
        with self.store.engine.begin() as conn:
            self._open_row(conn, contact_id, slot, person_id)
            pending_links.close(
                conn,
                contact_id,
                slot,
                person_id,
                state=pending_links.DISMISSED_STATE,
                by=self.actor.login,
                at=self.clock.now().isoformat(),
                reason=text,
            )
        return Changes(contacts=frozenset({contact_id}))

    # ---- helpers -----------------------------------------------------------------------

    def _require_visible(self, contact_id: str, person_id: str) -> None:
        try:
            self.store.require_person(person_id)
            self.store.require_contact(contact_id)
        except RestrictedRecord as err:
            raise RestrictedRecord(
                f"{err}. Judging a match needs both records, so someone "
                "named on the record must confirm or dismiss it"
            ) from None

    @staticmethod
    def _open_row(conn: Connection, contact_id: str, slot: int, person_id: str) -> PendingLinkRow:
        row = pending_links.find(conn, contact_id, slot, person_id)
        if row is None:
            raise ValidationError(
                f"no suggestion links child {slot + 1} on contact {contact_id} to {person_id}",
                "pending_link",
            )
        if row.state != pending_links.PENDING_STATE:
            raise ValidationError(
                f"this suggestion was already {row.state} by "
                f"{row.decided_by or 'someone'} at {row.decided_at or '?'}",
                "pending_link",
            )
        return row
