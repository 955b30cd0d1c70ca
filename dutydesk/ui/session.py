"""Fit the features built beside the main window into one signed-in session.

The main window knows nothing of importing, MI, audit, printing or the screen lock; this
module adds each through the window's extension points, according to what the signed-in
person's role allows (the services check again on every write).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from ..config.settings import Settings
from ..config.signing_keys import KeyFolder
from ..domain.clock import Clock
from ..domain.errors import DomainError
from ..domain.events import Actor
from ..domain.permissions import Action, allows
from ..domain.wording import human_datetime
from ..reports.letters import Audience
from ..services.audit import AuditService
from ..services.documents import DocumentService
from ..services.guard import GuardedStore
from ..services.importer import ImportReport
from ..services.links import LinkService
from ..services.mi import MiService
from ..services.mi_records import MiRecords
from ..services.signing import DocumentSigner, demo_signer
from ..services.watch import FolderWatcher
from ..store.eventstore import EventStore
from ..store.syncstate import RejectedEvent
from ..sync.engine import SyncEngine, SyncReport
from .audit_view import AuditView
from .folder_watch import WatchedFolder
from .followthrough_wiring import install_followthrough
from .import_wizard import ImportWizard
from .main_window import MainWindow
from .mi_dashboard import MiDashboard
from .pending_links import open_pending_links
from .printing import DocumentActions
from .screen_lock import ScreenLock
from .sync_controller import SyncController
from .sync_status import SyncStatusWidget
from .tasks import SessionThreads, TaskRunner
from .verify_dialog import VerifyAction


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
        """Stop every thread of this session (sync, the watched folder, the reader and the
        writer), waiting for each; called on ``aboutToQuit`` and when the window's loop ends."""
        if self.threads is not None:
            self.threads.close()


