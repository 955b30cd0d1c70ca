"""The chain of checkpoint keys (issue 12, key rotation): pure checks of ``key_ring``."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dutydesk.domain.checkpoints import (
    CheckpointError,
    CheckpointKeyLost,
    current_root,
    endorse,
    first_key,
    key_id,
    key_ring,
    replace_lost,
    sign,
)

EPOCH = "0190c3a0-0000-7000-8000-000000000001"
HASH = "a" * 64


def _chain() -> tuple[list[Ed25519PrivateKey], list]:  # type: ignore[type-arg]
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    records = [
        first_key(keys[0].public_key(), "2026-01-01T00:00:00Z"),
        endorse(keys[0], keys[1], 10, "2026-06-01T00:00:00Z"),
        endorse(keys[1], keys[2], 20, "2026-12-01T00:00:00Z"),
    ]
    return keys, records


@pytest.mark.parametrize("anchor", [0, 1, 2])
def test_any_key_of_the_chain_trusts_the_whole_chain(anchor: int) -> None:
    keys, records = _chain()
    ring = key_ring(records, keys[anchor].public_key())
    assert ring.order == tuple(key_id(k.public_key()) for k in keys)
    assert [ring.keys[kid].last_seq for kid in ring.order] == [10, 20, None]
    old = sign(keys[0], 10, HASH, EPOCH, "t")
    late = sign(keys[0], 11, HASH, EPOCH, "t")  # the first key, after its retirement
    assert ring.problem_with(old) is None
    assert "retired after seq 10" in (ring.problem_with(late) or "")
    assert ring.problem_with(sign(keys[2], 30, HASH, EPOCH, "t")) is None


def test_an_outside_key_trusts_nothing_the_server_publishes() -> None:
    keys, records = _chain()
    stranger = Ed25519PrivateKey.generate()
    ring = key_ring(records, stranger.public_key())
    assert ring.order == (key_id(stranger.public_key()),)
    assert "not signed by the trusted" in (
        ring.problem_with(sign(keys[2], 1, HASH, EPOCH, "t")) or ""
    )


def test_a_change_signed_by_one_key_only_stops_the_chain() -> None:
    keys, records = _chain()
    forged = dataclasses.replace(records[2], signed_by_previous=records[2].signed_by_new)
    with pytest.raises(CheckpointError, match="not signed by both keys"):
        key_ring([records[0], records[1], forged], keys[0].public_key())
    # a holder of the forged key alone is not linked back to the real chain either
    ring = key_ring([records[0], records[1], forged], keys[2].public_key())
    assert ring.order == (key_id(keys[2].public_key()),)


def test_two_successors_or_two_first_keys_are_refused() -> None:
    keys, records = _chain()
    rival = endorse(keys[0], Ed25519PrivateKey.generate(), 10, "2026-06-02T00:00:00Z")
    with pytest.raises(CheckpointError, match="2 keys replacing"):
        key_ring([*records, rival], keys[0].public_key())
    second_root = first_key(Ed25519PrivateKey.generate().public_key(), "2026-02-01T00:00:00Z")
    with pytest.raises(CheckpointError, match="several first keys"):
        key_ring([*records, second_root], keys[0].public_key())


def test_a_public_key_that_does_not_match_its_fingerprint_is_refused() -> None:
    keys, records = _chain()
    swapped = dataclasses.replace(records[1], public_key=records[2].public_key)
    with pytest.raises(CheckpointError):
        key_ring([records[0], swapped, records[2]], keys[0].public_key())


# ---- a LOST key replaced (server checkpoint --new-key, migration 0011) ----------------------

REASON = "Administrator's laptop stolen on 30 Nov; keyring gone"


def _lost() -> tuple[list[Ed25519PrivateKey], Ed25519PrivateKey, list]:  # type: ignore[type-arg]
    """The chain of three keys; the current one (keys[2]) lost after signing seq 25."""
    keys, records = _chain()
    new = Ed25519PrivateKey.generate()
    lost = key_id(keys[2].public_key())
    return keys, new, [*records, replace_lost(new, lost, 25, REASON, "2026-12-01T04:00:00Z")]


@pytest.mark.parametrize("anchor", [0, 1, 2])
def test_a_desk_trusting_the_lost_key_is_told_and_trusts_nothing_new(anchor: int) -> None:
    keys, new, records = _lost()
    with pytest.raises(CheckpointKeyLost) as caught:
        key_ring(records, keys[anchor].public_key())
    said = str(caught.value)
    assert caught.value.new == key_id(new.public_key())
    assert f"replaced by a new key {key_id(new.public_key())}" in said
    assert REASON in said and "server_checkpoint_key" in said
    assert "by phone or in person (not through the server)" in said


def test_a_desk_configured_with_the_new_key_trusts_the_lost_one_up_to_its_last_sequence() -> None:
    keys, new, records = _lost()
    ring = key_ring(records, new.public_key())
    assert ring.order == (*(key_id(k.public_key()) for k in keys), key_id(new.public_key()))
    assert ring.current == key_id(new.public_key())
    assert ring.problem_with(sign(keys[2], 25, HASH, EPOCH, "t")) is None
    # whoever found the lost key signs something later: refused
    assert "retired after seq 25" in (ring.problem_with(sign(keys[2], 26, HASH, EPOCH, "t")) or "")
    assert ring.problem_with(sign(keys[0], 10, HASH, EPOCH, "t")) is None
    assert ring.problem_with(sign(new, 26, HASH, EPOCH, "t")) is None


def test_a_loss_record_the_new_key_did_not_sign_vouches_for_nothing_before_it() -> None:
    keys, new, records = _lost()
    other = replace_lost(Ed25519PrivateKey.generate(), "x" * 16, 25, REASON, "t")
    forged = dataclasses.replace(records[-1], loss_signature=other.loss_signature)
    ring = key_ring([*records[:-1], forged], new.public_key())
    assert ring.order == (key_id(new.public_key()),)
    assert "not signed by the trusted" in (
        ring.problem_with(sign(keys[2], 25, HASH, EPOCH, "t")) or ""
    )


def test_two_replacements_of_one_lost_key_are_refused_and_a_short_reason_too() -> None:
    keys, new, records = _lost()
    again = replace_lost(Ed25519PrivateKey.generate(), records[-1].replaces_lost, 25, REASON, "u")
    with pytest.raises(CheckpointError, match="replacing the lost key"):
        key_ring([*records, again], new.public_key())
    with pytest.raises(CheckpointError, match="at least 10 characters"):
        replace_lost(new, "a" * 16, 1, "  lost\n\t ", "t")


def test_a_new_desk_pins_the_first_key_of_the_current_stretch() -> None:
    keys, new, records = _lost()
    assert current_root(records[:3]) == records[0]  # no loss: the first key
    assert current_root(records) == records[-1]  # the replacement of the lost key
    rotated = endorse(new, Ed25519PrivateKey.generate(), 30, "2026-12-02T00:00:00Z")
    assert current_root([*records, rotated]) == records[-1]  # walked back through changes
