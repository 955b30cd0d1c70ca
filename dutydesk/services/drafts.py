"""Drafts of forms, saved as the person types so that a crash or a closed window loses
nothing.

Drafts hold children's personal data, so they live inside the store (the ``drafts``
table), encrypted with it, never as files beside it; each draft is written in one
transaction (a crash leaves the old draft or the new one, never half) and is read back only
for the person who typed it. Drafts are not events: they are not synced, not chained and
gone once the form is saved or discarded. Their content is never logged.

Earlier versions kept drafts as plain JSON files in ``<data dir>/drafts``;
``DraftStore.adopt_files`` moves any such file into the store and removes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.drafts import DraftRow, DraftTable
from ..store.eventstore import EventStore

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
log = logging.getLogger(__name__)


class DraftError(Exception):
    """A draft could not be read or written; the message names the draft."""


@dataclass(frozen=True, slots=True)
class Draft:
    draft_id: str
    kind: str
    saved_at: str
    data: Mapping[str, Any]


class DraftStore:
    """One person's drafts in ``store``."""

    def __init__(self, store: EventStore, owner: str) -> None:
        if not owner:
            raise ValueError("drafts belong to a signed-in person")
        self.table = DraftTable(store.engine)
        self.owner = owner

    @staticmethod
    def _check(draft_id: str) -> str:
        if not _SAFE.match(draft_id):
            raise DraftError(f"draft id {draft_id!r} is not a safe name")
        return draft_id

    def save(self, draft: Draft) -> None:
        self._check(draft.draft_id)
        try:
            body = json.dumps(dict(draft.data), ensure_ascii=False)
        except (TypeError, ValueError) as err:
            raise DraftError(f"draft {draft.draft_id} could not be saved: {err}") from err
        try:
            self.table.put(
                DraftRow(draft.draft_id, self.owner, draft.kind[:40], draft.saved_at[:40], body)
            )
        except PermissionError as err:
            raise DraftError(f"draft {draft.draft_id} could not be saved: {err}") from err

    def load(self, draft_id: str) -> Draft | None:
        row = self.table.get(self.owner, self._check(draft_id))
        return None if row is None else _draft(row)

    def list(self, kind: str | None = None) -> list[Draft]:
        """This person's readable drafts, newest first (a damaged one is skipped)."""
        found = []
        for row in self.table.of(self.owner, kind):
            try:
                found.append(_draft(row))
            except DraftError:
                continue
        return found

    def discard(self, draft_id: str) -> None:
        self.table.remove(self.owner, self._check(draft_id))

    def adopt_files(self, folder: Path) -> int:
        """Move drafts an earlier version left as plain JSON files in ``folder`` into the
        store, removing each file once it is stored (and the folder once empty). A file
        that is not a readable draft is left where it is. Returns how many moved."""
        if not folder.is_dir():
            return 0
        moved = 0
        for path in sorted(folder.glob("*.json")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (
                not isinstance(raw, dict)
                or not isinstance(raw.get("data"), dict)
                or not _SAFE.match(str(raw.get("draft_id", path.stem)))
            ):
                continue
            self.save(
                Draft(
                    str(raw.get("draft_id", path.stem)),
                    str(raw.get("kind", "")),
                    str(raw.get("saved_at", "")),
                    raw["data"],
                )
            )
            path.unlink()
            moved += 1
        for left in folder.glob("*.tmp"):
            left.unlink(missing_ok=True)  # half-written copies of drafts now stored
        with contextlib.suppress(OSError):  # something unreadable is left for a person
            folder.rmdir()
        if moved:
            log.info("moved %d draft file(s) into the store", moved)
        return moved


def _draft(row: DraftRow) -> Draft:
    try:
        data = json.loads(row.body)
    except ValueError as err:
        raise DraftError(f"draft {row.draft_id} cannot be read") from err
    if not isinstance(data, dict):
        raise DraftError(f"draft {row.draft_id} is not a draft")
    return Draft(row.draft_id, row.kind, row.saved_at, data)
