"""Commit-ordered sequence: concurrent submitters, a reader polling throughout, nothing missed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from dutydesk.domain.codes import Role
from dutydesk.domain.server_chain import ChainRow, verify_server_chain
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import event
from tests.integration.sync.conftest import Login

WRITERS, EVENTS_EACH, BATCH = 6, 120, 4


def test_concurrent_submitters_and_a_polling_reader_see_a_gapless_log(
    make_login: Callable[[str], Login], now: datetime
) -> None:
    writers = [make_login("practitioner") for _ in range(WRITERS)]
    reader = make_login("auditor")
    made: dict[str, list[str]] = {}
    for w in writers:
        made[w.name] = [
            event("note.added", {"text": f"note {i}"}, now, actor=w.name, role=Role.PRACTITIONER).id
            for i in range(EVENTS_EACH)
        ]
    with PgTransport(reader.dsn) as r:
        start_seq = r.state().head_seq
    errors: list[BaseException] = []
    done = threading.Event()

    def write(login: Login) -> None:
        try:
            with PgTransport(login.dsn) as t:
                ids = made[login.name]
                events = [
                    event(
                        "note.added",
                        {"text": f"note {i}"},
                        now,
                        actor=login.name,
                        role=Role.PRACTITIONER,
                        event_id=eid,
                    )
                    for i, eid in enumerate(ids)
                ]
                for i in range(0, len(events), BATCH):
                    receipts = t.submit(events[i : i + BATCH])
                    assert all(x.status == "accepted" for x in receipts)
        except BaseException as err:  # handed to the main thread
            errors.append(err)

    seen: list = []

    def read() -> None:
        # Polls by cursor like a desk does; never re-reads what it has passed.
        try:
            with PgTransport(reader.dsn) as t:
                cursor = start_seq
                while True:
                    finished = done.is_set()
                    batch = t.pull(cursor, 37)
                    seen.extend(batch)
                    if batch:
                        cursor = batch[-1].server_seq
                    elif finished:
                        return
                    else:
                        time.sleep(0.001)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    poller = threading.Thread(target=read)
    poller.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    poller.join()
    assert not errors, errors

    mine = {eid for ids in made.values() for eid in ids}
    got = [e for e in seen if e.id in mine]
    assert len(got) == WRITERS * EVENTS_EACH  # nothing missed
    assert len({e.id for e in got}) == len(got)  # nothing twice
    seqs = [e.server_seq for e in seen]
    assert seqs == list(range(start_seq + 1, start_seq + 1 + len(seen)))  # no gaps, in order
    assert verify_server_chain(map(ChainRow, seen), genesis=None).ok  # one unbroken chain
    for name, ids in made.items():  # each writer's order kept
        assert [e.id for e in got if e.actor == name] == ids
