"""The sync engine: push the outbox, pull the server's log, keep projections convergent.

Pure of drivers and GUI: it talks to a ``Transport`` and the local store, and takes an
injected clock (used only for back-off times, never to order events). One ``sync()``:

1. Check the server: schema version understood, same epoch, log not behind this desk
   (a restored or replaced server makes the desk forget its server copy, re-send its own
   events and download everything again; unsent local events are kept).
2. Push before pull, in batches. ``accepted``/``duplicate`` receipts give events their
   server sequence and hashes; ``rejected`` ones go to the visible rejected list with the
   server's reason and the rest carry on. A retryable error leaves everything queued and
   sets a back-off; a refused batch is re-sent one event at a time.
3. Pull by cursor in batches. When pulled events land before events this desk already
   folded (the server ordered them earlier), the contacts and people they touch are
   refolded in server order (``dutydesk.store.refold``; every other row is left as it
   was), so every desk holding the same events shows the same thing. Events the server
   rejected are taken out of their scopes the same way; only a restored server means a
   full rebuild. Client clocks order nothing.
4. Sanity check: the desk holds as many events up to its cursor as the server shows it,
   and the hash at the cursor matches.

A pulled event this desk cannot validate or apply goes to the quarantine
(``dutydesk.store.quarantine``) with the reason, and the rest carry on: one bad event never
stalls a desk. The desk remembers the server's head it last saw (sequence and hash); a
server whose history no longer matches what this desk saw, with the same epoch (so not a
restore the administrator announced with ``server new-epoch``), is refused with "the
server's history changed at seq N" (``HistoryChanged``), keeping the desk's copy.

Signed checkpoints (``dutydesk.domain.checkpoints``) cover what the desk never saw: each
round, before anything is sent or stored, the newest checkpoint of the server's epoch must
be signed by a key this desk trusts (the settings' ``server_checkpoint_key``, else the
server's first key, pinned at first contact, and the keys it endorsed), the checkpoint this
desk verified last must still be on the server, and the log must reach it. The pulled
events up to it must each match their own hash and link to the one before, and the hash at
its sequence must be the signed one, checked before the batch holding it is stored. Any
failure is ``ServerDistrusted``: recorded on the desk, so every later round refuses the
server too, until the administrator has given the server a new epoch and signed a
checkpoint for it with the trusted key.

Every write to the local store goes through ``write`` (``store.writer.StoreWrite``), one
short job at a time, each job's writes in transactions of their own as the store makes
them: in the window the session's writer thread runs them while this round waits (the
writer is the store's only thread that writes), elsewhere they run inline. Network calls
are never made inside a job, so a round waiting on the server never holds up the writer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..domain.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointKeyLost,
    KeyRecord,
    current_root,
    from_raw_b64,
    key_id,
    key_ring,
)
from ..domain.clock import Clock
from ..domain.errors import DomainError
from ..domain.events import Event, canonical_json
from ..domain.hashchain import hash_matches
from ..domain.wording import plural
from ..store import quarantine, withheld
from ..store.database import INTEGRITY_ERRORS
from ..store.eventstore import AppendResult, EventStore
from ..store.gcpause import collector_paused
from ..store.refold import Scopes, refold, scopes_of
from ..store.syncstate import ServerFields, SyncState
from ..store.writer import StoreWrite, inline
from .pg.rules_sql import catalogue_rules
from .readahead import ReadAhead
from .transport import (
    BatchRefused,
    IncompatibleServer,
    Receipt,
    RetryableError,
    ServerState,
    SyncError,
    Transport,
)


class HistoryChanged(SyncError):
    """The server's log no longer matches what this desk saw before (same epoch)."""

    def __init__(self, seq: int, detail: str) -> None:
        self.seq = seq
        super().__init__(
            f"the server's history changed at seq {seq}: {detail}. This desk keeps its copy "
            "and does not sync until the administrator has checked the server "
            "(`dutydesk audit verify --server`) and, after a real restore, given it a new "
            "epoch (`dutydesk server new-epoch`)"
        )


