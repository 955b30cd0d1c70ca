"""Benchmark: MI steps on an existing store, each in its own process, this checkout
against another (``--baseline``) or against the old way. Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.bench_mi_arms STORE [ROUNDS] [--what listN|paint]
        [--baseline TREE]

- ``list1`` .. ``list5``: Annex A List N (xlsx, signed) for the default six months, as
  ``MiService.export_annex_a`` writes it (List 1: the contacts' children read alone;
  Lists 2-5: a load of what the list reads, ``annex_a.LIST_READS``); the old arm is the
  full MI load of the period with people, then ``annex_a.export``;
- ``paint``: what the dashboard's first paint computes, no widget: the load of the period
  shown (the default six months, pushed down to SQL with its look-back), then every figure
  for it; the old arm loads the whole store (``MiService.load()``), as the dashboard did
  before it loaded its period. With ``--baseline``, both arms load the period.

Each arm runs in its own process (peak RSS is per process), alternating new, old, new...
for ``ROUNDS`` (default 1); wall, CPU and peak RSS per run. ``--baseline TREE`` runs the
export of another checkout (``git worktree add TREE COMMIT``) instead of the old arm.
Opens STORE for writing (the export is recorded): give it a copy.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

NOW = datetime(2026, 11, 26, 9, 0)


def arm(which: str, what: str, store_path: str) -> None:
    from dutydesk.demo.synthetic import demo_actor
    from dutydesk.domain.clock import LONDON, FixedClock
    from dutydesk.mi import annex_a
    from dutydesk.services.mi import MiService
    from dutydesk.store.eventstore import EventStore
    from tests.document_fixtures import signer_for

    store = EventStore.open(store_path)
    service = MiService(
        store,
        FixedClock(NOW.replace(tzinfo=LONDON)),
        actor=demo_actor(),
        signer=signer_for(demo_actor().login),
    )
    filters = service.default_filters()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{what}.xlsx"
        wall, cpu = time.perf_counter(), time.process_time()
        if what == "paint":
            loaded = service.load() if which == "old" else service.load(filters)
            rows = len(service.figures(loaded, filters))
        elif which == "new":
            rows = service.export_annex_a(out, int(what[4:]), "xlsx", filters)
        else:
            loaded = service.load(filters, with_people=True)
            rows = annex_a.export(out, int(what[4:]), "xlsx", loaded.data, loaded.dataset, filters)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{what} {which:>4} | rows {rows:>7} | wall {wall:7.2f} s | CPU {cpu:7.2f} s", end="")
    print(f" | peak {peak:6.0f} MB")
    store.close()


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--arm":
        arm(argv[1], argv[2], argv[3])
        return
    what = "list1"
    if "--what" in argv:
        at = argv.index("--what")
        what = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    baseline = None
    if "--baseline" in argv:  # another checkout (e.g. before a change): its own export
        at = argv.index("--baseline")
        baseline = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    store, rounds = argv[0], int(argv[1]) if len(argv) > 1 else 1
    arms = [("new", None), ("new", baseline) if baseline else ("old", None)]
    here = str(Path(__file__).resolve().parents[2])
    for which, tree in [*arms * rounds, arms[0]]:
        if tree:
            print(f"(baseline: {tree})", flush=True)
        subprocess.run(
            [sys.executable, __file__, "--arm", which, what, store],
            check=True,
            env=dict(os.environ, PYTHONPATH=tree or here),
            cwd=tree or here,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
