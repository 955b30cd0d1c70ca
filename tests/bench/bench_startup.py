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
code; ``--data-dir DIR`` uses DIR instead, e.g. a copy of a 1,000,000-event store marked
as demo data: the runs write to it, never give the original), and timed from process
start to exit: that is start-up, sign-in, the queue loaded and painted, plus the 300 ms
the screenshot waits before grabbing, and the exit. The first run of each is "cold":
with --drop-caches (root, Linux) the page cache is emptied before it, so the program's
files come from disk; later runs are warm. The machine this runs on is shared: figures
vary from run to run.

The raw limit, timed the same way in the same run (``raw`` row): a process that imports
PySide6's widgets, shows a main window holding a 50-row table and takes the same
screenshot after the same delay; what any Qt desktop app pays before its first frame.
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


def run_once(
    command: list[str], data: Path, shot: Path, env: dict[str, str]
) -> tuple[float, float]:
    """(wall, CPU) seconds of one start: CPU is the child's user + system time, from
    ``os.wait4``."""
    shot.unlink(missing_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [*command, "--demo", "--data-dir", str(data), "--screenshot", str(shot)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0 or not shot.exists():
            err.seek(0)
            message = err.read().decode(errors="replace")[-2000:]
            sys.exit(f"{shlex.join(command)} failed ({child.returncode}): {message}")
    return elapsed, usage.ru_utime + usage.ru_stime


RAW_FIRST_FRAME = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
window = QMainWindow()
model = QStandardItemModel(50, 6)
for r in range(50):
    for c in range(6):
        model.setItem(r, c, QStandardItem(f"row {r} col {c}"))
table = QTableView()
table.setModel(model)
window.setCentralWidget(table)
window.resize(1280, 800)
window.show()
shot = sys.argv[sys.argv.index("--screenshot") + 1]
QTimer.singleShot(int(%(delay)s * 1000), lambda: (window.grab().save(shot), app.quit()))
app.exec()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="an existing demo data folder to start on")
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
    data = args.data_dir or work / "store"
    if args.data_dir is None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dutydesk.cli",
                "demo",
                "--events",
                "3000",
                "--data-dir",
                str(data),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    print(
        f"start-up to a painted queue (includes the {GRAB_DELAY_S * 1000:.0f} ms "
        f"screenshot delay and exit); {args.runs} rounds, the arms alternated in each; "
        "CPU = the process's user + system time (os.wait4); shared, loaded machine"
    )
    script = RAW_FIRST_FRAME % {"delay": GRAB_DELAY_S}
    raw = f"raw={shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    arms = [
        (label, shlex.split(command))
        for label, _, command in (item.partition("=") for item in [*args.commands, raw])
    ]
    walls: dict[str, list[float]] = {label: [] for label, _ in arms}
    cpus: dict[str, list[float]] = {label: [] for label, _ in arms}
    loads: list[float] = []
    for round_ in range(args.runs):
        for label, argv in arms:
            if args.drop_caches and round_ == 0:
                drop_caches()
            wall, cpu = run_once(argv, data, work / "q.png", env)
            walls[label].append(wall)
            cpus[label].append(cpu)
            loads.append(os.getloadavg()[0])
    print(
        f"{'':10} {'cold (1st)':>10} {'warm median':>12} {'warm min':>9} "
        f"{'CPU median':>11} {'CPU min':>8} {'x raw (wall, CPU)':>18}"
    )
    raw_wall = statistics.median(walls["raw"][1:] or walls["raw"])
    raw_cpu = statistics.median(cpus["raw"][1:] or cpus["raw"])
    for label, _ in arms:
        times, cpu = walls[label], cpus[label][1:] or cpus[label]
        warm = times[1:] or times
        print(
            f"{label:10} {times[0]:9.2f}s {statistics.median(warm):11.2f}s {min(warm):8.2f}s "
            f"{statistics.median(cpu):10.2f}s {min(cpu):7.2f}s "
            f"{statistics.median(warm) / raw_wall:9.1f}x {statistics.median(cpu) / raw_cpu:6.1f}x",
            flush=True,
        )
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
