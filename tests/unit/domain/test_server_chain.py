"""The server chain verifier: each kind of tampering is named at the right sequence."""

from __future__ import annotations

import dataclasses

from dutydesk.domain.events import Event
from dutydesk.domain.hashchain import GENESIS, event_hash
from dutydesk.domain.server_chain import (
    HASH_MISMATCH,
    PAYLOAD_MISMATCH,
    PREV_HASH_MISMATCH,
    SEQUENCE_GAP,
    ChainRow,
    verify_server_chain,
)

BASE = Event(
    id="",
    type="note.added",
    actor="dm.one",
    actor_role="duty_manager",
    device="desk-1",
    client_time="2026-11-26T09:30:00+00:00",
    payload={"contact_id": "0190c3a0-0000-7000-8000-0000000000aa", "text": "note"},
    server_time="2026-11-26T09:30:01.000001Z",
)


def _chain(n: int) -> list[Event]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        e = dataclasses.replace(
            BASE,
            server_seq=i,
            id=f"0190c3a0-0000-7000-8000-{i:012d}",
            prev_hash=prev,
            payload={**BASE.payload, "n": i},
        )
        e = dataclasses.replace(e, hash=event_hash(prev, e))
        out.append(e)
        prev = e.hash  # type: ignore[assignment]
    return out


def _server(events: list[Event]) -> dict[int, str]:
    return {e.server_seq: e.hash for e in events}  # type: ignore[misc]


def rows(events: list[Event]) -> list[ChainRow]:
    return [ChainRow(e, e.payload) for e in events]


def test_an_intact_chain_checks_every_event() -> None:
    chain = _chain(6)
    report = verify_server_chain(rows(chain), head_seq=6, hash_at=_server(chain).get)
    assert report.ok and (report.checked, report.unseen, report.last_seq) == (6, 0, 6)


def test_an_edited_event_is_a_hash_mismatch_at_its_sequence() -> None:
    chain = _chain(5)
    chain[2] = dataclasses.replace(chain[2], payload={"text": "changed"})
    report = verify_server_chain(rows(chain))
    assert report.problem is not None and report.checked == 2
    assert (report.problem.seq, report.problem.event_id, report.problem.kind) == (
        3,
        chain[2].id,
        HASH_MISMATCH,
    )
    assert str(report.problem).startswith(f"sequence 3, event {chain[2].id}: hash mismatch")


def test_the_query_copy_of_the_payload_must_match_the_hashed_text() -> None:
    chain = _chain(3)
    tampered = [ChainRow(e, e.payload) for e in chain]
    tampered[1] = ChainRow(chain[1], {"text": "changed"})
    problem = verify_server_chain(tampered).problem
    assert problem is not None and (problem.seq, problem.kind) == (2, PAYLOAD_MISMATCH)


def test_a_deleted_event_is_a_gap_the_server_has_no_hash_for() -> None:
    chain = _chain(5)
    hashes = _server(chain)
    del hashes[3]
    problem = verify_server_chain(rows(chain[:2] + chain[3:]), hash_at=hashes.get).problem
    assert problem is not None
    assert (problem.seq, problem.event_id, problem.kind) == (3, None, SEQUENCE_GAP)
    assert chain[3].id in problem.detail  # names the event that follows the hole


def test_a_hidden_event_is_counted_and_the_chain_goes_on_across_it() -> None:
    chain = _chain(5)
    report = verify_server_chain(rows(chain[:2] + chain[3:]), hash_at=_server(chain).get)
    assert report.ok and (report.checked, report.unseen) == (4, 1)


def test_a_hidden_event_replaced_on_the_server_breaks_the_next_link() -> None:
    chain = _chain(5)
    hashes = {**_server(chain), 3: "f" * 64}
    problem = verify_server_chain(rows(chain[:2] + chain[3:]), hash_at=hashes.get).problem
    assert problem is not None and (problem.seq, problem.kind) == (4, PREV_HASH_MISMATCH)


def test_swapped_events_break_at_the_first_of_them() -> None:
    chain = _chain(5)
    a, b = chain[1], chain[2]
    swapped = [
        chain[0],
        dataclasses.replace(b, server_seq=2),
        dataclasses.replace(a, server_seq=3),
        *chain[3:],
    ]
    problem = verify_server_chain(rows(swapped)).problem
    assert problem is not None
    assert (problem.seq, problem.event_id, problem.kind) == (2, b.id, PREV_HASH_MISMATCH)


def test_events_cut_off_the_end_are_found_from_the_servers_head() -> None:
    chain = _chain(5)
    hashes = _server(chain[:4])
    problem = verify_server_chain(rows(chain[:4]), head_seq=5, hash_at=hashes.get).problem
    assert problem is not None and (problem.seq, problem.kind) == (5, SEQUENCE_GAP)


def test_a_desks_copy_tolerates_events_it_never_held() -> None:
    chain = _chain(6)
    report = verify_server_chain(rows([chain[0], chain[3], chain[5]]))
    assert report.ok and (report.checked, report.unseen, report.last_seq) == (3, 3, 6)


def test_a_run_starting_part_way_trusts_its_first_link() -> None:
    chain = _chain(6)
    assert verify_server_chain(rows(chain[2:]), genesis=None).ok
    copy = verify_server_chain(rows(chain[2:]))  # a desk's copy: 1-2 simply not held
    assert copy.ok and (copy.checked, copy.unseen) == (4, 2)
    problem = verify_server_chain(rows(chain[2:]), hash_at=lambda _: None).problem
    assert problem is not None and (problem.seq, problem.kind) == (1, SEQUENCE_GAP)
