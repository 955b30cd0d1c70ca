"""Signed checkpoints of the shared server's log (issue 12, witnessed history).

A checkpoint says "on the server of epoch E, the event with sequence S has hash H", signed
with an Ed25519 key held outside the database (the administrator's OS keyring,
``dutydesk.config.checkpoint_key``). Because each hash chains every event before it, a
valid checkpoint pins the whole history up to S: whoever rewrites it (editing an event
and recomputing the chain, cutting off the tail and rolling the counter back) cannot make
the server's hash at S match again without the private key, and cannot sign a new
checkpoint either.

Pure: the caller gives the checkpoints it knows (those on the server, and the
administrator's own journal, which also keeps the hash of every sequence between two
checkpoints), the trusted public key, and ``hash_at`` / the server's head; ``check`` names
the first sequence number where the server's history no longer matches ("the server's
history changed at seq N"). Messages carry sequence numbers, hashes and times only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .events import canonical_json

KIND = "dutydesk-checkpoint/1"
ROTATION_KIND = "dutydesk-checkpoint-key-change/1"
LOSS_KIND = "dutydesk-checkpoint-key-lost/1"
LOSS_REASON_MIN = 10  # characters, as a break-glass reason
LOSS_REASON_MAX = 500

HashAt = Callable[[int], "str | None"]


def _as_int(value: object) -> int:
    """A JSON number (or numeric text) as an int; anything else is a ``TypeError``."""
    if isinstance(value, (int, float, str)):
        return int(value)
    raise TypeError(f"{value!r} is not a number")


class CheckpointError(Exception):
    """A checkpoint cannot be made or read; the message says why."""


class CheckpointKeyLost(CheckpointError):
    """The server says a key this verifier trusts was lost and replaced by a new key
    (``dutydesk server checkpoint --new-key``). The new key is not trusted from the old:
    nothing the old key signed can vouch for it (it is lost), and anyone with database
    rights can write the same record. The verifier's own administrator must configure the
    new key after comparing its fingerprint out of band."""

    def __init__(self, lost: str, new: str, declared_at: str, reason: str) -> None:
        self.lost, self.new, self.declared_at = lost, new, declared_at
        self.reason = printable(reason)
        super().__init__(
            f"the server says its checkpoint key {lost}, which this desk trusts, was lost and "
            f"replaced by a new key {new} ({declared_at}; the reason it gives: "
            f'"{self.reason}"). This desk does not trust the new key on the server\'s word: '
            "anyone with rights over the database could have written this. Your "
            "administrator compares the new key's fingerprint with the server's "
            "administrator by phone or in person (not through the server) and then sets "
            f"server_checkpoint_key to that key's checkpoint-key.pem (fingerprint {new}); "
            "until then this desk does not sync. If no administrator replaced the key, "
            "report this as an attack on the server"
        )


def printable(text: str, limit: int = LOSS_REASON_MAX) -> str:
    """``text`` on one line without control characters, at most ``limit`` characters:
    a reason read from the server is shown, never interpreted."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(flat.split())[:limit]


def key_id(public: Ed25519PublicKey) -> str:
    """The key's fingerprint: the first 16 hex digits of sha256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as err:
        raise CheckpointError(f"not a PEM public key: {err}") from err
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("the checkpoint key must be an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    epoch: str
    signed_at: str
    key_id: str
    signature: str  # base64 of the Ed25519 signature over ``message``
    # The administrator's journal only: the hash of every sequence after the previous
    # checkpoint up to this one, so a rewrite is placed exactly. Empty on the server.
    hashes: tuple[str, ...] = field(default=(), compare=False)
    first: int = field(default=0, compare=False)  # the sequence of hashes[0]

    def message(self) -> bytes:
        return message(self.seq, self.hash, self.epoch, self.signed_at, self.key_id)

    def signed_by(self, public: Ed25519PublicKey) -> bool:
        try:
            public.verify(base64.b64decode(self.signature, validate=True), self.message())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def journal_entry(self) -> dict[str, object]:
        entry: dict[str, object] = {
            "seq": self.seq,
            "hash": self.hash,
            "epoch": self.epoch,
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature,
        }
        if self.hashes:
            entry["first"] = self.first
            entry["hashes"] = list(self.hashes)
        return entry

    @staticmethod
    def from_entry(entry: dict[str, object]) -> Checkpoint:
        try:
            hashes = entry.get("hashes") or []
            if not isinstance(hashes, list):
                raise TypeError("hashes is not a list")
            return Checkpoint(
                seq=_as_int(entry["seq"]),
                hash=str(entry["hash"]),
                epoch=str(entry["epoch"]),
                signed_at=str(entry["signed_at"]),
                key_id=str(entry["key_id"]),
                signature=str(entry["signature"]),
                hashes=tuple(str(h) for h in hashes),
                first=_as_int(entry.get("first") or 0),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"a checkpoint entry is malformed: {err}") from err

    def hash_in_journal(self, seq: int) -> str | None:
        if seq == self.seq:
            return self.hash
        i = seq - self.first
        return self.hashes[i] if self.hashes and 0 <= i < len(self.hashes) else None


def message(seq: int, head_hash: str, epoch: str, signed_at: str, kid: str) -> bytes:
    """What is signed: canonical JSON of the checkpoint's fields and a version tag."""
    return canonical_json(
        {
            "epoch": epoch,
            "hash": head_hash,
            "key_id": kid,
            "kind": KIND,
            "seq": seq,
            "signed_at": signed_at,
        }
    ).encode("utf-8")


