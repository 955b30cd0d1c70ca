"""PEP 517 build backend for DutyDesk: setuptools, plus the data the program reads.

``resources/`` (policy, letters, fonts) and ``db/`` (local Alembic migrations, server SQL)
stay at the top of the repository, and the wheel carries them inside the package as
``dutydesk/resources`` and ``dutydesk/db``, where ``dutydesk/paths.py`` finds them with
``importlib.resources``. pyproject.toml cannot add packages from other folders to a
``find`` list, so this backend does it, by folder mapping:

- packages: every ``dutydesk`` package found in the tree, plus ``dutydesk.resources`` and
  ``dutydesk.db`` mapped to ``resources/`` and ``db/``;
- files: whatever ``[tool.setuptools.package-data]`` globs in pyproject.toml select
  (``**/*``), so new policies, letters and migrations are picked up with no change here.

Editable installs (``pip install -e .``, used by tests/setup.sh) are left exactly as plain
setuptools makes them: the checkout's own ``resources/`` and ``db/`` are read in place.
Build scripts in ``resources/packaging`` go into the sdist (this file is needed to build
from it) but not into the wheel.
"""

from __future__ import annotations

import sys
import warnings

from setuptools import build_meta as _setuptools
from setuptools import find_namespace_packages, setup
from setuptools.build_meta import *  # noqa: F403 - the PEP 517 hooks not overridden here

DATA_PACKAGES = {"dutydesk.resources": "resources", "dutydesk.db": "db"}
NEVER_SHIPPED = ["*.pyc", "*/__pycache__/*", "*~", "*.orig", "*.rej"]

# setuptools warns that the data folders (resources/policy, db/local/versions...) look like
# packages missing from the list; they are data, shipped by the globs on purpose.
warnings.filterwarnings("ignore", message=r"Package 'dutydesk\.(resources|db)\.")


class _DutyDeskBackend(_setuptools._BuildMetaBackend):
    def run_setup(self, setup_script: str = "setup.py") -> None:
        commands = set(sys.argv[1:])
        packages = find_namespace_packages(
            include=["dutydesk", "dutydesk.*"], exclude=["*.__pycache__", "*.__pycache__.*"]
        )
        if "editable_wheel" in commands:
            setup(packages=packages)
            return
        exclude = {name: list(NEVER_SHIPPED) for name in DATA_PACKAGES}
        if "bdist_wheel" in commands:
            exclude["dutydesk.resources"].append("packaging/*")
        setup(
            packages=[*packages, *DATA_PACKAGES],
            package_dir=dict(DATA_PACKAGES),
            exclude_package_data=exclude,
        )


_BACKEND = _DutyDeskBackend()
get_requires_for_build_wheel = _BACKEND.get_requires_for_build_wheel
get_requires_for_build_sdist = _BACKEND.get_requires_for_build_sdist
prepare_metadata_for_build_wheel = _BACKEND.prepare_metadata_for_build_wheel
build_wheel = _BACKEND.build_wheel
build_sdist = _BACKEND.build_sdist
get_requires_for_build_editable = _BACKEND.get_requires_for_build_editable
prepare_metadata_for_build_editable = _BACKEND.prepare_metadata_for_build_editable
build_editable = _BACKEND.build_editable
