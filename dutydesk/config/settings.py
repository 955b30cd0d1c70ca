"""Typed settings with ordered migrations, stored as JSON.

Secrets never live here (passwords and keys go to the OS keyring). Each upgrade step
takes the raw dict of one version and returns the next, so old files keep working.

A desk reads two files (``load_desk``): the person's own ``settings.json`` in the user
config folder, and the machine-wide one an administrator may place in the system config
folder (``dutydesk.paths.machine_config_dir``: ``/etc/xdg/dutydesk/settings.json`` on
Linux, ``C:\\ProgramData\\dutydesk\\settings.json`` on Windows). Every setting the machine
file names is fixed: the person's file cannot change it, and the sign-in dialog shows it
read-only (``machine_locked``). On Linux and macOS a machine file that users other than
its owner could change is refused; on Windows the folder's permissions are the
administrator's job (docs/deploy.md).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..filemodes import private_dir, private_file
from ..fileops import replace_file

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
    server_sslmode: str = "require"  # TLS required; verify-full once a CA file is set
    server_sslrootcert: str = ""  # CA file: sslmode require becomes verify-full
    # A streaming read replica of the server (docs/scale.md, "Reads off the primary"):
    # a desk's catch-up pulls read events there, each batch checked against the server's.
    # Same database, login and TLS settings; port 0: server_port. Empty: no replica.
    server_replica_host: str = ""
    server_replica_port: int = 0
    # The administrator's checkpoint-key.pem: the key this desk checks the server's signed
    # checkpoints with. Empty: the server's first key, pinned at first contact.
    server_checkpoint_key: str = ""
    lock_after_minutes: int = 10
    threshold_labels: dict[str, str] = field(default_factory=dict)
    watch_folder: str = ""
    policy_file: str = ""  # a triage policy TOML replacing resources/policy/default.toml
    # An RFC 3161 time-stamping authority (http/https URL): every signature then carries
    # its timestamp (docs/printing.md); empty: the signing time is the desk's own clock.
    tsa_url: str = ""


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


log = logging.getLogger(__name__)
SETTINGS_FILE = "settings.json"


def _read(path: Path) -> dict[str, Any]:
    """The upgraded raw settings of one file ({} when it does not exist), checked."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SettingsError(f"settings file {path} cannot be read: {err}") from err
    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path} does not hold an object")
    raw = _upgrade(raw)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"settings file {path}: unknown setting {unknown[0]!r}")
    return raw


def _build(raw: dict[str, Any], where: str) -> Settings:
    try:
        return Settings(**raw)
    except TypeError as err:
        raise SettingsError(f"settings {where}: {err}") from err


def load(path: Path) -> Settings:
    return _build(_read(path), f"file {path}") if path.exists() else Settings()


def _check_machine_file(path: Path) -> None:
    if os.name != "posix" or not path.exists():
        return
    mode = path.stat().st_mode
    if mode & 0o022:
        raise SettingsError(
            f"machine settings file {path} can be changed by other users (mode "
            f"{mode & 0o777:o}); an administrator must make it writable by its owner only "
            f"(chmod 644)"
        )


def machine_locked(machine_path: Path | None = None) -> frozenset[str]:
    """The settings the administrator fixed for every user of this computer."""
    if machine_path is None:
        from ..paths import machine_config_dir

        machine_path = machine_config_dir() / SETTINGS_FILE
    _check_machine_file(machine_path)
    return frozenset(_read(machine_path)) - {"version"}


def load_desk(user_path: Path | None = None, machine_path: Path | None = None) -> Settings:
    """The person's settings with the machine-wide ones on top (they cannot be changed
    by the person). A machine file that cannot be read stops the desk with its name."""
    from ..paths import default_config_dir, machine_config_dir

    user_path = user_path or default_config_dir() / SETTINGS_FILE
    machine_path = machine_path or machine_config_dir() / SETTINGS_FILE
    _check_machine_file(machine_path)
    user, machine = _read(user_path), _read(machine_path)
    fixed = sorted(k for k in machine if k != "version" and k in user and user[k] != machine[k])
    if fixed:  # names only: values may say where the service is
        log.warning(
            "settings %s are fixed by the administrator in %s; this user's values "
            "in %s are not used",
            ", ".join(fixed),
            machine_path,
            user_path,
        )
    merged = {**user, **{k: v for k, v in machine.items() if k != "version"}}
    return _build(merged, f"files {user_path} and {machine_path}")


def save(path: Path, settings: Settings) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True), encoding="utf-8")
    private_file(tmp)
    replace_file(tmp, path)
