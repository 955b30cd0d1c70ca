"""``dutydesk run``: the window's own options reach it untouched (an installed desk has
no main.py, so `dutydesk run --demo --data-dir DIR` is how it opens the window)."""

from __future__ import annotations

import pytest

from dutydesk import app
from dutydesk.cli import main


def test_run_passes_the_window_options_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str] | None] = []

    def fake_main(argv: list[str] | None = None) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr(app, "main", fake_main)
    assert main(["run", "--demo", "--data-dir", "/tmp/x", "--as", "dm.manager"]) == 7
    assert seen == [["--demo", "--data-dir", "/tmp/x", "--as", "dm.manager"]]


def test_other_commands_still_parse_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["info", "--no-such-option"])
    assert "unrecognized arguments" in capsys.readouterr().err
