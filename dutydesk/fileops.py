"""Replacing a file in one step, on Linux, macOS and Windows alike.

``os.replace`` is atomic everywhere, but on Windows it fails while another program holds
the source or the target open without sharing deletion: a PDF open in a viewer, a file
still being copied into a watched folder, an antivirus scanner reading a new file. Such
locks are usually gone within a moment, so ``replace_file`` tries again for a short while
and then says which file is in use. On Linux and macOS an open file never blocks a
replace, and a ``PermissionError`` is a real permission problem: it is raised at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

WINDOWS = os.name == "nt"
ATTEMPTS = 20
PAUSE_S = 0.1  # 20 x 0.1 s: about two seconds in all


class FileInUseError(PermissionError):
    """The file stayed open in another program (Windows); the message names it."""


def replace_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """``os.replace(source, target)``, waiting out another program's brief lock."""
    for attempt in range(ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError as err:
            if not WINDOWS:
                raise
            if attempt == ATTEMPTS - 1:
                raise FileInUseError(
                    err.errno,
                    f"{Path(target)} (or {Path(source).name}) is open in another "
                    f"program; close it and try again",
                ) from err
            time.sleep(PAUSE_S)
