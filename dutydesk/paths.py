"""Where DutyDesk finds its bundled files (migrations, policy, letters, fonts) and keeps
its data. This module is the ONE place that knows where those files are.

In the repository, ``resources/`` and ``db/`` sit at the top of the source tree. An
installed wheel and the frozen desktop bundle carry them inside the package, as
``dutydesk/resources`` and ``dutydesk/db`` (see ``resources/packaging/wheel_backend.py``),
and they are found with :mod:`importlib.resources`. A checkout or an editable install has
no such folders inside the package, so the source tree is used instead. Whole folders are
shipped, so a new policy, letter or migration file needs no change here or in the build.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the source tree (checkout only)
STORE_FILE = "dutydesk.sqlite3"  # the local store's name inside the data folder
APP_NAME = "dutydesk"


class PackageDataError(RuntimeError):
    """The files DutyDesk ships with cannot be found: a broken installation (named)."""


def packaged_folder(name: str, package: str = "dutydesk", source_root: Path = PROJECT_ROOT) -> Path:
    """``resources`` or ``db``: inside the installed package, else beside the source tree.

    The packaged copy must be an ordinary folder on disk (a wheel installed by pip, the
    PyInstaller bundle): Alembic, reportlab and the server migrations read real files.
    """
    packaged = importlib.resources.files(package) / name
    if packaged.is_dir():
        if not isinstance(packaged, Path):
            raise PackageDataError(
                f"DutyDesk's {name} folder is inside an archive ({packaged}); install the "
                f"wheel with pip (unpacked), not as a zip"
            )
        return packaged
    source = source_root / name
    if source.is_dir():
        return source
    raise PackageDataError(
        f"DutyDesk's {name} folder is missing: neither {packaged} (installed package) nor "
        f"{source} (source tree) exists; reinstall DutyDesk"
    )


RESOURCES = packaged_folder("resources")
DEFAULT_POLICY = RESOURCES / "policy" / "default.toml"
FONTS = RESOURCES / "fonts"
LOCAL_MIGRATIONS = packaged_folder("db") / "local"
SERVER_MIGRATIONS = packaged_folder("db") / "server"


def default_data_dir() -> Path:
    """The platform's per-user data folder (``$XDG_DATA_HOME/dutydesk`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_dir() -> Path:
    """The person's own settings (``$XDG_CONFIG_HOME/dutydesk`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def machine_config_dir() -> Path:
    """Settings an administrator fixes for every user of the computer: the first of
    ``$XDG_CONFIG_DIRS`` (``/etc/xdg/dutydesk``) on Linux, ``C:\\ProgramData\\dutydesk`` on
    Windows, ``/Library/Application Support/dutydesk`` on macOS."""
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False))