class ServerDistrusted(SyncError):
    """The server's log or checkpoints contradict a signed checkpoint: this desk stops
    trusting it (kept across rounds until a new epoch with a trusted checkpoint)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"THIS DESK NO LONGER TRUSTS THE SERVER: {reason}. Nothing was sent or stored "
            "from it; the desk keeps its copy and will not sync with this server again until "
            "the administrator has checked it (`dutydesk audit verify --server`), restored "
            "it under a new epoch (`dutydesk server new-epoch`) and signed a checkpoint for "
            "it (`dutydesk server checkpoint`)"
        )


@dataclass(slots=True)
class _Watch:
    """The checkpoint this round checks the log against."""

    cp: Checkpoint
    done: bool = False
    last: tuple[int, str] | None = None  # the last event checked: (sequence, hash)


# What storing one pulled event may raise when the event itself is at fault: a store
# constraint refusing it raises SQLAlchemy's or the driver's IntegrityError (the log's
# rows go through the driver's cursor), so every one of them (``INTEGRITY_ERRORS``).
_UNAPPLIABLE: tuple[type[Exception], ...] = (
    DomainError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    *INTEGRITY_ERRORS,
)

log = logging.getLogger(__name__)

SUPPORTED_SCHEMA = 17  # the newest server migration this DutyDesk understands (0017)
META_EPOCH = "server_epoch"
META_CURSOR = "sync_cursor"
META_LAST_SYNC = "last_sync_at"
META_HEAD = "server_head_seen"  # "seq hash": the server's head this desk last saw
META_CHECKPOINT_KEY = "checkpoint_key_pinned"  # the server's first key, base64, pinned
META_CHECKPOINT_SEEN = "checkpoint_seen"  # "epoch seq hash": the last checkpoint verified
META_DISTRUST = "server_distrusted"  # "epoch<TAB>reason" while the server is not trusted
# The sequence after which fast-path pulls stored events that no full round's sanity check
# has compared with the server's count yet ("" when none): the next full round does.
META_UNCHECKED = "sanity_unchecked_after"
MAX_BACKOFF_S = 300
QUICK_FOR_S = 120.0  # the fast path runs only this long after a full round passed


@dataclass(frozen=True, slots=True)
class TrustedKeyInfo:
    """The checkpoint key a desk checks the server against, for people to compare out of
    band: its fingerprint and where it came from ("configured": the settings'
    server_checkpoint_key; "pinned": at an earlier first contact; "pinned now")."""

    key_id: str
    source: str

    def describe(self) -> str:
        if self.source == "configured":
            return f"checkpoint key {self.key_id} (configured)"
        return (
            f"checkpoint key {self.key_id} ({self.source} at first contact, trusted on first "
            "use: compare this fingerprint with your administrator's, or configure "
            "server_checkpoint_key)"
        )


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync did, for the status bar and the command line (no personal data)."""

    online: bool
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    rebuilt: bool = False
    reset: bool = False
    waiting: int = 0
    rejected_total: int = 0
    quarantined: int = 0
    quarantined_total: int = 0
    people_changed: bool = False  # the server's people directory changed this round
    last_sync_at: str | None = None
    retry_in_s: float | None = None
    problem: str | None = None
    warnings: tuple[str, ...] = field(default=())
    checkpoint_key: TrustedKeyInfo | None = None  # None: no checkpoint key known yet

    def summary(self) -> str:
        if not self.online:
            return f"offline: {self.problem}; {plural(self.waiting, 'event')} waiting"
        parts = [f"sent {self.accepted}", f"received {self.pulled}"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already on the server")
        if self.rejected_total:
            parts.append(f"{self.rejected_total} rejected by the server")
        if self.quarantined_total:
            parts.append(
                f"{self.quarantined_total} received but quarantined (`dutydesk sync --quarantine`)"
            )
        if self.reset:
            parts.append("server was replaced or restored: downloaded again")
        parts.append(f"{self.waiting} waiting")
        key = f"\n{self.checkpoint_key.describe()}" if self.checkpoint_key else ""
        return "; ".join(parts) + key + "".join(f"\nwarning: {w}" for w in self.warnings)


class SyncEngine:
    def __init__(
        self,
        store: EventStore,
        transport: Transport,
        clock: Clock,
        *,
        login: str,
        push_batch: int = 500,
        pull_batch: int = 5000,
        on_directory: Callable[[list[tuple[str, str, str]]], bool] | None = None,
        checkpoint_key: Ed25519PublicKey | None = None,
        write: StoreWrite = inline,
    ) -> None:
        self.store = store
        # Runs each job of store writes (module text): inline unless ``write_through``.
        self._write: StoreWrite = write
        self.state = SyncState(store.engine)
        self.transport = transport
        self.clock = clock
        self.login = login
        self.push_batch = push_batch
        self.pull_batch = pull_batch
        self.failures = 0
        # The checkpoint key the settings name; without it, the one pinned at first contact.
        self.checkpoint_key = checkpoint_key
        self._rejected_ids: list[str] = []  # this round's, to take out of the projections
        # The people directory (shared mode): handed the server's rows whenever they
        # change, so a person added, renamed or removed on the server shows on this desk
        # without a restart; it answers whether what the desk shows changed.
        # ``_directory_digest`` is the fingerprint of what this desk last read.
        self.on_directory = on_directory
        self._directory_digest: str | None = None
        # The digest of the event rules this DutyDesk's catalogue gives (computed once, at
        # the first round): the server's must equal it (``_check_server``).
        self._rules_digest: str | None = None
        # The checkpoint key this round checked the server against (``_anchor``).
        self.trusted_key: TrustedKeyInfo | None = None
        # The epoch and monotonic time of the last full round that passed every check: the
        # fast path (``quick``) runs only on top of one, with the same epoch.
        self._trusted: tuple[str, float] | None = None

    def write_through(self, write: StoreWrite) -> None:
        """Hand every later store write to ``write`` (the window: its session's writer)."""
        self._write = write

    def _set_meta(self, key: str, value: str) -> None:
        self._write(partial(self.store.set_meta, key, value))

    # ---- one round ---------------------------------------------------------------------

    def sync(self, *, force: bool = False) -> SyncReport:
        """Push then pull. ``force`` ignores back-off times (a person pressed "sync now")."""
        counts = {"accepted": 0, "duplicates": 0, "rejected": 0, "pulled": 0, "quarantined": 0}
        self._rejected_ids = []
        self._trusted = None
        try:
            server = self.transport.state()
            watch = self._checkpoint_watch(server)
            reset = self._check_server(server)
            if watch is not None:
                self._check_held(server, watch)
            self._push(counts, force=force or reset)
            since = self._cursor()
            scopes = self._pull(counts, server, watch) | scopes_of(
                e for e in map(self.store.get_event, self._rejected_ids) if e is not None
            )
            if reset:  # everything may have moved: the whole log in the new server's order
                self._write(self._rebuild_all)
            elif scopes:
                written = self._write(partial(refold, self.store.engine, scopes))
                log.info(
                    "refolded %d contacts and %d people in server order: %s",
                    len(scopes.contacts),
                    len(scopes.people),
                    written,
                )
            dirty = reset or bool(scopes)
            self._refresh_withheld()
            warnings = self._sanity(since, unchecked=True)
            self._alert_quarantine()
            self._witness(server)
            if watch is not None:
                self._settle(server, watch)
            people_changed = self._refresh_directory()
        except RetryableError as err:
            return self._offline(str(err))
        self.failures = 0
        at = self.clock.now().isoformat()
        self._set_meta(META_LAST_SYNC, at)
        self._trusted = (server.epoch, time.monotonic())
        waiting, rejected, quarantined = self.state.report_counts()
        return SyncReport(
            online=True,
            rebuilt=dirty,
            reset=reset,
            last_sync_at=at,
            waiting=waiting,
            rejected_total=rejected,
            quarantined=counts["quarantined"],
            quarantined_total=quarantined,
            people_changed=people_changed,
            warnings=tuple(warnings),
            checkpoint_key=self.trusted_key,
            accepted=counts["accepted"],
            duplicates=counts["duplicates"],
            rejected=counts["rejected"],
            pulled=counts["pulled"],
        )

    # ---- the fast path ------------------------------------------------------------------

    def quick(self, *, pull: bool = True) -> SyncReport | None:
        """The fast path between full rounds: after a local write (``pull=False``: push
        the outbox only; this desk's own poke brings the pull) or after a server poke
        (push, then pull what is new). None when a full round (``sync``) is needed
        instead: no full round passed in this process in the last ``QUICK_FOR_S``
        seconds, or the server's epoch, schema, rules or head say something changed, or a
        pulled event failed the chain check below.

        One round trip to push: the submit carries the state it must find
        (``Transport.submit_at``, migration 0015: the trusted round's epoch, this
        DutyDesk's schema and rules digest, a head not behind the cursor), and the server
        checks it in the submit's own transaction before it stores anything; a mismatch
        stores nothing and hands over to a full round. (The push never used the withheld
        stamp: it was read only to be not NULL, which a server at 0009 or later always
        gives.) One to pull, when nothing waits to be pushed: the state and the first
        batch sent together (``Transport.quick_pull``), the state checked before anything
        pulled is stored. What it leaves to the next full round, and why that is safe:

        - the signed-checkpoint, checkpoint-key and history checks: pulled events are
          checked here before they are stored, each against its own hash and linked to
          the event before it where this login sees both (the checks a full round makes
          on events up to a checkpoint); one that fails stores nothing more and hands over
          to a full round. The next full round checks the held hash at the newest
          checkpoint and at the last held sequence, so a history rewritten later is found
          there, as before.
        - the sanity count of what was pulled: the range is written down
          (``META_UNCHECKED``) before anything is stored, and the next full round counts
          it with its own.
        - the quarantine alert, the head witness and the people directory.

        The withheld refresh (issue 13) is NOT left over: people named by pulled events
        are asked about before this returns, and a moved stamp means asking about
        everyone held, exactly as in a full round."""
        trusted = self._trusted
        if trusted is None or time.monotonic() - trusted[1] > QUICK_FOR_S:
            return None
        counts = {"accepted": 0, "duplicates": 0, "rejected": 0, "pulled": 0, "quarantined": 0}
        self._rejected_ids = []
        try:
            cursor = self._cursor()
            due = self.state.due(self.clock.now().isoformat(), self.push_batch)
            first: list[Event] | None = None
            if due and not self._push_at(counts, trusted[0], cursor, due):
                return None
            server: ServerState | None = None
            if pull:
                server, first = self.transport.quick_pull(cursor, self.pull_batch)
            elif not due:
                server = self.transport.quick_state()
            if server is not None and self._moved(server, trusted[0], cursor):
                return None
            scopes = scopes_of(
                e for e in map(self.store.get_event, self._rejected_ids) if e is not None
            )
            if pull:
                pulled = self._pull_checked(counts, cursor, first)
                if pulled is None:
                    return None
                scopes = scopes | pulled
            if scopes:
                self._write(partial(refold, self.store.engine, scopes))
            if server is not None and pull:
                self._refresh_withheld(server.withheld_stamp)
        except RetryableError as err:
            self._trusted = None
            return self._offline(str(err))
        self.failures = 0
        waiting, rejected, quarantined = self.state.report_counts()
        return SyncReport(
            online=True,
            rebuilt=bool(scopes),
            last_sync_at=self.store.get_meta(META_LAST_SYNC),
            waiting=waiting,
            rejected_total=rejected,
            quarantined=counts["quarantined"],
            quarantined_total=quarantined,
            accepted=counts["accepted"],
            duplicates=counts["duplicates"],
            rejected=counts["rejected"],
            pulled=counts["pulled"],
            checkpoint_key=self.trusted_key,  # as the full round this one rests on found it
        )

    def _moved(self, server: ServerState, epoch: str, cursor: int) -> bool:
        """Whether the server is not the one the trusted full round checked: another epoch,
        schema or rules digest, a head behind ``cursor``, or no withheld stamp."""
        return (
            server.epoch != epoch
            or server.schema_version != SUPPORTED_SCHEMA
            or server.rules_digest != self._rules_digest
            or server.head_seq < cursor
            or server.withheld_stamp is None
        )

    def _push_at(self, counts: dict[str, int], epoch: str, cursor: int, due: list[Event]) -> bool:
        """The fast path's push: the first batch sent with the state it must find
        (``Transport.submit_at``: the trusted full round's epoch, this DutyDesk's schema
        and rules digest, a head not behind ``cursor``), checked by the server in the
        submit's own transaction. False when the server refused it whole for a changed
        state (nothing stored: a full round decides), and when the batch was refused
        (``BatchRefused``: nothing shows the state was checked, so a full round checks and
        sends). Later batches, if any, go as in a full round's push."""
        expect = ServerState(epoch, SUPPORTED_SCHEMA, cursor, self._rules_digest)
        try:
            receipts = self.transport.submit_at(expect, due)
        except BatchRefused:
            # Not "the state matched": the desk may have refused the batch before sending
            # it (a lone surrogate), or the server may have no submit_at (a server restored
            # to 0014) or refuse it for another reason, with no state checked. Plain
            # submits here would check nothing: a full round checks, then finds the event
            # the server cannot take.
            return False
        if receipts is None:
            return False
        self._write(partial(self._record, receipts, counts))
        if len(due) >= self.push_batch:
            self._push(counts, force=False)
        return True

    def _pull_checked(
        self, counts: dict[str, int], cursor: int, first: list[Event] | None = None
    ) -> Scopes | None:
        """The fast path's pull: each batch's chain checked before it is stored. None
        (after storing the batches that passed) when one fails: a full round decides.
        ``first``: the first batch, already read with the server's state."""
        held, held_hash = self._held(cursor)
        last = (held, held_hash) if held_hash is not None else None
        dirty = Scopes()
        noted = False
        while True:
            batch = first if first is not None else self.transport.pull(cursor, self.pull_batch)
            first = None
            if not batch:
                return dirty
            texts = payload_texts(batch)
            problem = _chain_problem(batch, texts, last)
            if problem is not None:
                log.warning("fast path stopped, a full round checks the server: %s", problem)
                return None
            last = (batch[-1].server_seq or 0, batch[-1].hash or "")
            # the first batch's range written down before anything is stored
            dirty = self._store_batch(batch, texts, counts, dirty, None if noted else cursor)
            noted = True
            cursor = max(e.server_seq or 0 for e in batch)
            if len(batch) < self.pull_batch:
                return dirty

    def _note_unchecked(self, since: int) -> None:
        """(A writer job's step.) Write down that the events after ``since`` are stored
        unchecked by a full round's sanity count (the earliest such sequence is kept)."""
        known = self.store.get_meta(META_UNCHECKED)
        if not known or int(known) > since:
            self.store.set_meta(META_UNCHECKED, str(since))

    def status(self, *, online: bool = False, problem: str | None = None) -> SyncReport:
        """The current local picture without contacting the server."""
        waiting, rejected, quarantined = self.state.report_counts()
        return SyncReport(
            online=online,
            waiting=waiting,
            rejected_total=rejected,
            quarantined_total=quarantined,
            last_sync_at=self.store.get_meta(META_LAST_SYNC),
            problem=problem,
        )

    def backoff_s(self) -> float:
        """Seconds to wait after ``failures`` consecutive failed rounds: 5, 10, 20 ... 300."""
        if self.failures == 0:
            return 0.0
        return float(min(5 * 2 ** (self.failures - 1), MAX_BACKOFF_S))

    def _offline(self, problem: str) -> SyncReport:
        self.failures += 1
        delay = self.backoff_s()
        retry_at = (self.clock.now() + timedelta(seconds=delay)).isoformat()
        waiting = self.state.due(None, 1_000_000)
        if waiting:
            self._write(partial(self.state.mark_retry, [e.id for e in waiting], problem, retry_at))
        log.info("sync failed, retrying in %.0f s", delay)
        return (
            self.status(problem=problem)
            if not waiting
            else SyncReport(
                online=False,
                waiting=len(waiting),
                rejected_total=self.state.rejected_count(),
                last_sync_at=self.store.get_meta(META_LAST_SYNC),
                retry_in_s=delay,
                problem=problem,
            )
        )

    # ---- server identity ----------------------------------------------------------------

    def _check_server(self, server: ServerState) -> bool:
        """True when the desk had to forget its server copy (restored/replaced server)."""
        if server.schema_version > SUPPORTED_SCHEMA:
            raise IncompatibleServer(
                f"the server's schema is version {server.schema_version}, newer than this "
                f"DutyDesk understands ({SUPPORTED_SCHEMA}); install the newer DutyDesk"
            )
        if server.schema_version < SUPPORTED_SCHEMA:
            raise IncompatibleServer(
                f"the server's schema is version {server.schema_version}; this DutyDesk needs "
                f"{SUPPORTED_SCHEMA}. Ask the administrator to run `dutydesk server upgrade`"
            )
        self._check_rules(server)
        known = self.store.get_meta(META_EPOCH)
        cursor = self._cursor()
        held, mine = self._held(cursor)
        theirs = self.transport.hash_at(held) if held > 0 else None
        behind = cursor > server.head_seq or theirs != mine
        if known is not None and known == server.epoch:
            self._check_history(server, held, theirs, mine)
        if known is not None and (known != server.epoch or behind):
            unconfirmed, requeued = self._write(partial(self._forget_server, server.epoch))
            log.warning(
                "server restored or replaced: %d events to confirm again, "
                "%d own events queued again",
                unconfirmed,
                requeued,
            )
            return True
        if known is None:
            self._set_meta(META_EPOCH, server.epoch)
        return False

    def _forget_server(self, epoch: str) -> tuple[int, int]:
        """(A writer job.) A restored or replaced server: forget its copy, then take its
        epoch."""
        forgotten = self.state.forget_server_copy(self.login)
        self.store.set_meta(META_HEAD, "")
        self.store.set_meta(META_EPOCH, epoch)
        return forgotten

    def _rebuild_all(self) -> None:
        """(A writer job.) After a reset: ask again who is withheld, and fold the whole log
        in the new server's order."""
        withheld.forget_checked(self.store.engine)
        self.store.rebuild()

    def _check_rules(self, server: ServerState) -> None:
        """The server's payload rules must be the ones this DutyDesk's catalogue gives
        (migration 0010): they are written by `server init|upgrade` from the DutyDesk
        installed there, not by a migration, so a release can change them without a new
        schema version. Read with the server's state every round (same round trip), so a
        desk stops before pushing anything the other rules would refuse."""
        if self._rules_digest is None:
            self._rules_digest = catalogue_rules().digest
        if server.rules_digest != self._rules_digest:
            raise IncompatibleServer(
                "the server's event rules were written by a different DutyDesk version; ask "
                "the administrator to run `dutydesk server upgrade` with this version (or install "
                "the DutyDesk version the server was last upgraded with)"
            )

    def _check_history(
        self, server: ServerState, held: int, theirs: str | None, mine: str | None
    ) -> None:
        """Same server, same epoch: its log must still hold what this desk saw. ``held``
        is the last sequence this desk holds; ``theirs``/``mine`` the hashes there."""
        cursor = self._cursor()
        if server.head_seq < cursor:
            raise HistoryChanged(
                server.head_seq + 1,
                f"its log now ends at sequence {server.head_seq}, but this "
                f"desk has read it up to {cursor}",
            )
        seen = self.store.get_meta(META_HEAD)
        if seen:
            seq_text, _, hash_seen = seen.partition(" ")
            seen_seq = int(seq_text)
            if server.head_seq < seen_seq:
                raise HistoryChanged(
                    server.head_seq + 1,
                    f"its log now ends at sequence {server.head_seq}, but "
                    f"this desk saw it reach {seen_seq}",
                )
            # (at or below ``held`` the check below covers it without another round trip)
            if seen_seq > held and self.transport.hash_at(seen_seq) != hash_seen:
                raise HistoryChanged(
                    self._first_change(seen_seq),
                    f"the hash at sequence {seen_seq} is not the one this desk saw",
                )
        if held > 0 and theirs != mine:
            raise HistoryChanged(
                self._first_change(held),
                f"the hash at sequence {held} is not the one this desk pulled",
            )

    def _last_held(self, upto: int) -> int:
        """The last sequence number up to ``upto`` this desk holds (a quarantined event
        moves the cursor without being held)."""
        return self._held(upto)[0]

    def _held(self, upto: int) -> tuple[int, str | None]:
        """``_last_held(upto)`` and this desk's hash there ((0, None): nothing held), the
        hash read once (it was read again by every caller)."""
        if upto <= 0:
            return 0, None
        mine = self.state.hash_at(upto)
        if mine is not None:
            return upto, mine
        held = self.state.server_seqs(upto)
        return (held[-1], self.state.hash_at(held[-1])) if held else (0, None)

    def _first_change(self, upto: int) -> int:
        """The first sequence number, among those this desk holds, whose server hash is not
        the one this desk holds (binary search: a rewrite changes every later hash)."""
        held = self.state.server_seqs(upto)
        lo, hi, first = 0, len(held) - 1, upto
        while lo <= hi:
            mid = (lo + hi) // 2
            seq = held[mid]
            if self.transport.hash_at(seq) != self.state.hash_at(seq):
                first, hi = seq, mid - 1
            else:
                lo = mid + 1
        return first

    def _witness(self, server: ServerState) -> None:
        """Remember the head the server showed at the start of this round. Usually this
        desk holds that event (its hash is in the local log, no write needed); only a head
        hidden from this login is asked for and written down (one more local commit)."""
        if server.head_seq <= self._last_held(self._cursor()):
            return
        head_hash = self.transport.hash_at(server.head_seq)
        if head_hash is not None:
            self._set_meta(META_HEAD, f"{server.head_seq} {head_hash}")

    def _cursor(self) -> int:
        return int(self.store.get_meta(META_CURSOR) or 0)

    # ---- signed checkpoints ---------------------------------------------------------------

    def _checkpoint_watch(self, server: ServerState) -> _Watch | None:
        """The newest checkpoint of the server's epoch, once its signature, its key and
        its place are checked; None when the server has none to check (or no key)."""
        distrust = self.store.get_meta(META_DISTRUST)
        d_epoch, _, d_reason = (distrust or "").partition("\t")
        if distrust and d_epoch == server.epoch:
            raise ServerDistrusted(d_reason)
        records = self.transport.checkpoint_keys()
        anchor = self._anchor(records)
        seen = (self.store.get_meta(META_CHECKPOINT_SEEN) or "").split(" ")
        seen_seq = int(seen[1]) if len(seen) == 3 and seen[0] == server.epoch else None
        mine = self.transport.checkpoints(server.epoch, seen_seq)
        latest = mine[-1] if mine else None
        if anchor is None:
            if distrust:
                raise ServerDistrusted(d_reason)
            return None
        try:
            ring = key_ring(records, anchor)
        except CheckpointKeyLost as err:
            # Not kept as distrust: once this desk's administrator configures the new key
            # (after comparing it out of band), the next round trusts it. Ids only in the
            # log: the reason is the administrator's free text.
            log.error(
                "the server says checkpoint key %s was lost and replaced by %s; not trusted "
                "until server_checkpoint_key names the new key",
                err.lost,
                err.new,
            )
            raise ServerDistrusted(str(err)) from err
        except CheckpointError as err:
            self._distrust(server, f"the server's checkpoint keys: {err}")
        if latest is not None:
            forged = ring.problem_with(latest)
            if forged is not None:
                self._distrust(server, forged)
        if distrust:
            if latest is None:
                raise ServerDistrusted(
                    f"{d_reason} (the server now has a new epoch, but no checkpoint signed "
                    "for it yet)"
                )
            self._set_meta(META_DISTRUST, "")
            log.warning(
                "server trusted again: new epoch with a checkpoint at sequence %s signed by key %s",
                latest.seq,
                latest.key_id,
            )
        if seen_seq is not None and not any(c.seq == seen_seq and c.hash == seen[2] for c in mine):
            self._distrust(
                server,
                f"the signed checkpoint at seq {seen_seq} this desk verified before is no "
                "longer on the server (deleted or replaced)",
            )
        if latest is None:
            return None
        if latest.seq > server.head_seq:
            self._distrust(
                server,
                f"the server's history changed at seq {server.head_seq + 1}: its log now "
                f"ends at sequence {server.head_seq}, but the checkpoint signed "
                f"{latest.signed_at} covers it up to {latest.seq} (the tail was cut off)",
            )
        return _Watch(latest)

    def _anchor(self, records: Sequence[KeyRecord]) -> Ed25519PublicKey | None:
        """The key this desk trusts: the settings' key; else the one pinned before; else,
        at first contact, the server's first key, pinned now (trust on first use)."""
        if self.checkpoint_key is not None:
            self.trusted_key = TrustedKeyInfo(key_id(self.checkpoint_key), "configured")
            return self.checkpoint_key
        pinned = self.store.get_meta(META_CHECKPOINT_KEY)
        if pinned:
            public = from_raw_b64(pinned)
            self.trusted_key = TrustedKeyInfo(key_id(public), "pinned")
            return public
        root = current_root(records)
        if root is None:
            return None
        try:
            first = from_raw_b64(root.public_key)
        except CheckpointError:
            return None
        if key_id(first) != root.key_id:
            return None
        self._set_meta(META_CHECKPOINT_KEY, root.public_key)
        # Trust on first use: whatever key the server shows now is believed. The
        # fingerprint is logged and shown (`dutydesk sync`, the status bar's tooltip) so an
        # administrator can compare it with the server administrator's out of band; real
        # deployments configure server_checkpoint_key instead (docs/deploy.md).
        log.warning(
            "pinned the server's checkpoint key %s at first contact (trust on first use): "
            "compare this fingerprint with your administrator's, or configure "
            "server_checkpoint_key",
            root.key_id,
        )
        self.trusted_key = TrustedKeyInfo(root.key_id, "pinned now")
        return first

    def _distrust(self, server: ServerState, reason: str) -> NoReturn:
        self._set_meta(META_DISTRUST, f"{server.epoch}\t{reason}")
        log.error("the server is no longer trusted: %s", reason)  # sequences and hashes only
        raise ServerDistrusted(reason)

    def _check_held(self, server: ServerState, watch: _Watch) -> None:
        """A checkpoint at or before this desk's cursor is compared with what it holds."""
        if watch.cp.seq <= self._cursor():
            self._compare(server, watch, self.state.hash_at(watch.cp.seq))
            return
        held, mine = self._held(self._cursor())
        if mine is not None:
            watch.last = (held, mine)

    def _compare(self, server: ServerState, watch: _Watch, mine: str | None) -> None:
        """The hash at the checkpoint's sequence, from this desk's log (or, for an event
        hidden from this login, the server's word), against the signed one."""
        cp = watch.cp
        where = "this desk holds"
        if mine is None:
            mine, where = self.transport.hash_at(cp.seq), "the server shows"
        if mine != cp.hash:
            now = "no event" if mine is None else f"hash {mine[:16]}…"
            self._distrust(
                server,
                f"the server's history changed at or before seq {cp.seq}: the checkpoint "
                f"signed {cp.signed_at} says sequence {cp.seq} has hash {cp.hash[:16]}…, "
                f"{where} {now}",
            )
        watch.done = True

    def _check_batch(
        self, server: ServerState, watch: _Watch, batch: Sequence[Event], texts: Sequence[str]
    ) -> None:
        """Before a pulled batch is stored: every event up to the checkpoint matches its
        own hash and links to the event before it (where this login sees both), and the
        event at the checkpoint's sequence has the signed hash. ``texts``: the events'
        canonical payload texts (``payload_texts``)."""
        cp = watch.cp
        for e, text in zip(batch, texts, strict=True):
            seq = e.server_seq or 0
            if seq > cp.seq:
                break
            if e.hash is None or not hash_matches(e.prev_hash or "", e, e.hash, text):
                self._distrust(
                    server,
                    f"the server's history changed at seq {seq}: the event there does not "
                    "match its own hash (edited)",
                )
            if watch.last is not None and watch.last[0] == seq - 1 and watch.last[1] != e.prev_hash:
                self._distrust(
                    server,
                    f"the server's history changed at seq {seq - 1}: the event at {seq} "
                    "does not link to it (rewritten before the checkpoint signed "
                    f"{cp.signed_at})",
                )
            watch.last = (seq, e.hash)
            if seq == cp.seq:
                self._compare(server, watch, e.hash)
                return
        if batch and (batch[-1].server_seq or 0) >= cp.seq and not watch.done:
            self._compare(server, watch, None)  # the checkpoint's own event is hidden

    def _settle(self, server: ServerState, watch: _Watch) -> None:
        if watch.done:
            value = f"{server.epoch} {watch.cp.seq} {watch.cp.hash}"
            if self.store.get_meta(META_CHECKPOINT_SEEN) != value:
                self._set_meta(META_CHECKPOINT_SEEN, value)

    # ---- push ---------------------------------------------------------------------------

    def _push(
        self, counts: dict[str, int], *, force: bool, first: list[Event] | None = None
    ) -> None:
        """Submit the outbox in batches (``first``: the first, already read). A batch
        shorter than ``push_batch`` was all that was due: no read to find nothing more."""
        now = None if force else self.clock.now().isoformat()
        seen: set[str] = set()
        while True:
            due = first if first is not None else self.state.due(now, self.push_batch)
            first = None
            batch = [e for e in due if e.id not in seen]
            if not batch:
                return
            seen.update(e.id for e in batch)
            self._submit(batch, counts)
            if len(due) < self.push_batch:
                return

    def _submit(self, batch: Sequence[Event], counts: dict[str, int]) -> None:
        try:
            receipts = self.transport.submit(batch)
        except BatchRefused as err:
            if len(batch) == 1:
                self._write(partial(self.state.mark_rejected, batch[0].id, str(err)))
                self._rejected_ids.append(batch[0].id)
                counts["rejected"] += 1
                return
            for event in batch:  # find the one the server cannot take; send the rest
                self._submit([event], counts)
            return
        self._write(partial(self._record, receipts, counts))

    def _record(self, receipts: Sequence[Receipt], counts: dict[str, int]) -> None:
        """(A writer job.) The receipts of one submit, written down."""
        synced = []
        for r in receipts:
            if r.status == "rejected":
                self.state.mark_rejected(r.event_id, r.reason or "rejected by the server")
                self._rejected_ids.append(r.event_id)
                counts["rejected"] += 1
                continue
            if r.seq is None or r.server_time is None or r.hash is None or r.prev_hash is None:
                raise SyncError(f"the server accepted event {r.event_id} without a sequence")
            synced.append(ServerFields(r.event_id, r.seq, r.server_time, r.hash, r.prev_hash))
            counts["accepted" if r.status == "accepted" else "duplicates"] += 1
        self.state.mark_synced(synced)

    # ---- pull ---------------------------------------------------------------------------

    def _pull(self, counts: dict[str, int], server: ServerState, watch: _Watch | None) -> Scopes:
        """Pull everything new. Returns the scopes that must be refolded in server order:
        those of pulled events that landed before events already folded here."""
        dirty = Scopes()
        cursor = self._cursor()
        held, held_hash = self._held(cursor)
        last = (held, held_hash) if held_hash is not None else None
        signed_upto = watch.cp.seq if watch is not None else 0
        batch = self.transport.pull(cursor, self.pull_batch)
        while True:
            if not batch:
                if watch is not None and not watch.done:  # its sequence is hidden from us
                    self._compare(server, watch, None)
                return dirty
            # The collector waits while a batch is checked and stored (``gcpause``).
            with collector_paused():
                texts = payload_texts(batch)
                if watch is not None and not watch.done:
                    self._check_batch(server, watch, batch, texts)
                problem = _unsigned_tail_problem(batch, texts, signed_upto, last)
                if problem is not None:
                    self._distrust(
                        server,
                        f"the server's history changed after its newest checkpoint: {problem}",
                    )
                last = (batch[-1].server_seq or 0, batch[-1].hash or "")
                cursor = max(e.server_seq or 0 for e in batch)
                if len(batch) < self.pull_batch:
                    # A short batch is everything this login could see when the server read
                    # it (the limit counts only visible events), so asking again would come
                    # back empty; what is committed after that arrives with its own poke.
                    dirty = self._store_batch(batch, texts, counts, dirty)
                    if watch is not None and not watch.done:  # its sequence is hidden from us
                        self._compare(server, watch, None)
                    return dirty
                with ReadAhead(partial(self.transport.pull, cursor, self.pull_batch)) as ahead:
                    dirty = self._store_batch(batch, texts, counts, dirty)
                batch = ahead.result()

    def _store_batch(
        self,
        batch: Sequence[Event],
        texts: Sequence[str],
        counts: dict[str, int],
        dirty: Scopes,
        unchecked_since: int | None = None,
    ) -> Scopes:
        """Store one pulled batch, already checked (``texts``: its canonical payload
        texts, ``payload_texts``), move the cursor past it, and return
        ``dirty`` with the scopes of fresh events that landed before events already
        folded here. ``unchecked_since``: the fast path's first batch, whose range is
        written down (``_note_unchecked``) before anything is stored.

        One writer job when the batch stores whole. When it cannot, its events are
        stored one by one, each that fails put in the quarantine, so one bad event never
        stops the rest: a job for each, so the window's writes wait behind one event,
        never behind a whole batch of single stores."""
        highest, unsynced, result = self._write(
            partial(self._store_whole, batch, texts, unchecked_since)
        )
        if result is None:
            result = self._store_one_by_one(batch, texts, counts)
            self._write(partial(self._stored, batch, result))
        fresh = set(result.added)
        first_fresh = min((e.server_seq or 0 for e in batch if e.id in fresh), default=None)
        if first_fresh is not None and (unsynced or first_fresh < highest):
            dirty = dirty | scopes_of(e for e in batch if e.id in fresh)
        counts["pulled"] += len(fresh)
        return dirty

    def _store_whole(
        self, batch: Sequence[Event], texts: Sequence[str], unchecked_since: int | None
    ) -> tuple[int, bool, AppendResult | None]:
        """(A writer job.) The highest sequence held and whether anything waits to be
        sent, read before the batch is stored; then the batch stored whole (and
        ``_stored``), or None as its result when it cannot be."""
        if unchecked_since is not None:
            self._note_unchecked(unchecked_since)
        highest, unsynced = self.state.held_and_unsynced()
        try:
            result = self._store_pulled(batch, texts)
        except _UNAPPLIABLE:
            return highest, unsynced, None
        self._stored(batch, result)
        return highest, unsynced, result

    def _stored(self, batch: Sequence[Event], result: AppendResult) -> None:
        """(A writer job's step.) After a batch is stored: own events whose receipt was
        lost on the way marked sent, and the cursor moved past the batch."""
        if result.already_present:
            present = set(result.already_present)
            self.state.mark_synced(
                ServerFields(e.id, e.server_seq, e.server_time, e.hash, e.prev_hash)  # type: ignore[arg-type]
                for e in batch
                if e.id in present
            )
        self.store.set_meta(META_CURSOR, str(max(e.server_seq or 0 for e in batch)))

    def _store_one_by_one(
        self, batch: Sequence[Event], texts: Sequence[str], counts: dict[str, int]
    ) -> AppendResult:
        added: list[str] = []
        present: list[str] = []
        for event, text in zip(batch, texts, strict=True):
            result = self._write(partial(self._store_or_quarantine, event, text, counts))
            if result is not None:
                added.extend(result.added)
                present.extend(result.already_present)
        return AppendResult(tuple(added), tuple(present))

    def _store_or_quarantine(
        self, event: Event, text: str, counts: dict[str, int]
    ) -> AppendResult | None:
        """(A writer job.) One pulled event stored; or, when it cannot be, put in the
        quarantine with the reason (None)."""
        try:
            return self._store_pulled([event], [text])
        except _UNAPPLIABLE as err:
            reason = str(err) or type(err).__name__
            if quarantine.add(self.store.engine, event, reason, self.clock.now().isoformat()):
                counts["quarantined"] += 1
                # sequence and type only: the reason may quote the payload
                log.warning(
                    "quarantined pulled event at sequence %s (%s): %s",
                    event.server_seq,
                    event.type,
                    type(err).__name__,
                )
            return None

    def _store_pulled(self, batch: Sequence[Event], texts: Sequence[str]) -> AppendResult:
        """Store pulled events through the store's own insert, so a ``ChainedEventStore``
        extends the local audit chain with them in the same transaction.

        ``EventStore.append_pulled`` is called directly, not through ``self.store``: given the
        window's ``GuardedStore``, its ``append`` checks that events are the signed-in
        person's own, which others' events never are. The server already checked who
        recorded them; the chain (``_insert``) still applies. The cyclic collector waits
        while a batch is checked and stored (``gcpause``: 15% of a pull's CPU).
        """
        with collector_paused():
            return EventStore.append_pulled(self.store, batch, texts)

    def _refresh_withheld(self, stamp_now: str | None = None) -> None:
        """Keep the list of people this desk holds whom the server withholds from its
        login now (restricted, not named: the server hides that restriction's event from
        it). The guard hides them like a restriction naming nobody; one left out again
        (restriction lifted, access granted, glass broken) shows again. Ids go to the
        server, never names.

        One round trip when nothing changed: the server's stamp (migration 0009) with the
        answer about the people named by events stored since the last answer (usually
        none). A stamp unlike the one the list was taken under means the answer may have
        changed for anyone: then every person held is asked about and the list replaced in
        one transaction with the stamp read before it (a change racing the answer changes
        the stamp again, so the next round asks again).

        ``stamp_now``: the stamp the fast path read this round with the server's state;
        when it is the list's and no stored event names anyone new, there is nothing to ask."""
        engine = self.store.engine
        # later events than ``upto`` are asked about next round
        upto, known, named = withheld.to_ask(engine)
        if known is not None:
            if stamp_now is not None and stamp_now == known.stamp and not named:
                return
            stamp, found = self.transport.withheld(named)
            if stamp == known.stamp:
                if named:
                    covers = withheld.Checked(stamp, max(upto, known.upto))
                    self._write(partial(withheld.add, engine, found, covers))
                if found:
                    log.info("%d more person(s) held here are withheld by the server", len(found))
                return
            log.info("restrictions may have changed on the server: asking about everyone held")
        stamp, found = self.transport.withheld(withheld.held_people(engine))
        self._write(partial(withheld.replace, engine, found, withheld.Checked(stamp, upto)))
        if found:
            log.info("%d person(s) held here are withheld by the server", len(found))

    def _refresh_directory(self) -> bool:
        """The server's people directory, if it changed since this desk last read it.
        Cheap: each round asks only for its fingerprint (one short row); the rows are
        read when the fingerprint differs. True when what the desk shows changed."""
        if self.on_directory is None:
            return False
        digest = self.transport.directory_digest()
        if digest == self._directory_digest:
            return False
        # Kept before reading: a change in between makes the next round read again.
        self._directory_digest = digest
        return self.on_directory(self.transport.directory())

    def _alert_quarantine(self) -> None:
        """Alert the administrator (``dutydesk server alerts``) to every event this desk
        holds in quarantine: sequence numbers only, every round while any are held (the
        server keeps the first report and ignores repeats; a round that fails to report
        is repeated by the next)."""
        held = quarantine.sequences(self.store.engine)
        if not held:
            return
        added = self.transport.report_quarantine(held)
        if added:
            log.warning("alerted the administrator to %d quarantined event(s)", added)

    # ---- sanity -------------------------------------------------------------------------

    def _sanity(self, since: int, *, unchecked: bool = False) -> list[str]:
        """Compare what this round pulled, (since, cursor], with what the server shows: a
        range, so the check stays cheap however long the log grows. ``unchecked``: from
        the first sequence fast-path pulls stored since the last full round, if earlier."""
        if unchecked:
            noted = self.store.get_meta(META_UNCHECKED)
            if noted:
                since = min(since, int(noted))
                self._set_meta(META_UNCHECKED, "")
        cursor = self._cursor()
        if cursor == since:
            return []
        warnings = []
        mine = self.state.synced_count(since, cursor) + quarantine.count(
            self.store.engine, since, cursor
        )
        held, mine_hash = self._held(cursor)
        theirs, their_hash = self.transport.range_check(  # one round trip for both
            since, cursor, held if held > since else None
        )
        if mine != theirs:
            warnings.append(
                f"this desk holds {mine} events in sequence {since + 1}-{cursor}; "
                f"the server shows {theirs}"
            )
        if held > since and their_hash != mine_hash:
            warnings.append(f"the hash at sequence {held} differs from the server's")
        return warnings


def payload_texts(batch: Sequence[Event]) -> list[str]:
    """Each pulled event's canonical payload text, made once: the chain checks hash it and
    the store writes it (``EventStore.append_pulled``)."""
    return [canonical_json(e.payload) for e in batch]


def _unsigned_tail_problem(
    batch: Sequence[Event], texts: Sequence[str], signed_upto: int, last: tuple[int, str] | None
) -> str | None:
    """``_chain_problem`` for the events of a batch after ``signed_upto`` (the newest
    checkpoint's sequence; the events up to it are checked against the checkpoint): an
    event edited since the last checkpoint is refused before it is stored, as the fast
    path refuses it."""
    for i, e in enumerate(batch):
        if (e.server_seq or 0) > signed_upto:
            if i:
                before = batch[i - 1]
                last = (before.server_seq or 0, before.hash or "")
            return _chain_problem(batch[i:], texts[i:], last)
    return None


def _chain_problem(
    batch: Sequence[Event], texts: Sequence[str], last: tuple[int, str] | None
) -> str | None:
    """What is wrong with a pulled batch's chain, or None: each event must match its own
    hash and link to the event before it where that one is known (``last``: the sequence
    and hash of the event before the batch that this desk holds). ``texts``: the events'
    canonical payload texts (``payload_texts``)."""
    for e, text in zip(batch, texts, strict=True):
        seq = e.server_seq or 0
        if e.hash is None or not hash_matches(e.prev_hash or "", e, e.hash, text):
            return f"the event at seq {seq} does not match its own hash"
        if last is not None and last[0] == seq - 1 and last[1] != e.prev_hash:
            return f"the event at seq {seq} does not link to the one at seq {seq - 1}"
        last = (seq, e.hash)
    return None
