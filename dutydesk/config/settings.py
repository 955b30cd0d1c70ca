"""Typed settings with ordered migrations, stored as JSON beside the data.

Secrets never live here (passwords and keys go to the OS keyring). Each upgrade step
takes the raw dict of one version and returns the next, so old files keep working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..filemodes import private_dir, private_file

SETTINGS_VERSION = 1


@dataclass(frozen=True)
class Settings:
    version: int = SETTINGS_VERSION
    protective_marking: str = "OFFICIAL-SENSITIVE"
    office: str = ""
    team: str = ""
    server_host: str = ""
    server_port: int = 5432
    server_database: str = "dutydesk"
    server_user: str = ""
    server_sslmode: str = "prefer"
    server_sslrootcert: str = ""  # CA file for sslmode verify-ca / verify-full
    lock_after_minutes: int = 10
    threshold_labels: dict[str, str] = field(default_factory=dict)
    watch_folder: str = ""


class SettingsError(Exception):
    pass


Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

# version N -> function that turns a version-N dict into a version-(N+1) dict.
UPGRADES: dict[int, Upgrade] = {}


def _upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    version = int(raw.get("version", 0))
    if version == 0:
        raw = {**raw, "version": 1}
        version = 1
    while version < SETTINGS_VERSION:
        raw = UPGRADES[version](raw)
        version = int(raw["version"])
    return raw


def load(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SettingsError(f"settings file {path} cannot be read: {err}") from err
    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path} does not hold an object")
    raw = _upgrade(raw)
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SettingsError(f"settings file {path}: unknown setting {unknown[0]!r}")
    try:
        return Settings(**raw)
    except TypeError as err:
        raise SettingsError(f"settings file {path}: {err}") from err


def save(path: Path, settings: Settings) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True), encoding="utf-8")
    private_file(tmp)
    os.replace(tmp, path)
