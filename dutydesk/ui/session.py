"""Fit the features built beside the main window into one signed-in session.

The main window knows nothing of importing, MI, audit, printing or the screen lock; this
module builds each (a named builder for each feature), adds its entries through the
window's extension points according to what the signed-in person's role allows (the
services check again on every write), and hands the window the lot as one
``WindowFeatures``. Each Tools window (import, likely matches, MI, audit) and its service
is imported when first opened: the queue's first frame needs none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from ..config.settings import Settings
from ..config.signing_keys import KeyFolder
from ..domain.clock import Clock
from ..domain.errors import DomainError
from ..domain.events import Actor
from ..domain.permissions import Action, allows
from ..domain.wording import human_datetime
from ..reports.audience import Audience
from ..services.documents import DocumentService
from ..services.guard import GuardedStore
from ..services.signing import DemoSigner, DocumentSigner
from ..store.eventstore import EventStore
from ..store.syncstate import RejectedEvent
from .features import WindowFeatures
from .followthrough_wiring import install_followthrough
from .main_window import MainWindow
from .screen_lock import ScreenLock
from .tasks import SessionThreads, TaskRunner
from .verify_dialog import VerifyAction

if TYPE_CHECKING:
    from ..services.importer import ImportReport
    from ..sync.engine import SyncEngine, SyncReport
    from .folder_watch import WatchedFolder
    from .printing import DocumentActions
    from .sync_controller import SyncController


@dataclass
class Session:
    """Everything one signed-in person works with. ``store`` is the unguarded local store
    (for reads that the guard does not cover yet); ``guarded`` checks every write against
    the actor, imports and the watched folder included."""

    actor: Actor
    clock: Clock
    settings: Settings
    store: EventStore
    guarded: GuardedStore
    demo: bool
    verify_password: Callable[[str, str], bool] | None = None
    sync_engine: SyncEngine | None = None  # shared mode only
    signer: DocumentSigner | None = None  # the key printed documents are signed with
    unsigned_reason: str = ""  # why there is none (shown when printing is refused)
    keys_dir: Path | None = None  # the desk's signing folder: trust anchors and CRLs
    open_windows: list[QWidget] = field(default_factory=list)
    threads: SessionThreads | None = None  # made by install_features; stopped by close

    def close(self) -> None:
        """Stop every thread of this session (sync, the watched folder, a print job, the
        reader and the writer), waiting for each; ``run_window`` calls it on
        ``aboutToQuit`` and again when the loop has ended."""
        if self.threads is not None:
            self.threads.close()


def install_features(window: MainWindow, session: Session, tasks: TaskRunner) -> WindowFeatures:
    """Tools menu entries, printing, follow-through, sync and the screen lock for
    ``session``, composed into ``window`` as one ``WindowFeatures``. ``tasks`` is the
    session's writer: from here on the session owns it (``session.close`` stops it)."""
    threads = session.threads = SessionThreads(tasks)
    features = _Features(window, session, threads).build()
    window.compose(features)
    return features