def install_features(window: MainWindow, session: Session, tasks: TaskRunner) -> None:
    """Tools menu entries, printing and the screen lock for ``session``. ``tasks`` is the
    session's writer: from here on the session owns it (``session.close`` stops it)."""
    threads = session.threads = SessionThreads(tasks)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(session.close)
    actor = session.actor
    signer = session.signer or (
        demo_signer(None, actor.login, actor.display_name or actor.login) if session.demo else None
    )
    documents = DocumentService(
        session.guarded,
        actor,
        session.clock,
        marking=session.settings.protective_marking,
        signer=signer,
        keys=KeyFolder(session.keys_dir) if session.keys_dir is not None else None,
        unsigned_reason=session.unsigned_reason,
        # printed clocks on the queue's own office calendar
        office=window.service.triage.policy.office,
        # printed "by" lines name people from the desk's own directory (the server's in
        # shared mode, refreshed on sync)
        people=window.service.people,
    )
    printing = DocumentActions(window, documents, tasks)

    def case_log(contact_id: str) -> None:
        printing.preview(lambda: documents.case_log(contact_id=contact_id))

    if allows(actor.role, Action.PRINT):
        window.set_print_handler(case_log)

    def tool(text: str, keys: str, slot: Callable[[], None], name: str) -> None:
        act = QAction(text, window)
        act.setObjectName(name)
        if keys:
            act.setShortcut(QKeySequence(keys))
        act.triggered.connect(slot)
        window.add_tool_action(act)

    def show(widget: QWidget, title: str) -> None:
        widget.setWindowTitle(title)
        session.open_windows.append(widget)
        widget.resize(1200, 760)
        widget.show()

    if allows(actor.role, Action.PRINT):

        def letter(audience: Audience) -> Callable[[], None]:
            def run() -> None:
                cid = window.current_contact_id()
                if cid is None:
                    QMessageBox.information(window, "Letter", "Select a contact first.")
                    return
                printing.preview(lambda: documents.letter(cid, audience))

            return run

        tool("Letter to the &family…", "", letter(Audience.FAMILY), "letterFamilyAction")
        tool("Feedback to the &referrer…", "", letter(Audience.REFERRER), "letterReferrerAction")

    verifier = VerifyAction(window, documents, tasks)
    window.verifier = verifier  # type: ignore[attr-defined]
    tool("&Verify a document or export…", "", verifier.ask, "verifyAction")

    if allows(actor.role, Action.RECORD_CONTACT):

        def open_import() -> None:
            wizard = ImportWizard(
                session.guarded,
                session.clock,
                tasks,  # an import writes: on the session's writer
                window,
                policy=window.service.triage.policy,
            )
            wizard.finished.connect(lambda _code: window.reload())
            wizard.open()

        tool("&Import from a file…", "Ctrl+I", open_import, "importAction")
        if session.settings.watch_folder:
            threads.own(watch_folder(window, session, tasks).stop)

    if allows(actor.role, Action.LINK_PERSON):

        def open_links() -> None:
            open_pending_links(window, LinkService(session.guarded, session.clock), tasks)

        tool("Likely matches to &confirm…", "Ctrl+Shift+L", open_links, "pendingLinksAction")

    if allows(actor.role, Action.EXPORT) or allows(actor.role, Action.VIEW_AUDIT):

        def open_mi() -> None:
            # Working days on the queue's own office calendar (the desk's triage policy),
            # so a figure never disagrees with the due times in the queue.
            service = MiService(
                session.store,
                session.clock,
                actor=actor,
                office=window.service.triage.policy.office,
                people=window.service.people,  # workers by name, as the queue shows them
                signer=signer,
                unsigned_reason=session.unsigned_reason,
            )
            records = (
                MiRecords(session.guarded, session.clock)
                if allows(actor.role, Action.SUPERVISION)
                and allows(actor.role, Action.RECORD_DECISION)
                else None
            )
            # loads on the reader (a long read never holds up the queue), writes on the writer
            dashboard = MiDashboard(service, threads.reader, records=records, writer=tasks)
            show(dashboard, "DutyDesk — management information")
            dashboard.reload()

        tool("&Management information", "Ctrl+M", open_mi, "miAction")

    if allows(actor.role, Action.VIEW_AUDIT):

        def open_audit() -> None:
            try:
                names = {e.login: e.display_name for e in window.service.people().entries}
                service = AuditService(
                    session.guarded, names, signer=signer, unsigned_reason=session.unsigned_reason
                )
                view = AuditView(service, tasks)
            except DomainError as err:
                QMessageBox.warning(window, "Audit trail", str(err))
                return
            show(view, "DutyDesk — audit trail")
            view.refresh()
            view.refresh_quarantine()  # so the tab says how many are held

        tool("&Audit trail", "Ctrl+Shift+U", open_audit, "auditAction")

    window.followthrough = install_followthrough(window, session, tasks)  # type: ignore[attr-defined]

    if session.sync_engine is not None:
        threads.own(start_sync(window, session.sync_engine).stop)

    if session.verify_password is not None and session.settings.lock_after_minutes > 0:
        verify = session.verify_password
        lock = ScreenLock.after_minutes(
            window, actor.login, verify, session.settings.lock_after_minutes, tasks
        )
        window.screen_lock = lock  # type: ignore[attr-defined]
        tool("&Lock screen", "Ctrl+L", lock.lock, "lockAction")


def watch_folder(window: MainWindow, session: Session, tasks: TaskRunner) -> WatchedFolder:
    """Import what partners drop into the watched folder (setting ``watch_folder``), as
    the signed-in person, on the writer thread."""
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
    window.watched_folder = watched  # type: ignore[attr-defined]
    watched.start()
    return watched


def start_sync(window: MainWindow, engine: SyncEngine) -> SyncController:
    """Sync on its own thread (the store's second writer, see ``ui.tasks``); its reports
    feed the status bar; the caller owns stopping it (``SessionThreads.own``)."""
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
    window.sync_controller = controller  # type: ignore[attr-defined]
    window.set_sync_state("connecting…")
    controller.start()
    return controller
