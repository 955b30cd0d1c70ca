"""Start-up to a painted queue, for the ways DutyDesk is installed: the source checkout
(python main.py), an installed wheel (its dutydesk-window), the frozen bundle. Prints
figures; asserts nothing about time.

    python -m tests.bench.bench_startup [--runs N] [--drop-caches] LABEL=COMMAND ...

e.g.
    python -m tests.bench.bench_startup --drop-caches \\
        "source=.venv/bin/python main.py" "wheel=/tmp/venv/bin/dutydesk-window" \\
        "bundle=dist/dutydesk/dutydesk-window"

Each COMMAND is started as ``COMMAND --demo --data-dir DIR --screenshot FILE`` with
offscreen Qt, on one demo store (3,000 events, made once beforehand with the checkout's
code), and timed from process start to exit: that is start-up, sign-in, the queue loaded
and painted, plus the 300 ms the screenshot waits before grabbing, and the exit. The first
run of each is "cold": with --drop-caches (root, Linux) the page cache is emptied before
it, so the program's files come from disk; later runs are warm. The machine this runs on
is shared: figures vary from run to run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRAB_DELAY_S = 0.3  # dutydesk.ui.application.run_window waits this long before grabbing


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run_once(command: list[str], data: Path, shot: Path, env: dict[str, str]) -> float:
    shot.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--demo", "--data-dir", str(data), "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or not shot.exists():
        sys.exit(f"{shlex.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true")
    parser.add_argument("commands", nargs="+", metavar="LABEL=COMMAND")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dutydesk-startup-"))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CONFIG_DIRS": str(work / "etc-xdg"),
    }
    data = work / "store"
    subprocess.run(
        [sys.executable, "-m", "dutydesk.cli", "demo", "--events", "3000", "--data-dir", str(data)],
        env=env,
        check=True,
        capture_output=True,
    )
    print(
        f"start-up to a painted queue (includes the {GRAB_DELAY_S * 1000:.0f} ms "
        f"screenshot delay and exit); {args.runs} runs each; shared, loaded machine"
    )
    print(f"{'':10} {'cold (1st)':>10} {'warm median':>12} {'warm min':>9}")
    for item in args.commands:
        label, _, command = item.partition("=")
        argv = shlex.split(command)
        if args.drop_caches:
            drop_caches()
        times = [run_once(argv, data, work / "q.png", env) for _ in range(args.runs)]
        warm = times[1:] or times
        print(f"{label:10} {times[0]:9.2f}s {statistics.median(warm):11.2f}s {min(warm):8.2f}s")


if __name__ == "__main__":
    main()
