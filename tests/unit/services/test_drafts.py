"""Local drafts: written whole, private to the user, listed newest first, safe names."""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.services.drafts import Draft, DraftError, DraftStore


def test_save_list_discard(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    store.save(Draft("contact-a", "contact", "2026-11-26T09:00:00+00:00", {"concern": "x"}))
    store.save(Draft("contact-b", "contact", "2026-11-26T10:00:00+00:00", {"concern": "Zoë"}))
    store.save(Draft("note-c", "note", "2026-11-26T11:00:00+00:00", {}))
    assert [d.draft_id for d in store.list("contact")] == ["contact-b", "contact-a"]
    assert store.load("contact-b").data == {"concern": "Zoë"}  # type: ignore[union-attr]
    assert (tmp_path / "drafts" / "contact-a.json").stat().st_mode & 0o077 == 0
    assert not list((tmp_path / "drafts").glob("*.tmp"))
    store.discard("contact-a")
    assert [d.draft_id for d in store.list("contact")] == ["contact-b"]


def test_a_damaged_draft_is_skipped_not_deleted(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    (tmp_path / "broken.json").write_text("{half", encoding="utf-8")
    assert store.list() == []
    assert (tmp_path / "broken.json").exists()
    with pytest.raises(DraftError, match="broken.json"):
        store.load("broken")


def test_unsafe_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="safe file name"):
        DraftStore(tmp_path).save(Draft("../../etc/x", "contact", "", {}))