class _Features:
    """Builds one session's window features, a named builder for each; every Tools entry
    is added only where the person's role allows it (the services check again)."""

    def __init__(self, window: MainWindow, session: Session, threads: SessionThreads) -> None:
        self.window, self.session, self.threads = window, session, threads
        self.tasks = threads.writer
        self.role = session.actor.role
        actor = session.actor
        self.signer = session.signer or (
            DemoSigner(None, actor.login, actor.display_name or actor.login)
            if session.demo
            else None
        )
        self.features = WindowFeatures()

    def build(self) -> WindowFeatures:
        documents = self._documents()
        self._printing(documents)
        self.features.verifier = VerifyAction(self.window, documents, self.tasks)
        self.tool("&Verify a document or export…", "", self.features.verifier.ask, "verifyAction")
        self._importing()
        self._pending_links()
        self._management_information()
        self._audit_trail()
        self.features.followthrough = install_followthrough(self.window, self.session, self.tasks)
        if self.session.sync_engine is not None:
            self.features.sync_controller = start_sync(
                self.window, self.session.sync_engine, self.tasks
            )
            self.threads.own(self.features.sync_controller.stop)
        self._screen_lock()
        return self.features

    # ---- helpers -------------------------------------------------------------------

    def tool(self, text: str, keys: str, slot: Callable[[], None], name: str) -> None:
        act = QAction(text, self.window)
        act.setObjectName(name)
        if keys:
            act.setShortcut(QKeySequence(keys))
        act.triggered.connect(slot)
        self.window.add_tool_action(act)

    def show(self, widget: QWidget, title: str) -> None:
        widget.setWindowTitle(title)
        self.session.open_windows.append(widget)
        widget.resize(1200, 760)
        widget.show()

    # ---- the features ------------------------------------------------------------------

    def _documents(self) -> DocumentService:
        session, window = self.session, self.window
        return DocumentService(
            session.guarded,
            session.actor,
            session.clock,
            marking=session.settings.protective_marking,
            signer=self.signer,
            keys=KeyFolder(session.keys_dir) if session.keys_dir is not None else None,
            unsigned_reason=session.unsigned_reason,
            # printed clocks on the queue's own office calendar
            office=window.service.triage.policy.office,
            # printed "by" lines name people from the desk's own directory (the server's in
            # shared mode, refreshed on sync)
            people=window.service.people,
        )

    def _printing(self, documents: DocumentService) -> None:
        """The case log on Print, and the two letters in Tools."""
        if not allows(self.role, Action.PRINT):
            return
        window = self.window
        made: list[DocumentActions] = []

        def printing() -> DocumentActions:
            """Made at the first print (Qt's PDF and print modules load then, not at start)."""
            if not made:
                from .printing import DocumentActions

                made.append(DocumentActions(window, documents, self.tasks))
            return made[0]

        def stop() -> None:  # a print job's thread ends before the writer
            for actions in made:
                actions.stop()

        self.threads.own(stop)
        window.set_print_handler(
            lambda contact_id: printing().preview(lambda: documents.case_log(contact_id=contact_id))
        )

        def letter(audience: Audience) -> Callable[[], None]:
            def run() -> None:
                cid = window.current_contact_id()
                if cid is None:
                    QMessageBox.information(window, "Letter", "Select a contact first.")
                    return
                printing().preview(lambda: documents.letter(cid, audience))

            return run

        self.tool("Letter to the &family…", "", letter(Audience.FAMILY), "letterFamilyAction")
        self.tool(
            "Feedback to the &referrer…", "", letter(Audience.REFERRER), "letterReferrerAction"
        )

    def _importing(self) -> None:
        """The import wizard and the watched folder, both writing on the session's writer."""
        if not allows(self.role, Action.RECORD_CONTACT):
            return
        window, session = self.window, self.session

        def open_import() -> None:
            from .import_wizard import ImportWizard

            wizard = ImportWizard(
                session.guarded,
                session.clock,
                self.tasks,  # an import writes: on the session's writer
                window,
                policy=window.service.triage.policy,
            )
            wizard.finished.connect(lambda _code: window.reload())
            wizard.open()

        self.tool("&Import from a file…", "Ctrl+I", open_import, "importAction")
        if session.settings.watch_folder:
            self.features.watched_folder = watch_folder(window, session, self.tasks)
            self.threads.own(self.features.watched_folder.stop)

    def _pending_links(self) -> None:
        if not allows(self.role, Action.LINK_PERSON):
            return
        window, session = self.window, self.session

        def open_links() -> None:
            from ..services.links import LinkService
            from .pending_links import open_pending_links

            open_pending_links(window, LinkService(session.guarded, session.clock), self.tasks)

        self.tool("Likely matches to &confirm…", "Ctrl+Shift+L", open_links, "pendingLinksAction")

    def _management_information(self) -> None:
        if not (allows(self.role, Action.EXPORT) or allows(self.role, Action.VIEW_AUDIT)):
            return
        window, session = self.window, self.session

        def open_mi() -> None:
            from ..services.mi import MiService
            from ..services.mi_records import MiRecords
            from .mi_dashboard import MiDashboard

            # Working days on the queue's own office calendar (the desk's triage policy),
            # so a figure never disagrees with the due times in the queue.
            service = MiService(
                session.store,
                session.clock,
                actor=session.actor,
                office=window.service.triage.policy.office,
                people=window.service.people,  # workers by name, as the queue shows them
                signer=self.signer,
                unsigned_reason=session.unsigned_reason,
            )
            records = (
                MiRecords(session.guarded, session.clock)
                if allows(self.role, Action.SUPERVISION)
                and allows(self.role, Action.RECORD_DECISION)
                else None
            )
            # loads on the reader (a long read never holds up the queue), writes on the writer
            dashboard = MiDashboard(
                service, self.threads.reader, records=records, writer=self.tasks
            )
            self.show(dashboard, "DutyDesk — management information")
            dashboard.reload()

        self.tool("&Management information", "Ctrl+M", open_mi, "miAction")

    def _audit_trail(self) -> None:
        if not allows(self.role, Action.VIEW_AUDIT):
            return
        window, session = self.window, self.session

        def open_audit() -> None:
            from ..services.audit import AuditService
            from .audit_view import AuditView

            try:
                names = {e.login: e.display_name for e in window.service.people().entries}
                service = AuditService(
                    session.guarded,
                    names,
                    signer=self.signer,
                    unsigned_reason=session.unsigned_reason,
                )
                view = AuditView(service, self.tasks)
            except DomainError as err:
                QMessageBox.warning(window, "Audit trail", str(err))
                return
            self.show(view, "DutyDesk — audit trail")
            view.refresh()
            view.refresh_quarantine()  # so the tab says how many are held

        self.tool("&Audit trail", "Ctrl+Shift+U", open_audit, "auditAction")

    def _screen_lock(self) -> None:
        session = self.session
        verify = session.verify_password
        if verify is None or session.settings.lock_after_minutes <= 0:
            return
        lock = ScreenLock.after_minutes(
            self.window,
            session.actor.login,
            verify,
            session.settings.lock_after_minutes,
            self.tasks,
        )
        self.features.screen_lock = lock
        self.tool("&Lock screen", "Ctrl+L", lock.lock, "lockAction")