def sign(
    private: Ed25519PrivateKey,
    seq: int,
    head_hash: str,
    epoch: str,
    signed_at: str,
    *,
    hashes: Sequence[str] = (),
    first: int = 0,
) -> Checkpoint:
    kid = key_id(private.public_key())
    signature = private.sign(message(seq, head_hash, epoch, signed_at, kid))
    return Checkpoint(
        seq,
        head_hash,
        epoch,
        signed_at,
        kid,
        base64.b64encode(signature).decode("ascii"),
        tuple(hashes),
        first,
    )


def raw_b64(public: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes (how the server publishes it)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def from_raw_b64(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as err:
        raise CheckpointError(f"not an Ed25519 public key: {err}") from err


def rotation_message(
    new_kid: str, new_public: str, previous: str, previous_last_seq: int, added_at: str
) -> bytes:
    """What both keys sign when the checkpoint key changes: the new key (fingerprint and
    public bytes), the key it replaces and the last sequence that key signed."""
    return canonical_json(
        {
            "added_at": added_at,
            "key_id": new_kid,
            "kind": ROTATION_KIND,
            "previous": previous,
            "previous_last_seq": previous_last_seq,
            "public_key": new_public,
        }
    ).encode("utf-8")


def _verifies(public: Ed25519PublicKey, signature: str, data: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One row of the server's published checkpoint keys (migrations 0008 and 0011)."""

    key_id: str
    public_key: str  # base64 of the raw Ed25519 public key
    added_at: str
    previous: str | None = None  # the key this one replaced (None: the first key)
    previous_last_seq: int | None = None  # the last sequence the replaced key signed
    signed_by_previous: str | None = None  # rotation_message signed by the replaced key
    signed_by_new: str | None = None  # ... and by this key
    # A key that replaced a LOST key (``server checkpoint --new-key``, migration 0011): a
    # new first key; the lost key, the last sequence it signed before the loss was
    # declared, the administrator's reason, and loss_message signed by this key only.
    replaces_lost: str | None = None
    lost_last_seq: int | None = None
    loss_reason: str | None = None
    loss_signature: str | None = None


def loss_message(
    new_kid: str, new_public: str, lost: str, lost_last_seq: int, reason: str, added_at: str
) -> bytes:
    """What a new key signs when it replaces a lost one: itself, the lost key, the last
    sequence the lost key signed (it is trusted for nothing after it) and the reason."""
    return canonical_json(
        {
            "added_at": added_at,
            "key_id": new_kid,
            "kind": LOSS_KIND,
            "lost": lost,
            "lost_last_seq": lost_last_seq,
            "public_key": new_public,
            "reason": reason,
        }
    ).encode("utf-8")


def replace_lost(
    new: Ed25519PrivateKey, lost: str, lost_last_seq: int, reason: str, added_at: str
) -> KeyRecord:
    """The record of ``new`` replacing the lost key ``lost``; raises ``CheckpointError``
    for a reason shorter than ``LOSS_REASON_MIN`` characters."""
    reason = printable(reason)
    if len(reason) < LOSS_REASON_MIN:
        raise CheckpointError(
            f"say why the key is replaced (--reason, at least {LOSS_REASON_MIN} characters): "
            "every desk shows it"
        )
    kid, public = key_id(new.public_key()), raw_b64(new.public_key())
    data = loss_message(kid, public, lost, lost_last_seq, reason, added_at)
    return KeyRecord(
        kid,
        public,
        added_at,
        replaces_lost=lost,
        lost_last_seq=lost_last_seq,
        loss_reason=reason,
        loss_signature=base64.b64encode(new.sign(data)).decode("ascii"),
    )


def current_root(records: Sequence[KeyRecord]) -> KeyRecord | None:
    """The first key of the stretch the server's current key belongs to (what a desk with
    no configured key pins at first contact): the only key neither replaced by a key
    change nor declared lost, walked back through its key changes. None when unclear."""
    replaced = {r.previous for r in records} | {r.replaces_lost for r in records}
    tips = [r for r in records if r.key_id not in replaced]
    if len(tips) != 1:
        return None
    by_id = {r.key_id: r for r in records}
    at, seen = tips[0], set()
    while at.previous is not None and at.previous in by_id and at.key_id not in seen:
        seen.add(at.key_id)
        at = by_id[at.previous]
    return at if at.previous is None else None


def endorse(
    old: Ed25519PrivateKey, new: Ed25519PrivateKey, previous_last_seq: int, added_at: str
) -> KeyRecord:
    """The record of a key change: ``new`` replaces ``old``, which signed its last
    checkpoint at ``previous_last_seq``; signed by both."""
    new_kid, old_kid = key_id(new.public_key()), key_id(old.public_key())
    new_public = raw_b64(new.public_key())
    data = rotation_message(new_kid, new_public, old_kid, previous_last_seq, added_at)
    return KeyRecord(
        new_kid,
        new_public,
        added_at,
        old_kid,
        previous_last_seq,
        base64.b64encode(old.sign(data)).decode("ascii"),
        base64.b64encode(new.sign(data)).decode("ascii"),
    )


def first_key(public: Ed25519PublicKey, added_at: str) -> KeyRecord:
    return KeyRecord(key_id(public), raw_b64(public), added_at)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    public: Ed25519PublicKey
    last_seq: int | None  # retired: signs nothing after this sequence; None: current


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The checkpoint keys a verifier trusts: its anchor, and every key linked to it by
    a key change signed by both keys (oldest first; the last is the current key)."""

    keys: dict[str, TrustedKey]
    order: tuple[str, ...]

    @staticmethod
    def single(public: Ed25519PublicKey) -> KeyRing:
        kid = key_id(public)
        return KeyRing({kid: TrustedKey(public, None)}, (kid,))

    @property
    def current(self) -> str:
        return self.order[-1]

    def problem_with(self, cp: Checkpoint) -> str | None:
        """Why ``cp`` is not trustworthy, or None."""
        trusted = self.keys.get(cp.key_id)
        if trusted is None or not cp.signed_by(trusted.public):
            return (
                f"the checkpoint at seq {cp.seq} (signed_at {cp.signed_at}) is not signed by "
                f"the trusted checkpoint key {', '.join(self.order)}: forged or altered"
            )
        if trusted.last_seq is not None and cp.seq > trusted.last_seq:
            return (
                f"the checkpoint at seq {cp.seq} (signed_at {cp.signed_at}) is signed by key "
                f"{cp.key_id}, retired after seq {trusted.last_seq}: forged (a retired key "
                "signs nothing new)"
            )
        return None


def key_ring(records: Sequence[KeyRecord], anchor: Ed25519PublicKey) -> KeyRing:
    """The keys trusted from ``anchor``: the chain of key changes the server publishes,
    each checked (signed by both its keys, public bytes matching the fingerprint), walked
    from the first key of the anchor's stretch. Keys outside the anchor's valid stretch of
    the chain are not trusted. A key that replaced a lost one (migration 0011) starts a
    stretch of its own: trusted only by a verifier anchored in it, which then also trusts
    the lost key (and the keys before it) for what it signed up to the sequence the loss
    record names, when the new key signed that record. Raises ``CheckpointKeyLost`` when
    the server says a key of the anchor's stretch was lost, ``CheckpointError`` when the
    published keys contradict the anchor (a fork, an unendorsed key after it)."""
    anchor_id = key_id(anchor)
    if not records or anchor_id not in {r.key_id for r in records}:
        # The anchor alone: a published key it never endorsed is not trusted.
        return KeyRing.single(anchor)
    by_previous: dict[str, list[KeyRecord]] = {}
    roots: list[KeyRecord] = []
    losses: dict[str, list[KeyRecord]] = {}
    for r in records:
        if r.previous is not None:
            by_previous.setdefault(r.previous, []).append(r)
        elif r.replaces_lost is not None:
            losses.setdefault(r.replaces_lost, []).append(r)
        else:
            roots.append(r)
    for prev, rows in [*by_previous.items(), ("nothing (several first keys)", roots)]:
        if len(rows) > 1:
            raise CheckpointError(
                f"the server names {len(rows)} keys replacing {prev}: a forged key change"
            )
    for lost, rows in losses.items():
        if len(rows) > 1:
            raise CheckpointError(
                f"the server names {len(rows)} keys replacing the lost key {lost}: forged"
            )
    publics = {r.key_id: _public_of(r) for r in records}

    def stretch(root: KeyRecord) -> list[KeyRecord]:
        chain: list[KeyRecord] = []
        at: KeyRecord | None = root
        seen: set[str] = set()
        while at is not None and at.key_id not in seen:
            seen.add(at.key_id)
            chain.append(at)
            nxt = by_previous.get(at.key_id, [])
            at = nxt[0] if nxt else None
        return chain

    def links(chain: list[KeyRecord]) -> list[bool]:
        valid = []  # links[i] joins chain[i] and chain[i+1]; valid when both keys signed it
        for old, new in zip(chain, chain[1:], strict=False):
            data = rotation_message(
                new.key_id,
                new.public_key,
                old.key_id,
                int(new.previous_last_seq or 0),
                new.added_at,
            )
            o, n = publics.get(old.key_id), publics.get(new.key_id)
            valid.append(
                o is not None
                and n is not None
                and _verifies(o, new.signed_by_previous or "", data)
                and _verifies(n, new.signed_by_new or "", data)
            )
        return valid

    chains = [stretch(r) for r in roots + [rows[0] for rows in losses.values()]]
    found = [c for c in chains if anchor_id in {r.key_id for r in c}]
    if not found:
        raise CheckpointError(
            f"the trusted checkpoint key {anchor_id} is not in the server's chain of keys"
        )
    chain = found[0]
    valid = links(chain)
    i = next(j for j, r in enumerate(chain) if r.key_id == anchor_id)
    lo = i
    while lo > 0 and valid[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(chain) - 1 and valid[hi]:
        hi += 1
    if hi < len(chain) - 1:
        bad = chain[hi + 1]
        raise CheckpointError(
            f"the server names key {bad.key_id} as replacing {bad.previous}, but the change is "
            "not signed by both keys: a forged key change"
        )
    for j in range(lo, hi + 1):
        declared = losses.get(chain[j].key_id)
        if declared:
            d = declared[0]
            raise CheckpointKeyLost(chain[j].key_id, d.key_id, d.added_at, d.loss_reason or "")
    keys: dict[str, TrustedKey] = {}
    order: list[str] = []

    def trust(chain: list[KeyRecord], lo: int, hi: int, last: int | None) -> None:
        for j in range(lo, hi + 1):
            rec = chain[j]
            retired = chain[j + 1].previous_last_seq if j < hi else last
            public = publics[rec.key_id]
            if public is None:
                raise CheckpointError(f"the server's key {rec.key_id} is not a valid public key")
            keys[rec.key_id] = TrustedKey(public, retired)
            order.append(rec.key_id)

    trust(chain, lo, hi, None)
    # Back through losses the trusted stretch's first key declared and signed: the lost
    # key vouched for what it signed before the loss, and nothing after.
    root = chain[lo]
    while lo == 0 and root.replaces_lost is not None:
        public = publics.get(root.key_id)
        data = loss_message(
            root.key_id,
            root.public_key,
            root.replaces_lost,
            int(root.lost_last_seq or 0),
            root.loss_reason or "",
            root.added_at,
        )
        if public is None or not _verifies(public, root.loss_signature or "", data):
            break
        earlier = [c for c in chains if root.replaces_lost in {r.key_id for r in c}]
        if not earlier or any(k in keys for k in (r.key_id for r in earlier[0])):
            break
        chain = earlier[0]
        valid = links(chain)
        hi = next(j for j, r in enumerate(chain) if r.key_id == root.replaces_lost)
        lo = hi
        while lo > 0 and valid[lo - 1]:
            lo -= 1
        before = len(order)
        trust(chain, lo, hi, int(root.lost_last_seq or 0))
        order[:] = order[before:] + order[:before]  # oldest first
        root = chain[lo]
    return KeyRing(keys, tuple(order))


def _public_of(record: KeyRecord) -> Ed25519PublicKey | None:
    try:
        public = from_raw_b64(record.public_key)
    except CheckpointError:
        return None
    return public if key_id(public) == record.key_id else None


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    checked: int  # valid checkpoints of this epoch found to match
    other_epoch: int  # valid checkpoints of an earlier epoch (not compared)
    latest: Checkpoint | None  # the newest valid checkpoint that matched
    problem: str | None  # None when every checkpoint holds

    @property
    def ok(self) -> bool:
        return self.problem is None


def merge(
    on_server: Iterable[Checkpoint], journal: Iterable[Checkpoint]
) -> tuple[list[Checkpoint], list[Checkpoint]]:
    """(every checkpoint, by sequence, the journal's copy preferred; those in the journal
    that the server no longer holds)."""
    server = {c.seq: c for c in on_server}
    mine = {c.seq: c for c in journal}
    missing = [c for s, c in sorted(mine.items()) if server.get(s) != c]
    every = {**server, **mine}
    return [every[s] for s in sorted(every)], missing


def check(
    checkpoints: Sequence[Checkpoint],
    public: Ed25519PublicKey | KeyRing,
    *,
    epoch: str,
    head_seq: int,
    hash_at: HashAt,
    missing: Sequence[Checkpoint] = (),
) -> CheckpointReport:
    """Check every checkpoint against the server: signed by ``public``, and (for this
    epoch) the server's log still reaches its sequence with the same hash there. The first
    failure is reported as where the server's history changed."""
    ring = public if isinstance(public, KeyRing) else KeyRing.single(public)
    matched, other, latest = 0, 0, None
    previous: Checkpoint | None = None
    for cp in checkpoints:
        forged = ring.problem_with(cp)
        if forged is not None:
            return CheckpointReport(matched, other, latest, forged)
        if cp.epoch != epoch:
            other += 1
            continue
        if cp.seq > head_seq:
            return CheckpointReport(
                matched,
                other,
                latest,
                (
                    f"the server's history changed at seq {head_seq + 1}: its log now ends at "
                    f"sequence {head_seq}, but a checkpoint signed {cp.signed_at} covers it up "
                    f"to {cp.seq} (the tail was cut off)"
                ),
            )
        theirs = hash_at(cp.seq)
        if theirs != cp.hash:
            where = _first_change(cp, previous, hash_at)
            now = "has no event there" if theirs is None else f"has {theirs[:16]}…"
            return CheckpointReport(
                matched,
                other,
                latest,
                (
                    f"the server's history changed at seq {where}: the checkpoint signed "
                    f"{cp.signed_at} says sequence {cp.seq} has hash {cp.hash[:16]}…, the "
                    f"server now {now}" + _gone(missing, cp)
                ),
            )
        matched += 1
        latest = previous = cp
    if missing:
        gone = ", ".join(str(c.seq) for c in missing[:5])
        return CheckpointReport(
            matched,
            other,
            latest,
            (
                f"checkpoints the administrator's journal holds are missing from the server or "
                f"differ there (seq {gone}): someone with database rights removed or replaced "
                "them, although the log still matches"
            ),
        )
    return CheckpointReport(matched, other, latest, None)


def _gone(missing: Sequence[Checkpoint], cp: Checkpoint) -> str:
    return (
        "; the server no longer holds that checkpoint (removed with the rewrite)"
        if cp in missing
        else ""
    )


def _first_change(cp: Checkpoint, previous: Checkpoint | None, hash_at: HashAt) -> str:
    """The first sequence after the last matching checkpoint whose hash differs, found by
    binary search in the journal's hashes (a rewrite changes every later hash); without
    them, the range it lies in."""
    lo = (previous.seq if previous is not None else 0) + 1
    if cp.hashes and cp.first <= lo:
        seqs = list(range(lo, cp.seq + 1))
        first = cp.seq
        a, b = 0, len(seqs) - 1
        while a <= b:
            mid = (a + b) // 2
            if hash_at(seqs[mid]) != cp.hash_in_journal(seqs[mid]):
                first, b = seqs[mid], mid - 1
            else:
                a = mid + 1
        return str(first)
    if lo == cp.seq:
        return str(lo)
    return f"{lo}-{cp.seq} (somewhere in this range; the administrator's journal places it)"
