"""Checking a printed document against the record: one verdict, with the details.

Verdicts, in the order they are tested:
- ALTERED: the file is not what DutyDesk wrote (rendered bytes changed, verification data
  missing, damaged or not belonging to the document).
- MISSING_EVENTS: it shows events this store does not hold (another desk's, not yet
  synced, or removed).
- RECORD_CHANGED: the store holds the events but their content differs from when the
  document was printed (someone edited the store behind the application's back).
- MATCHES: the document is as printed and the record still says what it shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from ..domain.events import Event
from .digest import digest_of, event_hash
from .seal import Manifest, NotSealedError, read_manifest, rendered_digest


class Verdict(Enum):
    MATCHES = ("matches the record", 0)
    ALTERED = ("document altered", 3)
    MISSING_EVENTS = ("refers to events the store does not have", 4)
    RECORD_CHANGED = ("the store's events changed since printing", 5)

    def __init__(self, text: str, exit_code: int) -> None:
        self.text = text
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class Report:
    verdict: Verdict
    detail: str
    manifest: Manifest | None = None
    missing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


EventLookup = Callable[[Iterable[str]], Mapping[str, Event]]


def verify_pdf(pdf: bytes, lookup: EventLookup) -> Report:
    try:
        manifest = read_manifest(pdf)
    except NotSealedError as err:
        return Report(Verdict.ALTERED, f"{err}; it is not a DutyDesk document as printed")
    size = manifest.rendered_length
    if len(pdf) < size or hashlib.sha256(pdf[:size]).hexdigest() != manifest.rendered_sha256:
        return Report(Verdict.ALTERED, "the document's content is not what DutyDesk printed "
                      "(its bytes have changed)", manifest)
    if rendered_digest(pdf, manifest) != manifest.digest or \
            digest_of(manifest.hashes) != manifest.digest:
        return Report(Verdict.ALTERED, "the verification data does not belong to this "
                      "document (event list or digest replaced)", manifest)
    found = lookup(manifest.hashes)
    missing = tuple(sorted(i for i in manifest.hashes if i not in found))
    changed = tuple(sorted(i for i, e in found.items()
                           if i in manifest.hashes and event_hash(e) != manifest.hashes[i]))
    if missing:
        return Report(Verdict.MISSING_EVENTS,
                      f"{len(missing)} of {len(manifest.hashes)} events shown are not in "
                      f"this store", manifest, missing, changed)
    if changed:
        return Report(Verdict.RECORD_CHANGED,
                      f"{len(changed)} of {len(manifest.hashes)} events shown have different "
                      f"content in the store now", manifest, missing, changed)
    return Report(Verdict.MATCHES, f"all {len(manifest.hashes)} events shown are in the store "
                  f"unchanged; code {manifest.code}", manifest)
