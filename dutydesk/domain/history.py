"""A child's front-door history as the duty manager needs it: earlier contacts and flags.

Re-referral (DfE): a referral within 12 months of a previous referral. A contact that
becomes a referral while the child was referred in the last 12 months is a re-referral,
so the desk warns before the decision. Repeated contacts that each look minor alone are a
known pattern in neglect and cumulative harm, so the count in 12 months is shown too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(days=365)
# From this many earlier contacts in 12 months the pattern is flagged.
REPEAT_CONTACTS = 2


@dataclass(frozen=True, slots=True)
class PastContact:
    """The facts of one earlier contact that the flags need."""

    contact_id: str
    received_at: str
    is_referral: bool
    decided_at: str | None


@dataclass(frozen=True, slots=True)
class HistoryFlags:
    contacts_in_12_months: int
    referrals_in_12_months: int
    last_referral_at: str | None

    @property
    def rereferral_risk(self) -> bool:
        """A referral now would be a re-referral."""
        return self.referrals_in_12_months > 0

    @property
    def repeated_contacts(self) -> bool:
        return self.contacts_in_12_months >= REPEAT_CONTACTS

    def messages(self) -> list[str]:
        out = []
        if self.rereferral_risk:
            out.append(f"Referred in the last 12 months ({self.referrals_in_12_months}): "
                       "a referral now would be a re-referral")
        if self.repeated_contacts:
            out.append(f"{self.contacts_in_12_months} earlier contacts in 12 months")
        return out


def history_flags(received_at: str, earlier: Iterable[PastContact]) -> HistoryFlags:
    """Flags for a contact received at ``received_at`` given the child's earlier contacts."""
    now = datetime.fromisoformat(received_at)
    since = now - WINDOW
    contacts = referrals = 0
    last: datetime | None = None
    for past in earlier:
        at = datetime.fromisoformat(past.received_at)
        if not since <= at < now:
            continue
        contacts += 1
        if past.is_referral:
            referrals += 1
            started = datetime.fromisoformat(past.decided_at) if past.decided_at else at
            last = started if last is None or started > last else last
    return HistoryFlags(contacts, referrals, last.isoformat() if last else None)
