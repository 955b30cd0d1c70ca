"""The files DutyDesk ships with (policy, letters, fonts, local and server migrations):
found through ``dutydesk.paths`` in a checkout, and carried inside the wheel as
``dutydesk/resources`` and ``dutydesk/db`` so that a normal (non-editable) install works."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dutydesk import paths
from dutydesk.reports import fonts

ROOT = paths.PROJECT_ROOT
SHIPPED = ("resources", "db")


def _shipped_files() -> set[str]:
    """Every file under resources/ and db/ that the wheel must carry (build scripts and
    bytecode excepted), as its path inside the wheel."""
    found = set()
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            if (
                not path.is_file()
                or "__pycache__" in rel.parts
                or path.suffix == ".pyc"
                or rel.parts[:2] == ("resources", "packaging")
            ):
                continue
            found.add(f"dutydesk/{rel.as_posix()}")
    return found


def test_the_paths_name_the_files_the_program_reads() -> None:
    assert paths.DEFAULT_POLICY.is_file()
    assert (paths.LOCAL_MIGRATIONS / "env.py").is_file()
    assert sorted(paths.SERVER_MIGRATIONS.glob("0001_*.sql"))
    assert (paths.FONTS / "DejaVuSans.ttf").is_file()
    assert (paths.RESOURCES / "letters" / "family.toml").is_file()


def test_an_installed_copy_wins_and_a_checkout_falls_back_to_the_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, source = tmp_path / "site", tmp_path / "checkout"
    package = site / "dutydesk_install_probe"
    (package / "resources").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (source / "resources").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "dutydesk_install_probe", raising=False)

    def folder() -> Path:
        return paths.packaged_folder(
            "resources", package="dutydesk_install_probe", source_root=source
        )

    assert folder() == package / "resources"  # installed wheel or bundle
    (package / "resources").rmdir()
    assert folder() == source / "resources"  # checkout, editable install
    (source / "resources").rmdir()
    with pytest.raises(paths.PackageDataError) as err:
        folder()
    assert "resources folder is missing" in str(err.value)
    assert str(package / "resources") in str(err.value) and str(source) in str(err.value)


def test_fonts_come_only_from_the_shipped_folder_never_the_system(tmp_path: Path) -> None:
    assert fonts.SEARCH_PATH == (paths.FONTS,)
    assert fonts.find_font("DejaVuSans.ttf") == paths.FONTS / "DejaVuSans.ttf"
    with pytest.raises(fonts.FontMissingError) as err:
        fonts.find_font("DejaVuSans.ttf", search=(tmp_path,))
    assert "DejaVuSans.ttf" in str(err.value) and "reinstall" in str(err.value)


@pytest.mark.slow
def test_the_wheel_carries_every_shipped_file_and_reads_them_from_inside(tmp_path: Path) -> None:
    """Build the wheel from a copy of the tree (as `pip install .` does), check it holds
    every file of resources/ and db/, then import the unpacked wheel from a folder where
    the checkout is not importable and open the migrations, policy and fonts from it."""
    src = tmp_path / "src"
    for name in ("dutydesk", *SHIPPED):
        shutil.copytree(
            ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "out"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    (wheel,) = (tmp_path / "out").glob("dutydesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    missing = _shipped_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "dutydesk/paths.py" in names and "dutydesk/py.typed" in names
    assert not [n for n in names if n.endswith(".pyc") or "/packaging/" in n]

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import dutydesk.paths as p\n"
        "from dutydesk.reports.fonts import register_fonts\n"
        "from dutydesk.store.database import head_revision\n"
        "from dutydesk.sync.pg.admin import migrations\n"
        "from dutydesk.domain.triage.policy import load_policy\n"
        "load_policy(p.DEFAULT_POLICY); register_fonts()\n"
        "print(p.RESOURCES); print(p.LOCAL_MIGRATIONS); print(head_revision())\n"
        "print(len(migrations()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    resources, migrations, head, n_server = done.stdout.split("\n")[:4]
    assert Path(resources) == site / "dutydesk" / "resources"
    assert Path(migrations) == site / "dutydesk" / "db" / "local"
    assert head and head != "None"
    assert int(n_server) == len(list((ROOT / "db" / "server").glob("*.sql")))
