"""The watched folder: partners drop files, DutyDesk imports them.

``poll_once`` imports every file that has stopped growing, then moves it to ``processed/``
(every row imported) or ``failed/`` (refused, or rows rejected), with a report file beside
it and a rejected-rows CSV when there are rejects. The window calls it on a timer, on its
writer thread (never the GUI thread); nothing here starts threads. Imports are the
signed-in person's, through their guarded store, like the import wizard's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..domain.clock import Clock
from ..domain.triage.policy import Policy
from ..filemodes import private_dir, private_file
from ..fileops import replace_file
from .guard import GuardedStore
from .importer import Importer, ImportOptions, ImportReport

SUFFIXES = {".json", ".jsonl", ".ndjson", ".csv", ".xlsx", ".xml"}


@dataclass
class FolderWatcher:
    folder: Path
    store: GuardedStore
    clock: Clock
    policy: Policy | None = None  # the desk's triage policy (None: the default)
    # size of each file at the last poll: a file is imported once its size stops changing,
    # so a partner's half-copied file is not read.
    _sizes: dict[str, int] = field(default_factory=dict)

    def poll_once(self) -> list[ImportReport]:
        if not self.folder.is_dir():
            return []
        reports = []
        for path in sorted(self.folder.iterdir()):
            if (
                not path.is_file()
                or path.suffix.lower() not in SUFFIXES
                or path.name.startswith(".")
            ):
                continue
            size = path.stat().st_size
            if self._sizes.get(path.name) != size:
                self._sizes[path.name] = size
                continue
            del self._sizes[path.name]
            reports.append(self._import(path))
        return reports

    def _import(self, path: Path) -> ImportReport:
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S")
        failed = self.folder / "failed"
        rejects = failed / f"{path.stem}.{stamp}.rejected.csv"
        report = Importer(self.store, self.clock, self.policy).run(
            path, ImportOptions(rejects=rejects)
        )
        target = (self.folder / "processed") if report.ok else failed
        private_dir(target)
        dest = target / f"{path.stem}.{stamp}{path.suffix}"
        replace_file(path, dest)
        private_file(dest)
        lines = report.lines() + [str(e) for e in report.errors + report.warnings]
        written = target / f"{dest.name}.report.txt"
        written.write_text("\n".join(lines) + "\n", encoding="utf-8")
        private_file(written)
        return report
