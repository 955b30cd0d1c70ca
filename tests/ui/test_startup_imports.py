"""Start-up loads only what the first frame needs (issue 19).

The signature and PDF stack (pyhanko with aiohttp, reportlab, pypdf) and alembic took two
thirds of a start before they were loaded where they are used; the queue's first frame
needs none of them, nor Qt's PDF and print modules, MI, audit, import or sync. A real
start (``main.py --demo`` on a filled demo store, offscreen) is run with a probe that
lists the modules loaded when the first frame is grabbed. Printing, signing and
verifying still load them: their own tests cover that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.ui.test_app import ROOT, app_env

NOT_AT_START = (
    # the signature, PDF and migration stacks
    "pyhanko",
    "pyhanko_certvalidator",
    "aiohttp",
    "reportlab",
    "pypdf",
    "alembic",
    # Qt's PDF and printing modules, and the Tools windows with their services
    "PySide6.QtPdf",
    "PySide6.QtPrintSupport",
    "dutydesk.mi",
    "dutydesk.services.mi",
    "dutydesk.services.audit",
    "dutydesk.services.importer",
    "dutydesk.sync.engine",
    "dutydesk.ui.mi_dashboard",
    "dutydesk.ui.audit_view",
    "dutydesk.ui.import_wizard",
    "dutydesk.ui.printing",
    # the signing keys' cryptography, and the keyring (a plain demo store needs no key; a
    # real desk's encrypted store reads it from the keyring at start)
    "cryptography",
    "keyring",
    # England's bank holidays (working-time clocks load them when a due time is worked
    # out; the first frame shows due times already stored)
    "holidays",
    # the demo data generator (a demo start needs only its users: dutydesk.demo.users)
    "dutydesk.demo.synthetic",
    "dutydesk.demo.routes",
)

PROBE = """
import gc, importlib.abc, importlib.util, json, sys

loaded = {}


class Probe(importlib.abc.MetaPathFinder):
    # notes what is loaded when PySide6 is first imported, and wraps MainWindow.grab when
    # the window's module loads (importing it here would load PySide6 first)
    def find_spec(self, name, path, target=None):
        if name == "PySide6" and "before_qt" not in loaded:
            loaded["before_qt"] = sorted(sys.modules)
        if name != "dutydesk.ui.main_window":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            grab = module.MainWindow.grab

            def probe(self, *args):
                loaded["modules"] = sorted(sys.modules)
                loaded["gc"] = [gc.isenabled(), gc.get_freeze_count()]
                return grab(self, *args)

            module.MainWindow.grab = probe

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Probe())
from dutydesk import app

code = app.main(sys.argv[1:])
print(json.dumps(loaded))
sys.exit(code)
"""


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_first_frame_loads_no_signing_pdf_or_migration_stack(tmp_path: Path) -> None:
    data = tmp_path / "d"
    made = _run(tmp_path, "-m", "dutydesk.cli", "demo", "--events", "300", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr[-3000:]
    shot = tmp_path / "window.png"
    done = _run(tmp_path, "-c", PROBE, "--demo", "--data-dir", str(data), "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.stat().st_size > 20_000  # the queue was painted
    modules = json.loads(done.stdout.strip().splitlines()[-1])["modules"]
    assert "dutydesk.ui.main_window" in modules and "dutydesk.services.desk" in modules
    loaded = [n for n in NOT_AT_START if any(m == n or m.startswith(n + ".") for m in modules)]
    assert loaded == [], f"loaded before the first frame: {loaded}"
    # SQLAlchemy and DutyDesk's modules that are not Qt's were loaded before PySide6 was:
    # PySide6's import hook reads the whole source of every module loaded after it
    before_qt = set(json.loads(done.stdout.strip().splitlines()[-1])["before_qt"])
    late = [
        m
        for m in modules
        if m not in before_qt
        and (m == "sqlalchemy" or m.startswith(("sqlalchemy.", "dutydesk.")))
        and not m.startswith("dutydesk.ui")
    ]
    assert late == [], f"loaded after PySide6, their source read by its import hook: {late}"
    # the loaded code's objects were frozen (the collector skips them) and the collector
    # runs again for everything the session makes
    collecting, frozen = json.loads(done.stdout.strip().splitlines()[-1])["gc"]
    assert collecting and frozen > 50_000
    # the demo signer made no keys: nothing was written to the demo's trust anchors yet
    assert not list((data / "signing").glob("trust/*.pem"))
    # the store was closed when the window ended (its write-ahead log checkpointed and
    # removed), not left to the process's exit, which skips the collector's last walk
    assert (data / "dutydesk.sqlite3").exists()
    assert not (data / "dutydesk.sqlite3-wal").exists()
