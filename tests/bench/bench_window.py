"""Benchmark the duty window on a large store: start to a ranked, scrollable queue; one
filter keystroke; committing a decision. Prints figures; asserts nothing about time.

    QT_QPA_PLATFORM=offscreen python -m tests.bench.bench_window 1000000 10000 [STORE]

Arguments: events in the store, open contacts, and optionally a store file to reuse
(built on first run, so a second run measures a warm start without regenerating).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from dutydesk.app import demo_actor
from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.services.desk import DeskService
from dutydesk.services.drafts import DraftStore
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.application import make_app
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.tasks import TaskRunner

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
RATIONALE = {
    "concerns_and_risks": "Neglect over several weeks.",
    "analysis": "Assessment needed to understand the children's needs.",
}


def build(path: Path, events: int, open_contacts: int) -> float:
    store = EventStore.open(path)
    if store.event_count() == 0:
        start = time.perf_counter()
        # Rated by the real triage policy as it is generated, like the demo.
        load_demo(store, seed=1, events=events, clock=FixedClock(NOW), open_contacts=open_contacts)
        print(f"built store: {store.event_count()} events in {time.perf_counter() - start:.1f} s")
    count = store.event_count()
    store.close()
    return count


def wait_for(app: QApplication, done, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.perf_counter() + timeout
    while not done():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("the window did not finish in time")
        time.sleep(0.001)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {values[-1] * 1000:.1f} ms (n={len(values)})"
    )


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 100_000
    open_n = int(argv[1]) if len(argv) > 1 else 10_000
    folder = Path(tempfile.mkdtemp(prefix="dd-bench-"))
    path = Path(argv[2]) if len(argv) > 2 else folder / "bench.sqlite3"
    count = build(path, events, open_n)
    app = make_app()

    t0 = time.perf_counter()
    store = EventStore.open(path)
    service = DeskService(store, demo_actor(), FixedClock(NOW))
    tasks = TaskRunner()
    window = MainWindow(
        service,
        tasks,
        demo=False,
        store_path=path,
        drafts=DraftStore(store, demo_actor().login),
        settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
    )
    window.resize(1400, 850)
    window.show()
    window.reload()
    wait_for(app, lambda: window.model.rowCount() > 0 and window.current_contact_id())
    window.table.scrollToBottom()
    window.grab()  # painted, scrolled to the end and back
    window.table.scrollToTop()
    window.grab()
    t_start = time.perf_counter() - t0
    rows = window.model.rowCount()

    # One keystroke at a time, as typed: each one filters the ids and resets the model
    # (timed alone), then the window repaints (timed to the painted frame).
    word_source = window.model.item(rows // 2).children[0].name.split()[-1]  # type: ignore[union-attr]
    strokes: list[float] = []
    filtering: list[float] = []
    prefixes = [word_source[:n] for n in range(1, len(word_source) + 1)]
    typed = (prefixes + prefixes[-2::-1] + [""]) * 3
    for text in typed:
        s = time.perf_counter()
        window.search.setText(text)
        filtering.append(time.perf_counter() - s)
        app.processEvents()
        strokes.append(time.perf_counter() - s)
    combo = window.filters.combos["ratings"]
    rating_clicks = []
    for value in ("red", "amber", "green", None):
        s = time.perf_counter()
        combo.setCurrentIndex(combo.findData(value) if value else 0)
        app.processEvents()
        rating_clicks.append(time.perf_counter() - s)

    # Committing a decision: the service call on the writer thread, then the whole round
    # trip until the decided contact has left the window's queue.
    ids = window.model.ids()
    commit, round_trip, polls = [], [], []
    for cid in ids[100:120]:
        done: list[float] = []
        s = time.perf_counter()

        def work(cid: str = cid) -> float:
            start = time.perf_counter()
            service.decide(cid, "cin_assessment", 3, RATIONALE)
            return time.perf_counter() - start

        def finished(t: float, done: list[float] = done) -> None:
            done.append(t)
            window.poll()

        tasks.submit(work, finished)
        wait_for(app, lambda cid=cid, done=done: bool(done) and window.model.row_of(cid) < 0)
        round_trip.append(time.perf_counter() - s)
        commit.append(done[0])
    for _ in range(20):
        s = time.perf_counter()
        service.changes_since(service.last_seq())
        polls.append(time.perf_counter() - s)
    window.poll_timer.stop()
    tasks.shutdown()
    window.close()
    store.close()
    print(f"store: {count} events, {path.stat().st_size / 1e6:.0f} MB; queue rows {rows}")
    print(f"start (open store, window, load + rank + paint, scrollable): {t_start:.2f} s")
    print(f"filter keystroke, ids + reset only: {ms(filtering)}")
    print(f"filter keystroke to painted window: {ms(strokes)}")
    print(f"rating filter change: {ms(rating_clicks)}")
    print(f"commit a decision (service, writer thread): {ms(commit)}")
    print(f"decision round trip (submit -> poll -> row leaves queue): {ms(round_trip)}")
    print(f"idle poll (nothing new): {ms(polls)}")


if __name__ == "__main__":
    main(sys.argv[1:])
