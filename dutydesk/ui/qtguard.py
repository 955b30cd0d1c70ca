"""Refuse to run on a PySide6 build that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.10/3.11 drops a reference to ``None`` on every Qt call that
returns nothing (and to ``True``/``False`` on ``emit``); after a few thousand calls Python
aborts with ``Fatal Python error: none_dealloc``. The guard measures the fault directly
instead of trusting version numbers alone.
"""

from __future__ import annotations

import sys

PROBE_CALLS = 2000


class QtFaultError(RuntimeError):
    pass


def leaked_none_refs(calls: int = PROBE_CALLS) -> int:
    """How many references to ``None`` vanished over ``calls`` void Qt calls."""
    from PySide6.QtCore import QObject

    if sys.version_info >= (3, 12):
        return 0  # None is immortal from 3.12 on: nothing to lose
    obj = QObject()
    before = sys.getrefcount(None)
    for i in range(calls):
        obj.setObjectName("probe" if i % 2 else "guard")
    after = sys.getrefcount(None)
    return max(0, before - after)


def check_qt_runtime() -> None:
    import PySide6

    leaked = leaked_none_refs()
    if leaked > PROBE_CALLS // 2:
        raise QtFaultError(
            f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses a "
            f"reference to None on every Qt call ({leaked} in {PROBE_CALLS} calls) and would "
            "crash. Install PySide6 6.11 (pip install 'PySide6-Essentials<6.12' "
            "'PySide6-Addons<6.12') or use Python 3.12 or newer."
        )
