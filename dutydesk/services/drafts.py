"""Drafts of forms, saved as the person types so that a crash or a closed window loses
nothing.

One JSON file per draft in ``<data dir>/drafts``, written to a temporary file and renamed
(a crash leaves the old draft or the new one, never half), readable only by the user.
Drafts hold children's personal data like the store beside them; their content is never
logged.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..filemodes import private_dir
from ..fileops import replace_file

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class DraftError(Exception):
    """A draft could not be read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class Draft:
    draft_id: str
    kind: str
    saved_at: str
    data: Mapping[str, Any]


class DraftStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, draft_id: str) -> Path:
        if not _SAFE.match(draft_id):
            raise DraftError(f"draft id {draft_id!r} is not a safe file name")
        return self.folder / f"{draft_id}.json"

    def save(self, draft: Draft) -> None:
        private_dir(self.folder)
        path = self._path(draft.draft_id)
        tmp = path.with_suffix(".tmp")
        body = {"draft_id": draft.draft_id, "kind": draft.kind, "saved_at": draft.saved_at,
                "data": draft.data}
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            replace_file(tmp, path)
        except OSError as err:
            raise DraftError(f"draft {path.name} could not be saved: {err.strerror}") from err

    def load(self, draft_id: str) -> Draft | None:
        path = self._path(draft_id)
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise DraftError(f"draft {path.name} cannot be read: {err}") from err
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            raise DraftError(f"draft {path.name} is not a draft")
        return Draft(str(raw.get("draft_id", draft_id)), str(raw.get("kind", "")),
                     str(raw.get("saved_at", "")), raw["data"])

    def list(self, kind: str | None = None) -> list[Draft]:
        """Every readable draft, newest first. Unreadable files are skipped, not deleted."""
        if not self.folder.exists():
            return []
        found = []
        for path in self.folder.glob("*.json"):
            try:
                draft = self.load(path.stem)
            except DraftError:
                continue
            if draft is not None and (kind is None or draft.kind == kind):
                found.append(draft)
        return sorted(found, key=lambda d: d.saved_at, reverse=True)

    def discard(self, draft_id: str) -> None:
        self._path(draft_id).unlink(missing_ok=True)
