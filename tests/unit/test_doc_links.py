"""The README and docs/ describe the project from a clone: every relative link resolves
to a file inside the repository, and no "../" path in the text leaves it (issue 18: the
README once linked to a design note a clone does not have)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
OUTSIDE = re.compile(r"(?<![\w./])\.\./[\w./-]+")  # "../x" in the text (not "a/../x")


def problems(doc: Path, root: Path) -> list[str]:
    """Links of ``doc`` that leave ``root`` or name nothing, and "../" paths that leave it."""
    text = doc.read_text(encoding="utf-8")
    found = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # web addresses, mail, anchors in the same page
        path = (doc.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(root) or not path.exists():
            found.append(target)
    # Paths in the text are written from the top of the repository (`resources/...`), so
    # any "../" there leaves it.
    found += [m for m in OUTSIDE.findall(text) if not (root / m).resolve().is_relative_to(root)]
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve_inside_the_repository(doc: Path) -> None:
    assert not problems(doc, ROOT.resolve())


def test_the_check_finds_links_outside_and_missing_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "here.md").write_text("x", encoding="utf-8")
    doc = repo / "README.md"
    doc.write_text(
        "[a](docs/here.md) [b](https://example.org) [c](#top) "
        "[d](../shared/DESIGN.md) [e](docs/gone.md) ![f](docs/here.md#x)\n"
        "as `../shared/domain.md` says; docs/../docs/here.md stays inside",
        encoding="utf-8",
    )
    assert problems(doc, repo.resolve()) == [
        "../shared/DESIGN.md",
        "docs/gone.md",
        "../shared/DESIGN.md",
        "../shared/domain.md",
    ]
