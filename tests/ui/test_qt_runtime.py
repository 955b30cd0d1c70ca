"""The PySide6/Python pairing must survive long sessions (see SETUP-NOTES: none_dealloc)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from dutydesk.ui.qtguard import check_qt_runtime, leaked_none_refs

STRESS = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Pinger(QObject):
        ping = Signal(int)

    app = QCoreApplication([])
    obj = Pinger()
    got = []
    obj.ping.connect(got.append)
    for i in range(50_000):
        obj.setObjectName("a" if i % 2 else "b")   # returns nothing
    for i in range(50_000):
        obj.ping.emit(i)
    assert len(got) == 50_000
    print("survived", sys.getrefcount(None) if sys.version_info < (3, 12) else "immortal")
""")


def test_fifty_thousand_void_calls_and_emits_do_not_crash() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STRESS],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "survived" in done.stdout


def test_start_up_guard_passes_on_the_pinned_build() -> None:
    assert leaked_none_refs() < 100
    check_qt_runtime()
