"""Issue 13, item 3: drafts live encrypted in the store, never as plain JSON beside it.

Before, every keystroke of a new contact was written to ``<data dir>/drafts/<id>.json`` in
plain text beside the encrypted store (a child's name, date of birth and the concern), and
any person signing in on the desk was offered the last person's draft. Now drafts are rows
of the store (encrypted with it), each read back only for the person who typed it, and the
files an earlier version left are moved in and removed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dutydesk.services.drafts import Draft, DraftError, DraftStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore

TYPED = {
    "children": [{"given_name": "Siobhán", "family_name": "O'Brien-Kowalczyk"}],
    "concern": "Bruise to the cheek; she said dad hit her.",
}


def test_save_list_discard_newest_first(store: EventStore) -> None:
    drafts = DraftStore(store, "co.officer")
    drafts.save(Draft("contact-a", "contact", "2026-11-26T09:00:00+00:00", {"concern": "x"}))
    drafts.save(Draft("contact-b", "contact", "2026-11-26T10:00:00+00:00", {"concern": "Zoë"}))
    drafts.save(Draft("note-c", "note", "2026-11-26T11:00:00+00:00", {}))
    assert [d.draft_id for d in drafts.list("contact")] == ["contact-b", "contact-a"]
    assert drafts.load("contact-b").data == {"concern": "Zoë"}  # type: ignore[union-attr]
    drafts.save(Draft("contact-a", "contact", "2026-11-26T12:00:00+00:00", {"concern": "y"}))
    assert [d.draft_id for d in drafts.list("contact")] == ["contact-a", "contact-b"]
    drafts.discard("contact-a")
    assert [d.draft_id for d in drafts.list("contact")] == ["contact-b"]
    assert drafts.load("contact-a") is None


def test_a_draft_is_its_typists_alone(store: EventStore) -> None:
    mine = DraftStore(store, "co.officer")
    mine.save(Draft("contact-a", "contact", "2026-11-26T09:00:00+00:00", TYPED))
    theirs = DraftStore(store, "pr.practitioner")
    assert theirs.list() == [] and theirs.load("contact-a") is None
    with pytest.raises(DraftError, match="someone else"):
        theirs.save(Draft("contact-a", "contact", "2026-11-26T10:00:00+00:00", {}))
    theirs.discard("contact-a")  # removes nothing of another person's
    assert mine.load("contact-a").data == TYPED  # type: ignore[union-attr]


def test_drafts_are_encrypted_inside_the_store_and_no_file_is_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = ChainedEventStore.open(data / "dutydesk.sqlite3", key=bytes(range(32)))
    DraftStore(store, "co.officer").save(
        Draft("contact-a", "contact", "2026-11-26T09:00:00+00:00", TYPED)
    )
    store.close()
    assert [p.name for p in data.iterdir()] == ["dutydesk.sqlite3"]
    raw = (data / "dutydesk.sqlite3").read_bytes()
    assert b"Kowalczyk" not in raw and "Kowalczyk".encode("utf-16-le") not in raw
    again = ChainedEventStore.open(data / "dutydesk.sqlite3", key=bytes(range(32)))
    assert DraftStore(again, "co.officer").load("contact-a").data == TYPED  # type: ignore[union-attr]
    again.close()


def test_plain_draft_files_left_by_an_earlier_version_are_moved_in(
    store: EventStore, tmp_path: Path
) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "contact-old.json").write_text(
        json.dumps(
            {
                "draft_id": "contact-old",
                "kind": "contact",
                "saved_at": "2026-11-25T09:00:00+00:00",
                "data": TYPED,
            }
        ),
        "utf-8",
    )
    (folder / "contact-old.tmp").write_text("{half", "utf-8")
    drafts = DraftStore(store, "co.officer")
    assert drafts.adopt_files(folder) == 1
    assert not folder.exists()
    assert drafts.load("contact-old").data == TYPED  # type: ignore[union-attr]


def test_a_damaged_file_is_left_for_a_person_and_unsafe_ids_refused(
    store: EventStore, tmp_path: Path
) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "broken.json").write_text("{half", encoding="utf-8")
    drafts = DraftStore(store, "co.officer")
    assert drafts.adopt_files(folder) == 0
    assert (folder / "broken.json").exists() and drafts.list() == []
    with pytest.raises(DraftError, match="safe name"):
        drafts.save(Draft("../../etc/x", "contact", "", {}))
