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
        f"screenshot delay and exit); {args.runs} runs each; shared, loaded machine"
    )
    print(f"{'':10} {'cold (1st)':>10} {'warm median':>12} {'warm min':>9}")
    script = RAW_FIRST_FRAME % {"delay": GRAB_DELAY_S}
    raw = f"raw={shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    for item in [*args.commands, raw]:
        label, _, command = item.partition("=")
        argv = shlex.split(command)
        if args.drop_caches:
            drop_caches()
        times = [run_once(argv, data, work / "q.png", env) for _ in range(args.runs)]
        warm = times[1:] or times
        print(
            f"{label:10} {times[0]:9.2f}s {statistics.median(warm):11.2f}s {min(warm):8.2f}s"
            f"   (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