def watch_folder(window: MainWindow, session: Session, tasks: TaskRunner) -> WatchedFolder:
    """Import what partners drop into the watched folder (setting ``watch_folder``), as
    the signed-in person, on the writer thread."""
    from ..services.watch import FolderWatcher
    from .folder_watch import WatchedFolder

    watcher = FolderWatcher(
        Path(session.settings.watch_folder).expanduser(),
        session.guarded,
        session.clock,
        window.service.triage.policy,
    )

    def imported(reports: list[ImportReport]) -> None:
        rows = sum(r.rows_ok for r in reports)
        window.status_message.setText(
            f"Watched folder: {len(reports)} file(s) imported, {rows} row(s)"
        )
        window.poll()

    watched = WatchedFolder(watcher, tasks, imported, parent=window)
    watched.start()
    return watched


def start_sync(window: MainWindow, engine: SyncEngine, writer: TaskRunner) -> SyncController:
    """Sync on its own thread, its store writes handed to the session's ``writer`` (see
    ``ui.tasks``); its reports feed the status bar; the caller owns stopping it
    (``SessionThreads.own``), before the writer."""
    from .sync_controller import SyncController
    from .sync_status import SyncStatusWidget

    engine.write_through(writer.run)
    controller = SyncController(engine, parent=window)
    status = SyncStatusWidget()
    window.add_status_widget(status)
    controller.reported.connect(status.show_report)
    controller.reported.connect(
        lambda report: window.set_sync_state("online" if report.online else "offline")
    )
    controller.stopped_with.connect(status.show_problem)
    controller.stopped_with.connect(window.show_sync_stopped)

    def people(report: SyncReport) -> None:
        if report.people_changed:  # added, renamed or removed on the server: names as now
            window.people_changed()

    controller.reported.connect(people)

    def rejected_loaded(rows: list[RejectedEvent]) -> None:
        text = "\n".join(f"{human_datetime(r.client_time)}  {r.type}: {r.reason}" for r in rows)
        QMessageBox.information(
            window,
            "Refused by the server",
            text or "The server has refused nothing from this desk.",
        )

    status.show_rejected.connect(
        lambda: window.tasks.submit(engine.state.rejected, rejected_loaded)
    )
    window.set_sync_state("connecting…")
    controller.start()
    return controller
