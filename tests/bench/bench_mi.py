"""Benchmark: MI figures over a large synthetic store. Prints figures; asserts nothing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_mi 1000000 [--figures-only]
        [--store PATH]

``--store PATH`` keeps the built store at PATH (one size only) and, when PATH already holds
events, times everything after the build on it without building again.

For each size: build a store (rated history + MI extras), then time
- load: reading the rows MI needs for the whole store, and preparing the facts;
- compute: every figure for the default six months;
- filter changes: office, team, source, and a new period inside what is loaded;
- push-down load: a six-month period read with its 12-month look-back only;
- the dashboard widget's first paint (load + compute + tiles + chart + first drill-down)
  and a filter change through the widget;
- Annex A Lists 1 to 5 (xlsx) for six months, each from a fresh load, and the CIN census
  return for 2026-27;
- "export 5 lists from the dashboard": Lists 1 to 5 through the open dashboard's export
  (one load, reused while the store is unchanged), and the same five with the kept
  dataset dropped before each (a load per list, as before the reuse).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def best(fn: Callable[[], Any], runs: int = 3) -> float:
    return min(timed(fn)[1] for _ in range(runs))


def widget(service: MiService, folder: Path) -> tuple[float, float, float, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from dutydesk.ui.application import make_app
    from dutydesk.ui.mi_dashboard import MiDashboard
    from dutydesk.ui.tasks import TaskRunner

    app = make_app()
    dash = MiDashboard(service, TaskRunner(synchronous=True))
    dash.resize(1500, 900)
    dash.show()

    def first_paint() -> None:
        dash.reload()
        dash.repaint()
        app.processEvents()

    _, t_first = timed(first_paint)

    def change() -> None:
        dash.office.setCurrentIndex(1)
        dash.repaint()
        app.processEvents()

    _, t_change = timed(change)
    dash.office.setCurrentIndex(0)  # all offices again: the six months, as the lists below
    app.processEvents()
    reused, fresh = folder / "dash-reused", folder / "dash-fresh"
    reused.mkdir()
    fresh.mkdir()
    service.forget_export_data()
    _, t_reused = timed(lambda: dash.export_lists(reused))
    assert "each signed" in dash.status.text(), dash.status.text()

    def one_load_each() -> None:
        for n in (1, 2, 3, 4, 5):
            service.forget_export_data()
            dash.export_lists(fresh, (n,))

    _, t_fresh = timed(one_load_each)
    dash.close()
    return t_first, t_change, t_reused, t_fresh


def run(
    n: int, folder: Path, figures_only: bool = False, keep: Path | None = None
) -> dict[str, float]:
    path = keep or folder / f"mi-{n}.sqlite3"
    store = EventStore.open(path)
    cpu0 = time.process_time()
    if store.event_count():
        count, t_build = store.event_count(), 0.0  # reused: build not timed
    else:
        count, t_build = timed(
            lambda: load_mi_demo(
                store, seed=1, events=n, clock=FixedClock(NOW), open_contacts=max(50, n // 500)
            )
        )
    cpu_build = time.process_time() - cpu0
    # exports are signed (FILE.p7s): the figures include signing each file
    signer = signer_for(demo_actor().login)
    service = MiService(store, FixedClock(NOW), actor=demo_actor(), signer=signer)
    loaded, t_load = timed(service.load)
    base = service.default_filters()
    _, t_compute = timed(lambda: service.figures(loaded, base))
    office = Filters(base.date_from, base.date_to, office="North Locality")
    team = Filters(base.date_from, base.date_to, office="North Locality", team="Front Door A")
    source = Filters(base.date_from, base.date_to, source="6")
    month = Filters(date(2026, 10, 1), date(2026, 10, 31))
    t_filters = [
        best(lambda f=f: service.figures(loaded, f)) for f in (office, team, source, month)
    ]
    pushed, t_push = timed(lambda: service.load(base))
    cpu = time.process_time()
    core = {
        "events": count,
        "contacts": len(loaded.data.contacts),
        "build s": t_build,
        "load+prepare s": t_load,
        "compute all s": t_compute,
        "office s": t_filters[0],
        "team s": t_filters[1],
        "source s": t_filters[2],
        "period s": t_filters[3],
        "push-down load s": t_push,
        "pushed contacts": len(pushed.data.contacts),
        "build CPU s": cpu_build,
        "load..push-down CPU s": cpu - cpu0 - cpu_build,
        "peak RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if figures_only:
        store.close()
        return core
    t_first, t_widget_change, t_dash_reused, t_dash_fresh = widget(service, folder)

    def fresh_list(n: int) -> float:
        service.forget_export_data()  # a load for each list, as in earlier figures
        return timed(lambda: service.export_annex_a(folder / f"l{n}.xlsx", n, "xlsx", base))[1]

    t_l1 = fresh_list(1)
    t_l3 = fresh_list(3)
    t_more = [fresh_list(n) for n in (2, 4, 5)]
    service.forget_export_data()
    census, t_census = timed(
        lambda: service.export_cin_census(folder / "census.xml", 2027, lea="201")
    )
    store.close()
    return {
        "events": count,
        "contacts": len(loaded.data.contacts),
        "build s": t_build,
        "load+prepare s": t_load,
        "compute all s": t_compute,
        "office s": t_filters[0],
        "team s": t_filters[1],
        "source s": t_filters[2],
        "period s": t_filters[3],
        "push-down load s": t_push,
        "pushed contacts": len(pushed.data.contacts),
        "widget first paint s": t_first,
        "widget filter s": t_widget_change,
        "dash 5 lists reused s": t_dash_reused,
        "dash 5 lists fresh s": t_dash_fresh,
        "List 1 xlsx s": t_l1,
        "List 3 xlsx s": t_l3,
        "List 2 xlsx s": t_more[0],
        "List 4 xlsx s": t_more[1],
        "List 5 xlsx s": t_more[2],
        "census referrals": census.episodes,
        "census export s": t_census,
        "peak RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> None:
    figures_only = "--figures-only" in argv  # load and figures only: no widget, no exports
    keep = None
    if "--store" in argv:
        at = argv.index("--store")
        keep = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    sizes = [int(a) for a in argv if a != "--figures-only"] or [20_000]
    if keep is not None and len(sizes) != 1:
        raise SystemExit("--store takes one size")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(n, Path(tmp), figures_only, keep) for n in sizes]
    for key in rows[0]:
        cells = [f"{r[key]:.2f}" if isinstance(r[key], float) else str(r[key]) for r in rows]
        print(f"{key:>22} | " + " | ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main(sys.argv[1:])
