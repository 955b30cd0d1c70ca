"""File and folder modes for everything DutyDesk writes: private to the user, whatever the
umask says.

``Path.mkdir(mode=...)`` and ``open`` are filtered by the process umask, so a machine with
a permissive umask (0o002, 0o000) would leave a store folder, a log or a printed case log
readable by other accounts. These helpers set the mode explicitly after creating.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it ``rwx------``. Parents that
    already existed keep their modes (they may be shared folders the user chose)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for p in missing:
        os.chmod(p, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make an existing file ``rw-------``."""
    os.chmod(path, PRIVATE_FILE)
    return path
