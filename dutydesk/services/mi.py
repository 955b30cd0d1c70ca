"""MI use cases: load once, compute figures for any filter, export Annex A lists.

The dashboard and the ``mi``/``export`` commands call these. ``load`` reads the store
(slow part); ``figures`` only filters and counts the loaded data (fast part), so the
dashboard reloads only when the period leaves what it has loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..domain.clock import LONDON, Clock
from ..domain.codes import OUTCOME_LABELS, SOURCE_SHORT, Outcome
from ..domain.directory import PeopleDirectory
from ..domain.events import Actor, recorded_by
from ..domain.permissions import Action, require
from ..domain.timescales import OfficeHours
from ..domain.wording import human_datetime
from ..mi import annex_a
from ..mi.cin_census import CENSUS_READS, CensusReport, collection_year, write_census
from ..mi.dataset import Dataset, default_period, london, prepare
from ..mi.figures import FIGURE_READS, compute_all
from ..mi.records import OPTIONAL_READS, Figure, Filters, MiInput, Ref, Settings
from ..store.eventstore import EventStore
from ..store.mi_queries import MiQueries
from .directory import local_directory
from .exports import seal_export, staged
from .guard import GuardedStore
from .redaction import RESTRICTED_TEXT
from .signing import DocumentSigner, require_signer
from .triage import default_policy


@dataclass(frozen=True, slots=True)
class Loaded:
    """What one load holds: raw rows, prepared facts, and the period they cover."""

    data: MiInput
    dataset: Dataset
    covers: tuple[Filters, ...]  # empty tuple: the whole store
    reads: frozenset[str] = OPTIONAL_READS  # the optional parts read (the others empty)

    def covers_period(self, filters: Filters) -> bool:
        return not self.covers or any(
            c.date_from <= filters.date_from
            and filters.date_to <= c.date_to
            and c.office in (None, filters.office)
            and c.team in (None, filters.team)
            and c.source in (None, filters.source)
            for c in self.covers
        )


@dataclass(frozen=True, slots=True)
class DrillRow:
    """One line of a drill-down table (a snapshot: safe on the GUI thread)."""

    received: str
    children: str
    child_id: str
    source: str
    office_team: str
    outcome: str
    worker: str
    contact_id: str


DRILL_LIMIT = 2000  # rows fetched for one drill-down; the table says when there are more


class MiService:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        *,
        actor: Actor,
        settings: Settings | None = None,
        office: OfficeHours | None = None,
        people: Callable[[], PeopleDirectory] | None = None,
        signer: DocumentSigner | None = None,
        unsigned_reason: str = "",
    ) -> None:
        # Figures are counts; the drill-down names children, so it reads as ``actor``:
        # restricted children they may not see are shown as restricted.
        self.store = GuardedStore(store, actor, clock)
        self.clock = clock
        self.settings = settings or Settings()
        self.actor = actor
        # Working days are the triage policy's office days (the queue's clock), not a table
        # of MI's own.
        self.office = office if office is not None else default_policy().office
        self.queries = MiQueries(store.engine, self.office)
        # Workers by name (Annex A "Allocated Worker", the drill-down): the local accounts,
        # or the shared server's directory when the caller hands it in.
        self._people = people or (lambda: local_directory(store))
        # Exports are signed with the signed-in person's key (FILE.p7s beside the file);
        # without one they are refused, saying why (``unsigned_reason``).
        self.signer = signer
        self.unsigned_reason = unsigned_reason
        # The prepared dataset of the last export, with the key it was loaded for: the
        # next export of the same store state, filters and actor reuses it (see
        # ``_export_data``). One entry only. Private: only the exports, which check the
        # permission and record themselves, read it.
        self._export_cache: tuple[object, Loaded] | None = None
        self._export_lock = threading.Lock()

    def names(self) -> Mapping[str, str]:
        """login -> display name, from the people directory as it is now."""
        return {e.login: e.display_name for e in self._people().entries}

    def default_filters(self) -> Filters:
        start, end = default_period(self.clock.now().astimezone(LONDON).date())
        return Filters(start, end)

    def load(
        self,
        filters: Filters | None = None,
        *,
        with_people: bool = False,
        reads: frozenset[str] = FIGURE_READS,
    ) -> Loaded:
        """Rows for ``filters`` (pushed down to SQL), or the whole store when None;
        ``reads``: the optional parts to read (by default what the figures read,
        ``figures.FIGURE_READS``; ``Loaded.reads``)."""
        if filters is None:
            data = self.queries.load(with_people=with_people, reads=reads)
        else:
            data = self.queries.load(
                **self._pushed_down(filters), with_people=with_people, reads=reads
            )
        ds = prepare(data, self.office, self.settings.assessment_working_days)
        return Loaded(data, ds, () if filters is None else (filters,), reads)

    def _pushed_down(self, filters: Filters) -> dict[str, Any]:
        """What of ``filters`` the store's MI reads push down to SQL."""
        return {
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "office": filters.office,
            "team": filters.team,
            "source": filters.source,
            "lookback_months": self.settings.rereferral_months,
        }

    def figures(self, loaded: Loaded, filters: Filters) -> tuple[Figure, ...]:
        if not loaded.covers_period(filters):
            raise ValueError("the loaded data does not cover this selection; load it first")
        if not loaded.reads >= FIGURE_READS:
            raise ValueError("the figures read more of MI's data than was loaded; load it")
        figures = compute_all(loaded.dataset, filters, self.clock.now(), self.settings)
        return _workers_named(figures, self.names())

    def drill(self, refs: Sequence[Ref]) -> list[DrillRow]:
        """The children, contacts or workers behind a figure, first ``DRILL_LIMIT`` only."""
        refs = list(refs)[:DRILL_LIMIT]
        info = self.queries.details(r.contact_id for r in refs if r.contact_id)
        hidden = self.store.hidden_people(
            {p for c in info.values() for p, _ in c.get("children", []) if p}
        )
        people = self.names() if refs else {}
        rows = []
        for r in refs:
            c = info.get(r.contact_id or "", {})
            received = str(c.get("received_at") or "")
            outcome = c.get("outcome")
            kids: list[tuple[str | None, str]] = list(c.get("children", []))
            names = [
                RESTRICTED_TEXT if p in hidden else n
                for p, n in kids
                if r.person_id is None or p == r.person_id
            ]
            rows.append(
                DrillRow(
                    received=human_datetime(london(received)) if received else "",
                    children=", ".join(names),
                    child_id=r.person_id or "",
                    source=SOURCE_SHORT.get(
                        str(c.get("source_code")), str(c.get("source_code", ""))
                    ),
                    office_team=" / ".join(str(c[k]) for k in ("office", "team") if c.get(k)),
                    outcome=OUTCOME_LABELS[Outcome(str(outcome))]
                    if outcome
                    else ("open" if c else ""),
                    worker=_worker(r.worker or str(c.get("assignee") or ""), people),
                    contact_id=r.contact_id or "",
                )
            )
        return rows

    def _export_data(self, filters: Filters, reads: frozenset[str] = OPTIONAL_READS) -> Loaded:
        """The prepared dataset an export of ``filters`` reads (with the children's
        details and the optional parts ``reads``): the one loaded for the previous export
        when nothing it depends on has changed and it read at least ``reads``, else a
        fresh load (``load(filters, with_people=True, reads=reads)``).

        Reused only for the same store state (``MiQueries.state``: the last event MI reads,
        the server sequences sync sets, the events the server rejected; an export's own
        record does not count), the same filters, the same actor and the same settings and
        office days. The store's state is read *before*
        loading, so an event written while the load runs makes the next export load again:
        a reused dataset is never older than the store. Callers still check permission and
        record every export themselves: reuse saves the reading, nothing else."""
        key = (self.queries.state(), self.actor, filters, self.settings, self.office)
        with self._export_lock:
            cached = self._export_cache
        if cached is not None and cached[0] == key and reads <= cached[1].reads:
            return cached[1]
        loaded = self.load(filters, with_people=True, reads=reads)
        with self._export_lock:
            self._export_cache = (key, loaded)
        return loaded

    def forget_export_data(self) -> None:
        """Drop the kept dataset (its memory), e.g. when the dashboard closes."""
        with self._export_lock:
            self._export_cache = None

    def export_annex_a(
        self, path: Path, list_no: int, fmt: str, filters: Filters, also: Sequence[int] = ()
    ) -> int:
        """Write Annex A list ``list_no``, signed (``FILE.p7s``) and recorded as
        ``document.exported`` in the signed-in person's name. Nobody signed in, a role that
        may not export, or no signing key: refused before anything is written; if the
        export cannot be signed or recorded, the file is removed. A list reads only what
        it needs (``annex_a.LIST_READS``); ``also``: lists to be exported next for the same
        filters, so that one load serves them all (the dashboard's "export Lists 1 to 5")."""
        require(self.actor, Action.EXPORT)
        signer = require_signer(self.signer, self.actor.login, self.unsigned_reason)
        _refuse_folder(path)
        if list_no == 1:
            count = self._export_list1(staged(path), fmt, filters)
        else:
            loaded = self._export_data(filters, annex_a.reads_of((list_no, *also)))
            count = annex_a.export(
                staged(path), list_no, fmt, loaded.data, loaded.dataset, filters, self.names()
            )
        self._seal(
            path,
            signer,
            f"Ofsted Annex A List {list_no} ({filters.date_from} to {filters.date_to})",
        )
        return count

    def _export_list1(self, path: Path, fmt: str, filters: Filters) -> int:
        """List 1 (contacts) reads only each contact's children (``contact_children``), not
        the MI dataset: no routes, decisions or events, so it neither waits for nor keeps
        a whole load; its rows are written as they are made (``annex_a.list1_from``,
        tested equal to ``list1_rows`` of a full load)."""
        annex_a.check_format(fmt)
        children = self.queries.contact_children(**self._pushed_down(filters))
        return annex_a.write_rows(path, 1, fmt, annex_a.list1_from(children, filters))

    def export_cin_census(
        self, path: Path, year_ending: int, *, lea: str, release: str = "DutyDesk"
    ) -> CensusReport:
        """Write the CIN census return for the year ending 31 March ``year_ending`` (written
        to a temporary file and moved into place), signed and recorded like an Annex A
        list: refused before writing for a role that may not export or without a signing
        key, and removed again if it cannot be signed or recorded."""
        require(self.actor, Action.EXPORT)
        signer = require_signer(self.signer, self.actor.login, self.unsigned_reason)
        _refuse_folder(path)
        start, end = collection_year(year_ending)
        # Every referral of the year and the 12 months before it, with demographics.
        filters = Filters(start, end)
        loaded = self._export_data(filters, CENSUS_READS)
        extras = self.queries.census_extras(r.contact_id for r in loaded.dataset.referrals)

        def write(tmp: Path) -> CensusReport:
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                return write_census(
                    fh,
                    loaded.data,
                    loaded.dataset,
                    year_ending,
                    lea=lea,
                    extras=extras,
                    now=self.clock.now(),
                    office=self.office,
                    release=release,
                )

        report = annex_a.atomic_result(staged(path), write)
        self._seal(path, signer, f"DfE CIN census return, year ending 31 March {year_ending}")
        return report

    def _seal(self, path: Path, signer: DocumentSigner, document: str) -> None:
        def record(digest: str) -> None:
            self.store.append(
                [
                    recorded_by(
                        "document.exported",
                        {
                            "document": document,
                            "digest": digest,
                            "file_sha256": digest,
                            "destination": str(path),
                        },
                        by=self.actor,
                        at=self.clock.now(),
                    )
                ]
            )

        seal_export(path, signer, record)


