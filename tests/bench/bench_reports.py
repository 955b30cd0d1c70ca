"""Benchmark: case decision logs and duty logs of 1,000 and 10,000 decisions.

Prints, per document: decisions, pages, events digested, time to build and seal the PDF,
file size, and the process's peak memory (ru_maxrss, each size in its own process so
one run does not inflate the next), plus the time ``verify`` takes.

    /work/venv/bin/python -m tests.bench.bench_reports 1000 10000
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor, Event, make_event
from dutydesk.domain.ids import new_id
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
OUTCOMES = ["nfa", "advice", "early_help", "cin_assessment", "strategy_s47"]


def _history(person_id: str, decisions: int) -> list[Event]:
    """One child with ``decisions`` contacts, each rated and decided with a full rationale."""
    def ev(kind: str, payload: dict, at: datetime, role: Role = Role.DUTY_MANAGER) -> Event:
        return make_event(kind, payload, actor="dm.manager", actor_role=role.value,
                          device="bench", at=at)
    start = NOW - timedelta(days=29)
    step = timedelta(days=28) / decisions
    out = [ev("person.registered", {"person_id": person_id, "given_name": "Zoë",
                                    "family_name": "Wiśniewski",
                                    "date_of_birth": "2018-02-01"}, start)]
    for i in range(decisions):
        at = start + step * i
        cid = new_id()
        out.append(ev("contact.received", {
            "contact_id": cid, "received_at": at.isoformat(), "channel": "phone",
            "source_code": "2A", "children": [{"person_id": person_id, "given_name": "Zoë"}],
            "concern": f"Concern {i}: school reports bruising and a worrying comment. " * 3,
            "consent": "given", "immediate_danger": False, "office": "North",
            "team": "MASH A", "categories": ["18C", "16A"]}, at, Role.CONTACT_OFFICER))
        out.append(ev("contact.rated", {
            "contact_id": cid, "score": 60, "rating": "amber", "policy_version": "bench",
            "reasons": [{"text": "injury reported", "points": 30},
                        {"factor": "16A", "points": 10}]}, at + timedelta(seconds=1)))
        out.append(ev("decision.recorded", {
            "decision_id": new_id(), "contact_id": cid, "outcome": OUTCOMES[i % 5],
            "threshold_level": 1 + i % 4, "rationale": {
                "concerns_and_risks": "Bruising reported by school; second contact this term.",
                "strengths_and_protective_factors": "Mother engages; grandmother nearby.",
                "childs_voice": "Zoë said she likes school and is worried about home.",
                "consent_and_information_sharing": "Consent given by mother to share.",
                "analysis": "Cumulative concerns; threshold for assessment considered.",
                "next_steps": [{"action": "Feedback to the school", "owner": "dm.manager",
                                "due": "2026-11-27"}],
                "feedback_to_referrer": "School told of the outcome by phone."}},
            at + timedelta(minutes=30)))
    return out


def _measure(decisions: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    store = EventStore.open(folder / "store.sqlite3")
    person_id = new_id()
    store.import_events(_history(person_id, decisions), validate=False)
    service = DocumentService(store, Actor("bench", Role.AUDITOR, "bench"), FixedClock(NOW))
    for kind, make in (
            ("duty log", lambda: service.duty_log((NOW - timedelta(days=30)).date(),
                                                  NOW.date(), office="North")),
            ("case log", lambda: service.case_log(person_id=person_id))):
        started = time.perf_counter()
        doc = make()
        elapsed = time.perf_counter() - started
        pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
        started = time.perf_counter()
        verdict = service.verify(doc.pdf).verdict.name
        checked = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{kind:9} {decisions:>6} decisions: {pages:>5} pages, "
              f"{len(doc.event_ids):>6} events, {elapsed:6.1f} s, "
              f"{len(doc.pdf) / 1e6:5.1f} MB, peak RSS {peak:5.0f} MB; "
              f"verify {checked:.2f} s ({verdict})", flush=True)
    store.close()


def main(sizes: list[int]) -> None:
    ctx = multiprocessing.get_context("spawn")
    for size in sizes:
        proc = ctx.Process(target=_measure, args=(size,))
        proc.start()
        proc.join()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
