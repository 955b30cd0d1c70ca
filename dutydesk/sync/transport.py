"""What the sync engine needs from a server, and the errors it must tell apart.

The engine is written against ``Transport``; ``dutydesk.sync.pg.transport.PgTransport`` is
the PostgreSQL implementation. Errors are classified where they happen (the transport
knows its driver): ``RetryableError`` leaves events queued and is tried again later;
``BatchRefused`` means the server refused a whole call for what was sent (the engine then
sends events one by one so the culprit alone is rejected); per-event refusals come back as
``Receipt`` rows with status ``rejected`` and the server's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from ..domain.checkpoints import Checkpoint, KeyRecord
from ..domain.events import Event

Status = Literal["accepted", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class ServerState:
    epoch: str  # changes when the server is re-created or restored from a backup
    schema_version: int  # the newest server migration applied
    head_seq: int  # the last sequence number handed out
    # The digest of the event rules ``server init|upgrade`` wrote (migration 0010; None
    # from an older server or before the rules were written): which catalogue they came from.
    rules_digest: str | None = None
    # The login's withheld stamp (migration 0009), read in the same statement by
    # ``Transport.quick_state`` only (None from ``state``).
    withheld_stamp: str | None = None


class ServerIdentity(NamedTuple):
    """Who the server says this connection is: the login and its DutyDesk group role."""

    login: str
    role: str  # one of dutydesk.domain.codes.Role's values


@dataclass(frozen=True, slots=True)
class Receipt:
    """The server's answer for one submitted event."""

    event_id: str
    status: Status
    seq: int | None = None
    server_time: str | None = None
    hash: str | None = None
    prev_hash: str | None = None
    reason: str | None = None


class SyncError(Exception):
    """Sync could not finish; the message is fit to show a person."""


class RetryableError(SyncError):
    """Connection lost, server restarting, serialization failure, deadlock: try later."""


class AuthenticationError(RetryableError):
    """The server refused the login or password: events wait until the person signs in."""


class BatchRefused(SyncError):
    """The server refused the whole call because of what was sent."""


class IdentityError(SyncError):
    """The login is no DutyDesk user (no group role, several and none chosen, or a
    superuser a desk must not use)."""


class IncompatibleServer(SyncError):
    """The server's schema is older or newer than this DutyDesk understands, or its event
    rules were written by another DutyDesk version."""


class Transport(Protocol):
    def state(self) -> ServerState: ...

    def quick_state(self) -> ServerState:
        """``state()`` with this login's withheld stamp in the same round trip, for the
        engine's fast path (``SyncEngine.quick``); the server is at a schema with both."""
        ...

    def quick_pull(self, after_seq: int, limit: int) -> tuple[ServerState, list[Event]]:
        """``quick_state()`` and ``pull(after_seq, limit)`` in one round trip (the fast
        path after a poke, when this desk has nothing to push)."""
        ...

    def whoami(self, role: str | None = None) -> ServerIdentity:
        """The login and its group role, as the server sees them (shared-mode identity).

        ``role`` chooses among several group memberships; without it a login in several
        groups raises ``IdentityError`` naming them (no silent pick: see
        ``dutydesk.sync.identity.choose_role``)."""
        ...

    def directory(self) -> list[tuple[str, str, str]]:
        """(login, display name, group role) of everyone who signs in (people directory)."""
        ...

    def directory_digest(self) -> str:
        """A short fingerprint of ``directory()`` as it is now: one small row, so a desk
        can ask every sync round and read the rows only when someone was added, renamed,
        removed or moved to another role."""
        ...

    def submit(self, events: Sequence[Event]) -> list[Receipt]:
        """One receipt per event, in order. Replays return the stored result."""
        ...

    def submit_at(self, expect: ServerState, events: Sequence[Event]) -> list[Receipt] | None:
        """``submit(events)`` in the same transaction as a check that the server is still
        the one this desk last checked: None, with nothing stored, when its epoch, schema
        version or rules digest differs from ``expect``'s or its head is behind
        ``expect.head_seq`` (the fast path's push, one round trip)."""
        ...

    def pull(self, after_seq: int, limit: int) -> list[Event]:
        """Events this login may see with sequence > ``after_seq``, ascending, with their
        server fields set."""
        ...

    def hash_at(self, seq: int) -> str | None: ...

    def checkpoints(self, epoch: str, at: int | None = None) -> list[Checkpoint]:
        """The newest signed checkpoint of ``epoch`` and the one at sequence ``at`` (if
        the server holds them), oldest first: what a desk checks each round, however many
        checkpoints the server keeps."""
        ...

    def checkpoint_keys(self) -> list[KeyRecord]:
        """The checkpoint keys the server publishes, with their signed key changes."""
        ...

    def visible_count(self, after_seq: int, upto_seq: int) -> int:
        """How many events in (after_seq, upto_seq] this login may see (sanity check)."""
        ...

    def range_check(
        self, after_seq: int, upto_seq: int, hash_seq: int | None
    ) -> tuple[int, str | None]:
        """``visible_count(after_seq, upto_seq)`` and ``hash_at(hash_seq)`` (None: not
        asked) in one round trip, for the sanity check after a pull."""
        ...

    def report_quarantine(self, seqs: Sequence[int]) -> int:
        """Alert the administrator that this desk quarantined the events at ``seqs``
        (sequence numbers only; idempotent). Returns how many alerts were new."""
        ...

    def withheld(self, person_ids: Sequence[str]) -> tuple[str, set[str]]:
        """The server's withheld stamp for this login (it changes whenever the answer for
        any person may have: migration 0009), read before the answer, and which of
        ``person_ids`` (people this desk holds) are restricted and not readable by this
        login now. An id that is not a restricted person is never returned. With no ids,
        one round trip for the stamp alone."""
        ...

    def wait_for_poke(self, timeout: float) -> bool:
        """Block until the server says new events exist (True) or ``timeout`` passes."""
        ...

    def close(self) -> None: ...
