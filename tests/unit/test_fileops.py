"""Replacing files: on Windows another program's brief lock is waited out and a lasting
one is named; elsewhere a PermissionError is a real one and is raised at once."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from dutydesk import fileops


def test_a_file_is_replaced_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "new").write_text("new", encoding="utf-8")
    (tmp_path / "old").write_text("old", encoding="utf-8")
    fileops.replace_file(tmp_path / "new", tmp_path / "old")
    assert (tmp_path / "old").read_text(encoding="utf-8") == "new"
    assert not (tmp_path / "new").exists()


def locked_for(times: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """os.replace as Windows behaves while a viewer holds the target: sharing violation
    (PermissionError, WinError 32) the first `times` calls."""
    calls: list[int] = []
    real = os.replace

    def replace(src: str, dst: str) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise PermissionError(
                errno.EACCES,
                "The process cannot access the file because it is being used by another process",
                str(dst),
            )
        real(src, dst)

    monkeypatch.setattr(fileops.os, "replace", replace)
    monkeypatch.setattr(fileops, "PAUSE_S", 0.0)
    return calls


def new_and_old_pdf(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "log.pdf.tmp").write_bytes(b"%PDF new")
    (tmp_path / "log.pdf").write_bytes(b"%PDF old")
    return tmp_path / "log.pdf.tmp", tmp_path / "log.pdf"


def test_on_windows_a_brief_lock_is_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileops, "WINDOWS", True)
    calls = locked_for(3, monkeypatch)
    fileops.replace_file(*new_and_old_pdf(tmp_path))
    assert (tmp_path / "log.pdf").read_bytes() == b"%PDF new" and len(calls) == 4


def test_on_windows_a_lasting_lock_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileops, "WINDOWS", True)
    calls = locked_for(10_000, monkeypatch)
    with pytest.raises(fileops.FileInUseError) as err:
        fileops.replace_file(*new_and_old_pdf(tmp_path))
    assert f"{tmp_path / 'log.pdf'} (or log.pdf.tmp) is open in another program" in str(err.value)
    assert isinstance(err.value, PermissionError)  # callers' OSError handling still applies
    assert len(calls) == fileops.ATTEMPTS
    assert (tmp_path / "log.pdf").read_bytes() == b"%PDF old"  # nothing half-written


def test_elsewhere_a_permission_error_is_raised_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileops, "WINDOWS", False)
    calls = locked_for(1, monkeypatch)
    (tmp_path / "a").write_text("a", encoding="utf-8")
    with pytest.raises(PermissionError) as err:
        fileops.replace_file(tmp_path / "a", tmp_path / "b")
    assert not isinstance(err.value, fileops.FileInUseError) and len(calls) == 1
