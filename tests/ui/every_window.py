"""Open every window and dialog of a duty manager's session, for the tests that walk
them all (shortcut clashes, accessibility). Real store, real services, real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from dutydesk.config.settings import Settings
from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.audit import AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.drafts import DraftStore
from dutydesk.services.guard import GuardedStore
from dutydesk.services.links import LinkService
from dutydesk.services.local_store import DEMO_KIND, STORE_KIND
from dutydesk.services.mi import MiService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui import action_dialogs as dialogs
from dutydesk.ui.audit_view import AuditView
from dutydesk.ui.decision_dialog import DecisionDialog
from dutydesk.ui.followthrough_view import FollowThroughWindow
from dutydesk.ui.import_wizard import ImportWizard
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.mi_dashboard import MiDashboard
from dutydesk.ui.pending_links import PendingLinksDialog
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner


def demo_session(tmp_path: Path, clock: FixedClock, role: Role = Role.DUTY_MANAGER) -> Session:
    """A signed-in demo session on a fresh demo store (real policy, the demo users)."""
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    load_demo(store, seed=5, events=600, clock=clock, open_contacts=16)  # real policy
    store.set_meta(STORE_KIND, DEMO_KIND)  # a demo session: its people are the demo users
    actor = Actor(login="dm.manager", role=role, device="t", display_name="Dee Manager")
    return Session(
        actor=actor,
        clock=clock,
        settings=Settings(),
        store=store,
        guarded=GuardedStore(store, actor, clock),
        demo=True,
        verify_password=lambda _u, _p: True,
    )


def demo_window(qtbot, tmp_path: Path, session: Session, tasks: TaskRunner) -> MainWindow:  # type: ignore[no-untyped-def]
    """The main window for ``session`` (features not installed yet)."""
    actor = session.actor
    window = MainWindow(
        DeskService(session.guarded, actor, session.clock),
        tasks,
        demo=True,
        store_path=tmp_path / "s.sqlite3",
        drafts=DraftStore(session.store, actor.login),
        settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    return window


def session_window(
    qtbot,
    tmp_path: Path,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    role: Role = Role.DUTY_MANAGER,
) -> MainWindow:
    """The main window with every Tools entry a duty manager gets, the screen lock too."""
    session = demo_session(tmp_path, clock, role)
    tasks = TaskRunner(synchronous=True)
    window = demo_window(qtbot, tmp_path, session, tasks)
    install_features(window, session, tasks)
    window.session = session  # type: ignore[attr-defined]
    window.show()
    window.reload()
    window.handover_dock.show()  # its controls count too
    window.select_contact(window.model.ids()[0])
    window._load_detail()
    return window


def every_window(qtbot, window: MainWindow) -> Iterator[tuple[str, QWidget]]:  # type: ignore[no-untyped-def]
    """Yield ``(name, widget)`` for the main window and each dialog or tool window, shown,
    closing each after the caller has looked at it."""
    session: Session = window.session  # type: ignore[attr-defined]
    yield "main window", window

    def shown(widget: QWidget) -> QWidget:
        qtbot.addWidget(widget)
        widget.show()
        QApplication.processEvents()
        return widget

    form = window.contact_actions.new_contact()
    assert form is not None
    yield "new contact form", shown(form)
    form.reject()
    detail = window.detail_snapshot
    assert detail is not None
    yield (
        "decision dialog",
        shown(DecisionDialog(detail, session.actor.role, labels=window.thresholds, parent=window)),
    )
    for name, dialog in (
        ("change rating", dialogs.rerate_dialog("red", window)),
        (
            "assign",
            dialogs.assign_dialog(
                [("sw.practitioner", "Tom Practitioner (sw.practitioner), practitioner")], window
            ),
        ),
        ("partner check", dialogs.partner_check_dialog(window)),
        ("partner answer", dialogs.answer_dialog([("c1", "Police: any call-outs?")], window)),
        ("note", dialogs.note_dialog(window)),
        ("sign off", dialogs.sign_off_dialog("Proposed: CIN assessment, level 3.", window)),
        ("handover note", dialogs.handover_dialog(window)),
    ):
        yield name, shown(dialog)
        dialog.reject()
    tasks = TaskRunner(synchronous=True)
    audit = AuditView(AuditService(session.guarded), tasks)
    audit.refresh()
    yield "audit trail", shown(audit)
    audit.close()
    mi = MiDashboard(MiService(session.store, session.clock, actor=session.actor), tasks)
    mi.reload()
    yield "management information", shown(mi)
    mi.close()
    links = PendingLinksDialog(LinkService(session.guarded, session.clock), tasks, window)
    links.refresh()
    yield "likely matches", shown(links)
    links.reject()
    wizard = ImportWizard(session.guarded, session.clock, tasks, window)
    yield "import wizard", shown(wizard)
    wizard.reject()
    # (issue 21) the follow-through window
    follow = FollowThroughWindow(window.followthrough.follow, tasks)  # type: ignore[attr-defined]
    follow.reload()
    yield "follow-through", shown(follow)
    follow.close()
    # (issue 21) the strategy discussion form, opened as the Tools entry opens it
    actions = window.followthrough  # type: ignore[attr-defined]
    actions.strategy()
    strategy = actions.dialog
    assert strategy is not None and strategy.objectName() == "strategyDialog"
    yield "strategy discussion", shown(strategy)
    strategy.reject()
