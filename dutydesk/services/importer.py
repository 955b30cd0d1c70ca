"""Importing a partner's or a migration file into the event log.

Order of work for each batch of rows: build and validate the row's events; drop person
records already imported; match children against known people (an exact NHS number links
with a ``person.linked`` event carrying the evidence, a likely match is queued for a person
to confirm, nothing merges silently); then write.

Modes: *batch* writes one transaction per batch (valid rows land, invalid rows go to the
rejected-rows file); *all-or-nothing* validates every row first and writes the whole file
in one transaction only if no row is bad. A dry run writes nothing and reports what would
be written. Every id is derived from the file's content, so importing twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.cells import SafeDictWriter
from ..domain.clock import Clock
from ..domain.errors import PermissionDenied, ValidationError
from ..domain.events import Actor, Event, recorded_by
from ..domain.matching import LIKELY, BlockingIndex, Subject
from ..domain.projection import PersonRow
from ..domain.triage.policy import Policy
from ..domain.wording import plural
from ..intake.build import build_events
from ..intake.formats import open_file
from ..intake.ids import link_event_id
from ..intake.model import (
    LIMITS,
    FileRefused,
    Limits,
    ParsedRow,
    RowError,
)
from ..store import pending_links, rowread
from ..store.eventstore import EventStore
from ..store.gcpause import collector_paused
from ..store.people_index import load_index
from ..store.rating_queries import newest_seq
from .guard import GuardedStore
from .rating_upkeep import RatingUpkeep
from .triage import TriageService

Progress = Callable[[int], None]
Cancelled = Callable[[], bool]
MAX_KEPT_ERRORS = 5000


@dataclass(frozen=True)
class ImportOptions:
    format: str = "auto"
    dry_run: bool = False
    all_or_nothing: bool = False
    batch_size: int = 500
    rejects: Path | None = None
    preview_limit: int = 1000
    limits: Limits = LIMITS


@dataclass(frozen=True, slots=True)
class PreviewRow:
    number: int
    ref: str
    summary: str
    ok: bool
    events: int
    problems: str = ""


@dataclass
class ImportReport:
    file: str
    format: str = ""
    encoding: str = ""
    dry_run: bool = False
    all_or_nothing: bool = False
    rows: int = 0
    rows_ok: int = 0
    rows_rejected: int = 0
    events_added: int = 0
    events_present: int = 0
    links_made: int = 0
    links_queued: int = 0
    contacts_rated: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[PreviewRow] = field(default_factory=list)
    refused: str | None = None  # nothing was written
    stopped: str | None = None  # the file broke off after some rows were written
    cancelled: bool = False
    rejects_file: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.refused is None
            and self.stopped is None
            and not self.cancelled
            and self.rows_rejected == 0
        )

    def lines(self) -> list[str]:
        verb = "to add (dry run)" if self.dry_run else "added"
        out = [f"{self.file}: format {self.format or '?'}, encoding {self.encoding or '?'}"]
        if self.refused:
            out.append(f"REFUSED: {self.refused} (nothing was written)")
        if self.stopped:
            out.append(
                f"STOPPED: {self.stopped}. The {plural(self.rows_ok, 'valid row')} "
                f"read before it were imported ({plural(self.events_added, 'event')} "
                "written and kept); "
                "nothing after it was read"
            )
        out.append(f"rows read {self.rows}, valid {self.rows_ok}, rejected {self.rows_rejected}")
        out.append(
            f"events {verb} {self.events_added}, already present "
            f"{self.events_present}; children linked by NHS number or LA child id "
            f"{self.links_made}, "
            f"likely matches queued for confirmation {self.links_queued}"
        )
        if self.cancelled:
            out.append("CANCELLED: rows after the last written batch were not imported")
        if self.rejects_file:
            out.append(f"rejected rows written to {self.rejects_file}")
        return out


class Importer:
    """Imports in the name of the person signed in: the guarded store carries them, checks
    every event against their role, and the events (and the ratings derived from them)
    are theirs, so the shared server accepts them as it would anything they typed."""

    def __init__(self, store: GuardedStore, clock: Clock, policy: Policy | None = None) -> None:
        self.store = store
        self.actor: Actor = store.actor
        self.clock = clock
        # The desk's triage policy (None: the default): imported contacts are rated on
        # arrival with the queue's own rules and office calendar.
        self.policy = policy

    def run(
        self,
        path: Path,
        options: ImportOptions = ImportOptions(),
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> ImportReport:
        # Building, storing and rating every row makes objects by the million and no
        # cycles: the cyclic collector waits until the import is done (``gcpause``).
        with collector_paused():
            return self._run(path, options, progress, cancelled)

    def _run(
        self,
        path: Path,
        options: ImportOptions,
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> ImportReport:
        report = ImportReport(
            file=path.name, dry_run=options.dry_run, all_or_nothing=options.all_or_nothing
        )
        now = self.clock.now()
        before = newest_seq(self.store.engine)
        run: _Run | None = None
        batch: list[ParsedRow] = []
        try:
            opened = open_file(path, options.format, now, options.limits)
            report.format, report.encoding = opened.format, opened.encoding
            run = _Run(self.store, self.actor, now, report, options, path.name)
            for row in opened.rows:
                batch.append(row)
                if len(batch) >= options.batch_size:
                    run.batch(batch)
                    batch = []
                    if progress:
                        progress(report.rows)
                    if cancelled and cancelled():
                        report.cancelled = True
                        break
            if batch and not report.cancelled:
                run.batch(batch)
            run.finish()
            if progress:
                progress(report.rows)
        except FileRefused as err:
            self._broke_off(run, batch, report, options, str(err))
        except PermissionDenied as err:
            # The signed-in person's role may not record what the file holds (a contact
            # officer importing decisions from a migration file): batches already written
            # stay; the report says why the rest were not.
            report.refused = f"{path.name}: {err}"
        if not options.dry_run:
            # Rated on arrival: every open contact the file added or gave new history to.
            triage = TriageService(self.store, self.actor, self.clock, policy=self.policy)
            report.contacts_rated = RatingUpkeep(triage, seen_seq=before).catch_up()
        if options.rejects and report.error_count:
            report.rejects_file = str(options.rejects)
        return report

    @staticmethod
    def _broke_off(
        run: _Run | None,
        batch: list[ParsedRow],
        report: ImportReport,
        options: ImportOptions,
        reason: str,
    ) -> None:
        """The file could not be read (further). In batch mode the complete rows read
        before the break are written like any batch and the report says *stopped*;
        "refused" is said only when nothing at all was written."""
        writes = run is not None and not options.dry_run and not options.all_or_nothing
        if writes and run is not None:
            if batch:
                run.batch(batch)
            run.finish()
        elif run is not None:
            run.held.clear()
            run.rejects.close()
        if writes and report.events_added:
            report.stopped = reason
        else:
            report.refused = reason
            if not writes:
                report.rows_ok = 0
                report.events_added = 0


class _Run:
    """State for one import: the people index, what has been seen, what is pending."""

    def __init__(
        self,
        store: EventStore,
        actor: Actor,
        now: datetime,
        report: ImportReport,
        options: ImportOptions,
        file: str,
    ) -> None:
        self.store, self.actor, self.now, self.report, self.options, self.file = (
            store,
            actor,
            now,
            report,
            options,
            file,
        )
        self.index: BlockingIndex = load_index(store.engine)
        self.seen: set[str] = set()
        self.held: list[tuple[ParsedRow, list[Event]]] = []  # all-or-nothing
        self.suggestions: list[pending_links.PendingLinkRow] = []
        self.rejects = _Rejects(options.rejects)

    # ---- per batch ------------------------------------------------------------------

    def batch(self, rows: list[ParsedRow]) -> None:
        start = len(self.report.preview)
        self._batch(rows)
        # Rejected rows are noted before the batch is written: show them in file order.
        self.report.preview[start:] = sorted(self.report.preview[start:], key=lambda p: p.number)

    def _batch(self, rows: list[ParsedRow]) -> None:
        built = [(row, build_events(row, self.file, self.actor)) for row in rows]
        known = _known_ids(self.store, [e.id for _, evs in built for e in evs])
        ready: list[tuple[ParsedRow, list[Event]]] = []
        for row, events in built:
            self.report.rows += 1
            if not row.ok:
                self._reject(row)
                continue
            events = self._finalise(row, events, known)
            ready.append((row, events))
            self.report.warnings.extend(row.warnings[:MAX_KEPT_ERRORS])
        if self.options.all_or_nothing:
            self.held.extend(ready)
            for row, events in ready:
                self._preview(row, len(events))
            return
        self._write(ready, known)

    def _finalise(self, row: ParsedRow, events: list[Event], known: set[str]) -> list[Event]:
        out: list[Event] = []
        for event in events:
            if event.id in self.seen:
                continue
            self.seen.add(event.id)
            if event.type == "person.registered":
                event = self._person(event, known)
            out.append(event)
            if event.type == "contact.received":
                out.extend(self._match(event))
        return out

    def _person(self, event: Event, known: set[str]) -> Event:
        """Registered once; later imports of changed data become ``person.updated``."""
        pid = event.payload["person_id"]
        existing = self.index.people.get(pid)
        if existing is None or event.id in known:
            self.index.add(_person_row(event.payload))
            return event
        payload = {**event.payload, "reason": f"imported from {self.file}"[:200]}
        self.index.add(replace(_person_row(event.payload), other_names=existing.other_names))
        return recorded_by(
            "person.updated",
            payload,
            by=self.actor,
            at=self.now,
            event_id=event.id,
        )

    def _match(self, contact: Event) -> list[Event]:
        links: list[Event] = []
        cid = contact.payload["contact_id"]
        for child in contact.payload["children"]:
            if child.get("person_id"):
                continue
            candidates = self.index.search(Subject.from_mapping(child))
            certain = [c for c in candidates if c.level == "certain"]
            slot = int(child["slot"])
            if len(certain) == 1:
                pid = certain[0].person_id
                links.append(
                    recorded_by(
                        "person.linked",
                        {
                            "contact_id": cid,
                            "slot": slot,
                            "person_id": pid,
                            "evidence": list(certain[0].matched),
                            "confidence": 100,
                            "reason": _LINK_REASON[certain[0].matched[0]],
                        },
                        by=self.actor,
                        at=self.now,
                        event_id=link_event_id(cid, slot, pid),
                    )
                )
                self.report.links_made += 1
                continue
            for c in candidates[:5]:
                if c.confidence >= LIKELY:
                    self.suggestions.append(
                        pending_links.PendingLinkRow(
                            cid,
                            slot,
                            c.person_id,
                            c.confidence,
                            c.matched,
                            self.file[:200],
                            self.now.isoformat(),
                        )
                    )
        return links

    def _write(self, ready: list[tuple[ParsedRow, list[Event]]], known: set[str]) -> None:
        events = [e for _, evs in ready for e in evs]
        if self.options.dry_run:
            present = sum(1 for e in events if e.id in known)
            self.report.events_present += present
            self.report.events_added += len(events) - present
            for row, evs in ready:
                self.report.rows_ok += 1
                self._preview(row, len(evs))
            return
        try:
            self._append(events)
            for row, evs in ready:
                self.report.rows_ok += 1
                self._preview(row, len(evs))
        except ValidationError:
            # One row clashes with what is stored: write the others one row at a time.
            for row, evs in ready:
                try:
                    self._append(evs)
                    self.report.rows_ok += 1
                    self._preview(row, len(evs))
                except ValidationError as err:
                    row.errors.append(RowError(self.file, row.number, "", row.ref, _clash(err)))
                    self._reject(row)

    def _append(self, events: list[Event]) -> None:
        result = self.store.append(events, outbox=True, validate=False)
        self.report.events_added += len(result.added)
        self.report.events_present += len(result.already_present)

    # ---- end of file ----------------------------------------------------------------

    def finish(self) -> None:
        if self.options.all_or_nothing:
            self._finish_all_or_nothing()
        if not self.options.dry_run and not self.report.refused and self.suggestions:
            self.report.links_queued = pending_links.add(self.store.engine, self.suggestions)
        elif self.options.dry_run:
            self.report.links_queued = len(
                {(s.contact_id, s.slot, s.person_id) for s in self.suggestions}
            )
        self.rejects.close()

    def _finish_all_or_nothing(self) -> None:
        if self.report.error_count:
            self.report.refused = (
                f"{plural(self.report.error_count, 'row')} "
                f"{'has' if self.report.error_count == 1 else 'have'} "
                "errors; in "
                "all-or-nothing mode nothing was imported"
            )
            self.report.links_made = 0
            self.suggestions.clear()
            return
        if self.report.cancelled:
            return
        events = [e for _, evs in self.held for e in evs]
        known = _known_ids(self.store, [e.id for e in events])
        self.report.rows_ok = len(self.held)
        if self.options.dry_run:
            self.report.events_present = sum(1 for e in events if e.id in known)
            self.report.events_added = len(events) - self.report.events_present
            return
        try:
            self._append(events)
        except ValidationError as err:
            self.report.refused = f"{self.file}: " + _clash(err) + "; nothing was imported"
            self.report.rows_ok = 0

    # ---- bookkeeping ----------------------------------------------------------------

    def _reject(self, row: ParsedRow) -> None:
        self.report.rows_rejected += 1
        self.report.error_count += len(row.errors)
        room = MAX_KEPT_ERRORS - len(self.report.errors)
        if room > 0:
            self.report.errors.extend(row.errors[:room])
        self.rejects.write(row)
        self._preview(row, 0)

    def _preview(self, row: ParsedRow, events: int) -> None:
        if len(self.report.preview) < self.options.preview_limit:
            self.report.preview.append(
                PreviewRow(
                    row.number,
                    row.ref,
                    row.summary,
                    row.ok,
                    events,
                    "; ".join(e.rule for e in row.errors + row.warnings),
                )
            )


_LINK_REASON = {
    "nhs_number": "Imported: the NHS number is the same as on the person's record.",
    "la_child_id": "Imported: the authority's child id is the same as on the person's record.",
}


def _clash(err: ValidationError) -> str:
    return (
        "this record was imported before with different content and is not "
        f"overwritten ({err.reason})"
    )


def _person_row(payload: Mapping[str, Any]) -> PersonRow:
    fields = {
        k: payload[k]
        for k in (
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "nhs_number",
            "postcode",
            "school",
        )
        if k in payload
    }
    return PersonRow(person_id=payload["person_id"], **fields)


def _known_ids(store: EventStore, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` the log holds: through the driver, 500 ids a statement (as when
    SQLAlchemy compiled each one; 10,000 a statement kept ~5 MB more at the peak of a
    census import, in the driver's cache of prepared statements)."""
    found: set[str] = set()
    with store.engine.connect() as conn:
        for chunk in rowread.chunks(dict.fromkeys(ids), 500):
            found.update(
                row[0]
                for row in rowread.fetch(
                    conn,
                    f"SELECT id FROM events WHERE id IN ({rowread.placeholders(len(chunk))})",
                    chunk,
                )
            )
    return found


class _Rejects:
    """The rejected-rows CSV: the row as the partner sent it, plus the errors."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: list[dict[str, str]] = []

    def write(self, row: ParsedRow) -> None:
        if self.path is not None:
            self.rows.append(
                {
                    "_row": str(row.number),
                    "_errors": "; ".join(str(e) for e in row.errors),
                    **{k: str(v) for k, v in row.raw.items()},
                }
            )

    def close(self) -> None:
        if self.path is None or not self.rows:
            return
        columns = list(dict.fromkeys(k for r in self.rows for k in r))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = SafeDictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(self.rows)
