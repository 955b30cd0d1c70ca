"""Where DutyDesk finds its bundled files (migrations, policy, fonts) and keeps its data."""

from __future__ import annotations

from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = PROJECT_ROOT / "resources"
DEFAULT_POLICY = RESOURCES / "policy" / "default.toml"
LOCAL_MIGRATIONS = PROJECT_ROOT / "db" / "local"
SERVER_MIGRATIONS = PROJECT_ROOT / "db" / "server"
STORE_FILE = "dutydesk.sqlite3"  # the local store's name inside the data folder


def default_data_dir() -> Path:
    """The platform's per-user data folder (``$XDG_DATA_HOME/dutydesk`` on Linux)."""
    return Path(platformdirs.user_data_dir("dutydesk", appauthor=False))


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("dutydesk", appauthor=False))
