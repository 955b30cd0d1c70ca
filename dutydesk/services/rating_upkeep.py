"""Keeping every open contact's rating current, whatever path its events came by.

A contact reaches a desk from the entry form, an import, the watched folder or a pull
from the shared server; a child's history changes when another contact, a referral or a
plan about them arrives, or when a child is linked. ``RatingUpkeep.catch_up`` looks at
every event stored since it last looked (a cheap probe when nothing arrived), finds the
open contacts whose rating those events may change (``store.rating_queries``), and
re-rates those whose rating is missing or differs from what the policy says now. The
window's live poll also re-rates any open contact whose rating a lower scoring revision
made (``TriageService.recheck_after_scoring_fix``): such a rating may arrive by a pull at
any time, and its indexed look is free while there is none.

The window's live-update poll calls it on the writer thread before reading the queue
delta, so a contact is rated before it is ever shown; the command line calls it after an
import. Derived ratings are the signed-in person's (see ``services.triage``): a role that
may not rate only moves the watermark.
"""

from __future__ import annotations

from ..store.rating_queries import contacts_to_rerate, newest_seq
from .triage import TriageService


class RatingUpkeep:
    def __init__(self, triage: TriageService, *, seen_seq: int | None = None) -> None:
        self.triage = triage
        self.engine = triage.store.engine
        # Start from "now": contacts already stored are handled by ``rate_all_open`` at
        # start-up (unrated, or rated by another policy version).
        self.seen_seq = newest_seq(self.engine) if seen_seq is None else seen_seq

    def catch_up(self, *, recheck: bool = False) -> int:
        """Re-rate what arrived since the last look. Returns how many were rated.

        With ``recheck`` (the window's live poll, after the first frame), also the open
        contacts rated by a lower scoring revision (``TriageService.
        recheck_after_scoring_fix``): after an upgrade that is every open contact once,
        seconds of scoring at 100,000, so it is kept off the start-up path."""
        rated = self.triage.recheck_after_scoring_fix() if recheck else 0
        return rated + self._arrived()

    def _arrived(self) -> int:
        newest = newest_seq(self.engine)
        if newest <= self.seen_seq:
            return 0
        after, self.seen_seq = self.seen_seq, newest
        if not self.triage.may_rate:
            return 0
        return self.triage.rate_where_changed(contacts_to_rerate(self.engine, after, newest))

    def start(self) -> int:
        """Rate what the store already holds unrated or under another policy version."""
        return self.triage.rate_all_open()
