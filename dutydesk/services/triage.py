"""Triage use cases: rate a contact, rate every open contact, override a rating.

Reads the contact and its linked children's history from the store, scores it with the
pure rules in ``dutydesk.domain.triage`` and appends the result as an event, so every
rating is on the record with the policy version that produced it.

Whose action a derived rating is: the person signed in on the desk that derived it. The
``contact.rated`` event carries their login and role, so it passes the same permission
check (``Action.RATE``: contact officers, practitioners, senior practitioners, duty
managers) on the desk and on the shared server, and syncs like any of their events. A
role that may not rate (auditor, administrator) derives nothing: ``may_rate`` is False
and the rating methods write nothing, so their window opens without a refusal; the next
casework desk rates what they saw unrated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import Clock
from ..domain.codes import Rating
from ..domain.errors import ValidationError
from ..domain.events import Actor, Event, recorded_by
from ..domain.history import ChildHistory, build_history
from ..domain.permissions import Action, allows
from ..domain.projection import ContactChildRow, ContactRow
from ..domain.triage.overrides import check_override
from ..domain.triage.policy import Policy, load_policy
from ..domain.triage.scoring import (
    SCORER_REVISION,
    ChildFacts,
    ReasonKey,
    Scored,
    TriageResult,
    due_time,
    format_reason,
    score_contact,
    score_keys,
)
from ..paths import DEFAULT_POLICY
from ..store.desk_queries import DeskQueries
from ..store.eventstore import EventStore
from ..store.gcpause import collector_paused
from ..store.history_queries import HistoryQueries, LinkedRecords
from ..store.queries import Queries
from ..store.rating_queries import (
    StoredRating,
    open_for_rating,
    rated_by_older_scorer,
    unrated_or_other_policy,
)
from .intake_rating import immediate_danger_rating


def default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


def policy_from(path: Path | str | None) -> Policy:
    return load_policy(path) if path else default_policy()


def histories_for(
    contact_id: str,
    received_at: str,
    children: Sequence[ContactChildRow],
    records: LinkedRecords,
    policy: Policy,
) -> list[ChildHistory]:
    """Each linked child's history as at the contact's arrival (the contact excluded)."""
    return histories_at(contact_id, datetime.fromisoformat(received_at), children, records, policy)


def histories_at(
    contact_id: str,
    at: datetime,
    children: Iterable[ContactChildRow | ChildFacts],
    records: LinkedRecords,
    policy: Policy,
) -> list[ChildHistory]:
    """``histories_for`` with the arrival already a ``datetime``."""
    pids = [c.person_id for c in children if c.person_id]
    if not pids:
        return []
    if len(pids) > 1:
        pids = list(dict.fromkeys(pids))
    stamp = at.isoformat()
    months, police = policy.history.rereferral_months, policy.history.police_months
    people, contacts = records.people, records.contacts
    return [
        build_history(
            pid,
            people.get(pid),
            contacts.get(pid, ()),
            at,
            exclude_contact_id=contact_id,
            rereferral_months=months,
            police_months=police,
            as_at=stamp,
        )
        for pid in pids
    ]


class TriageService:
    def __init__(
        self, store: EventStore, actor: Actor, clock: Clock, policy: Policy | None = None
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self.policy = policy or default_policy()
        self.queries = Queries(store.engine)
        self.history = HistoryQueries(store.engine)

    def _event(self, event_type: str, payload: Mapping[str, object], at: datetime) -> Event:
        return recorded_by(
            event_type,
            payload,
            by=self.actor,
            at=at,
        )

    def _contact(self, contact_id: str) -> ContactRow:
        row = self.queries.contact(contact_id)
        if row is None or not row.received_at:
            raise ValidationError(f"no contact {contact_id} in this store", "contact_id")
        return row

    def score(self, contact_id: str) -> TriageResult:
        """The rating the policy suggests now, without recording it."""
        row = self._contact(contact_id)
        kids = self.queries.children_of(contact_id)
        records = self.history.linked_records(k.person_id for k in kids if k.person_id)
        histories = histories_for(contact_id, row.received_at, kids, records, self.policy)
        return score_contact(row, histories, self.policy, self.clock.now(), children=kids)

    @staticmethod
    def on_arrival(contact: Mapping[str, Any], at: datetime) -> dict[str, Any] | None:
        """The intake rule, for the contact's own transaction: a ``contact.rated`` payload
        (Red, due ``at``) when immediate danger was reported, else None. ``rate`` scores
        the stored contact with the policy afterwards."""
        return immediate_danger_rating(contact, at)

    def rate(self, contact_id: str) -> TriageResult:
        """Score and record a ``contact.rated`` event."""
        result = self.score(contact_id)
        self.store.append([self._event("contact.rated", result.to_payload(), self.clock.now())])
        return result

    def score_open(self, *, only_unrated: bool = False) -> list[TriageResult]:
        """Scores for every open contact, with history read in one pass."""
        with collector_paused():
            return self._score_open(only_unrated)

    def _score_open(self, only_unrated: bool) -> list[TriageResult]:
        contacts, children = self.queries.open_contacts()
        if only_unrated:
            contacts = [c for c in contacts if c.rating is None]
        people = {
            k.person_id for c in contacts for k in children.get(c.contact_id, ()) if k.person_id
        }
        records = self.history.linked_records(people)
        now = self.clock.now()
        out = []
        for c in contacts:
            kids = children.get(c.contact_id, [])
            histories = histories_for(c.contact_id, c.received_at, kids, records, self.policy)
            out.append(score_contact(c, histories, self.policy, now, children=kids))
        return out

    @property
    def may_rate(self) -> bool:
        """Whether the signed-in person's role may record derived ratings."""
        return allows(self.actor.role, Action.RATE)

    def score_contacts(self, contact_ids: Iterable[str]) -> list[TriageResult]:
        """Scores for those of ``contact_ids`` that are open, history read in one pass."""
        return [scored.result() for _, scored in self._scored(contact_ids)]

    def _scored(self, contact_ids: Iterable[str]) -> list[tuple[StoredRating, Scored]]:
        """Each open contact among ``contact_ids``: its rating as stored, and its score now
        with the reasons as keys (no text made: see ``scoring.Scored``). The collector is
        paused for the reads too: they make the facts, children and histories in bulk
        (its scans of them were a quarter of the time)."""
        with collector_paused():
            found = open_for_rating(self.store.engine, sorted(set(contact_ids)))
            people = {k.person_id for facts, _ in found for k in facts.children if k.person_id}
            records = self.history.linked_records(people)
            now = self.clock.now()
            policy = self.policy
            out = []
            for facts, stored in found:
                histories = histories_at(
                    facts.contact_id, facts.received_at, facts.children, records, policy
                )
                out.append((stored, score_keys(facts, histories, policy, now)))
            return out

    def rate_where_changed(self, contact_ids: Iterable[str], *, batch: int = 5000) -> int:
        """Rate the open contacts among ``contact_ids`` whose recorded rating is missing
        or differs from what the policy says now (another policy version, new history,
        a child linked), or was made by a lower ``SCORER_REVISION`` (rated again even
        when the answer is the same, so the row says it was checked). Returns how many
        ``contact.rated`` events were written; none for a role that may not rate.

        The comparison is made on the reasons' keys: a reason's text is made once per
        distinct key (``_Stored``), and a full payload only for a contact whose rating
        is written."""
        ids = set(contact_ids)
        if not ids or not self.may_rate:
            return 0
        now = self.clock.now()
        # The recorded rating is compared on the row the score was made from (one read).
        same = _Stored(self.policy)
        with collector_paused():
            events = [
                self._event("contact.rated", scored.result().to_payload(), now)
                for stored, scored in self._scored(ids)
                if not same.holds(stored, scored)
            ]
        for i in range(0, len(events), batch):
            # ``make_event`` validated each payload just now (the same check, same day):
            # the store does not validate them a second time. Permissions are checked.
            self.store.append(events[i : i + batch], validate=False)
        return len(events)

    def rate_all_open(self, *, only_unrated: bool = True, batch: int = 5000) -> int:
        """Rate open contacts that are unrated or rated by another policy version (with
        ``only_unrated=False``: every open contact whose rating would change). Returns
        how many were rated; 0 for a role that may not rate."""
        if not self.may_rate:
            return 0
        if only_unrated:
            ids = unrated_or_other_policy(self.store.engine, self.policy.version)
        else:
            ids = set(DeskQueries(self.store.engine).open_contact_ids())
        return self.rate_where_changed(ids, batch=batch)

    def recheck_after_scoring_fix(self, *, batch: int = 5000) -> int:
        """Re-rate the open contacts whose recorded rating a lower ``SCORER_REVISION`` made
        (a fix in the scoring code, which a policy version cannot show): recorded here
        before the fix, or pulled from a desk still on older code. Each gets a
        ``contact.rated`` of this revision, also where the answer is the same, so it is
        not looked at again here or on any desk that pulls it. A rating a higher revision
        made is left alone (that desk would only rate it back). Returns how many were
        rated; 0 for a role that may not rate."""
        if not self.may_rate:
            return 0
        return self.rate_where_changed(
            rated_by_older_scorer(self.store.engine, SCORER_REVISION), batch=batch
        )

    def override(
        self, contact_id: str, to_rating: str, reason: str, approver: str | None = None
    ) -> Event:
        """Change the rating with a reason; lowering a Red needs a duty manager or a senior
        practitioner (``PermissionDenied`` otherwise), who is recorded as approver."""
        row = self._contact(contact_id)
        check_override(self.actor.role, row.rating, to_rating, reason)
        now = self.clock.now()
        payload: dict[str, object] = {
            "contact_id": contact_id,
            "from_rating": row.rating,
            "to_rating": to_rating,
            "reason": reason.strip(),
            "approver": approver or self.actor.login,
        }
        start = min(datetime.fromisoformat(row.received_at), now)
        due = due_time(self.policy, self.policy.response[Rating(to_rating)], start)
        if due is not None:
            payload["due_at"] = due.isoformat()
        event = self._event("contact.rating_overridden", payload, now)
        self.store.append([event])
        return event


