"""Benchmark: a simple contact typed into the entry form with the keyboard only.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_form [N]

It fills the same simple contact N times (default 20) the way a contact officer does:
answer "immediate danger" No, Tab to the source and pick it, Tab to the first child's name
and date of birth, Tab to the concern, Tab to consent, then Ctrl+Enter. It prints the Tab
presses and keystrokes that takes (fixed for a given form) and the wall time per contact.

The script imports only ``dutydesk`` and Qt, so it can time an older form too: check out an
older commit (``git worktree add /tmp/old COMMIT``) and run this file against it with
``PYTHONPATH=/tmp/old QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_form.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

import dutydesk
from dutydesk.services.drafts import DraftStore
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.contact_form import ContactForm

# (objectName to Tab to, text to type there); the form's first field has the focus.
STEPS: tuple[tuple[str, str], ...] = (
    ("sourceCode", "2A"),
    ("child0Given", "Sam"),
    ("child0Dob", "01/02/2017"),
    ("concern", "Often hungry at school; says there is no food at home."),
    ("consent", "n"),
)
DANGER_NO = "n"
TAB_LIMIT = 80


def _focused(form: QWidget) -> QWidget:
    found = form.focusWidget()
    if found is None:
        raise SystemExit("nothing has the keyboard focus")
    return found


def fill(form: Any) -> tuple[int, int]:
    """Type the simple contact; (Tab presses, keystrokes including Tabs and Ctrl+Enter)."""
    form.danger.setFocus()
    QApplication.processEvents()
    QTest.keyClicks(_focused(form), DANGER_NO)
    tabs, keys = 0, len(DANGER_NO)
    for name, text in STEPS:
        for _ in range(TAB_LIMIT):
            if _focused(form).objectName() == name:
                break
            QTest.keyClick(_focused(form), Qt.Key.Key_Tab)
            tabs += 1
        else:
            raise SystemExit(f"Tab never reached {name}")
        QTest.keyClicks(_focused(form), text)
        keys += len(text)
    QTest.keyClick(_focused(form), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return tabs, keys + tabs + 1


def main(argv: list[str]) -> None:
    runs = int(argv[0]) if argv else 20
    app = QApplication.instance() or QApplication([])
    times: list[float] = []
    counts: set[tuple[int, int]] = set()
    sent = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore.open(Path(tmp) / "drafts.sqlite3")
        try:
            drafts = DraftStore(store, "co.officer")
        except TypeError:  # before drafts moved into the store they were files in a folder
            drafts = DraftStore(Path(tmp))  # type: ignore[call-arg]
        for _ in range(runs):
            form = ContactForm(drafts)
            got: list[dict[str, Any]] = []
            form.submitted.connect(got.append)
            form.show()
            form.activateWindow()
            app.processEvents()
            start = time.perf_counter()
            counts.add(fill(form))
            app.processEvents()
            times.append(time.perf_counter() - start)
            sent += bool(got)
            form.close()
            form.deleteLater()
            app.processEvents()
        store.close()
    print(f"dutydesk at {Path(dutydesk.__file__).parent}")
    for tabs, keys in sorted(counts):
        print(f"Tab presses {tabs}, keystrokes {keys} (typing included)")
    print(f"submitted {sent} of {runs}")
    print(
        f"per contact: median {statistics.median(times) * 1000:.0f} ms, "
        f"best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
