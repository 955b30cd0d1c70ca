"""Everything the command line writes goes into the local audit chain, as in the window."""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.paths import STORE_FILE
from dutydesk.services.local_store import open_local_store

ROOT = Path(__file__).resolve().parents[2]


def test_demo_and_import_from_the_command_line_keep_the_chain_intact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    assert main(["demo", "--events", "300", "--data-dir", data]) == 0
    assert main(["audit", "verify", "--data-dir", data]) == 0
    assert (
        main(
            [
                "import",
                str(ROOT / "docs/examples/police-notification.json"),
                "--data-dir",
                data,
                "--demo",
                "--as",
                "cc.officer",
            ]
        )
        == 0
    )
    capsys.readouterr()
    # A store written outside the chain would now show the imported event unsealed.
    assert main(["audit", "verify", "--data-dir", data]) == 0
    assert "intact" in capsys.readouterr().out


def test_demo_with_mi_extras_writes_the_dashboard_records_into_the_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    assert main(["demo", "--events", "600", "--mi-extras", "--data-dir", str(data)]) == 0
    assert main(["audit", "verify", "--data-dir", str(data)]) == 0
    assert "intact" in capsys.readouterr().out
    store = open_local_store(data / STORE_FILE, demo=True, allow_plain=True)
    try:
        types = {e.type for e in store.events()}
    finally:
        store.close()
    assert "supervision.recorded" in types  # the plain demo has none