def _older(revision: int | None) -> bool:
    """Was a recorded rating made by a lower scoring revision than this code's (``None``:
    by no policy, so another policy version decides)?"""
    return revision is not None and revision < SCORER_REVISION


def _differs(row: ContactRow | None, result: TriageResult) -> bool:
    """Does the recorded rating differ from ``result`` (so a new event is worth writing)?
    The one-contact definition; ``_Stored.holds`` answers the same from reason keys."""
    if row is None or row.rating is None or _older(row.scorer_revision):
        return True
    new = result.to_payload()
    if not row.overridden and row.rating != new["rating"]:
        return True
    return (
        row.score != new["score"]
        or row.policy_version != new["policy_version"]
        or [dict(r) for r in row.reasons] != new["reasons"]
        or (not row.overridden and row.due_at != new.get("due_at"))
    )


class _Stored:
    """``not _differs`` for a stored rating and a score with reason keys, for one bulk
    re-rating under one policy: each distinct key's reason is made and serialised once,
    and the reasons are compared as the JSON text the projection stores (``bulkwrite``:
    ``json.dumps`` of the list). Equal text is equal reasons; any other text is decoded
    and compared reason by reason, as ``_differs`` does, so a difference in how the text
    was written costs time, never a wrong answer."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.fragments: dict[ReasonKey, str] = {}

    def _text(self, keys: Sequence[ReasonKey]) -> str:
        fragments = self.fragments
        parts = []
        for key in keys:
            part = fragments.get(key)
            if part is None:
                part = fragments[key] = json.dumps(format_reason(key, self.policy))
            parts.append(part)
        return "[" + ", ".join(parts) + "]"

    def holds(self, stored: StoredRating, scored: Scored) -> bool:
        """Does ``stored`` already record ``scored`` (nothing worth writing)?"""
        if stored.rating is None or _older(stored.scorer_revision):
            return False
        kept = not stored.overridden
        if kept and stored.rating != scored.rating.value:
            return False
        due = scored.due_at.isoformat() if scored.due_at is not None else None
        if (
            stored.score != scored.score
            or stored.policy_version != scored.policy.version
            or (kept and stored.due_at != due)
        ):
            return False
        if stored.reasons == self._text(scored.keys):
            return True
        text = stored.reasons
        recorded = [] if text is None or text == "[]" else [dict(r) for r in json.loads(text) or ()]
        return recorded == [format_reason(key, self.policy) for key in scored.keys]