def _refuse_folder(path: Path) -> None:
    """An export's destination that is a folder is refused before anything is written or
    recorded (else the file would be signed and recorded, then fail to move into place)."""
    if path.is_dir():
        raise annex_a.ExportError(f"{path} is a folder: give the name of the file to write")


def _worker(login: str, names: Mapping[str, str]) -> str:
    """ "Tom Okafor (sw.tom)" for a login in the people directory, else as it is."""
    name = names.get(login) if login else None
    return f"{name} ({login})" if name and name != login else login


# Figures with a bar per worker whose label is only shown. (The caseload figure's labels
# are the logins the supervision dialog records against, so they stay logins.)
_BY_WORKER = ("supervision_overdue",)


def _workers_named(figures: tuple[Figure, ...], names: Mapping[str, str]) -> tuple[Figure, ...]:
    """Bars labelled by worker show the person's name beside the login."""
    if not names:
        return figures
    out = []
    for f in figures:
        if f.key in _BY_WORKER:
            parts = []
            for p in f.parts:
                login = next((r.worker for r in p.refs if r.worker), None) or p.label
                if p.label.startswith(login):
                    p = replace(p, label=_worker(login, names) + p.label[len(login) :])
                parts.append(p)
            f = replace(f, parts=tuple(parts))
        out.append(f)
    return tuple(out)
