"""Screenshots of the duty window with demo data, for the README and for review.

    QT_QPA_PLATFORM=offscreen python -m dutydesk.ui.screenshots docs/screenshots

Writes, at 9am on a Tuesday (1 Dec 2026, so the pictures do not change from day to day):

- ``main-window.png`` (1920x1080), ``main-window-1024x768.png`` (an ordinary laptop at
  100%), ``main-window-1366x768-125.png`` (a 1366x768 laptop at 125% scaling: run again in
  a child process with ``QT_SCALE_FACTOR=1.25``), ``main-window-dark.png`` (the dark
  palette, 1366x768), ``main-window-text-200.png`` (text at 200%, 1920x1080);
- ``contact-detail.png``, ``decision-dialog.png``, ``contact-form.png`` and
  ``contact-form-risk.png`` (issue 14: the entry form's risk details, open);
- (issue 21) ``followthrough-view.png``, ``followthrough-awaiting.png``,
  ``followthrough-referrers.png``,
  ``strategy-dialog.png`` and ``mi-dashboard.png`` (every MI tile, on the MI demo).

The demo contacts are rated by the real triage policy (resources/policy/default.toml) as
they are generated, exactly as ``python main.py --demo`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from ..demo.loader import load_demo
from ..demo.synthetic import demo_actor
from ..domain.clock import LONDON, FixedClock
from ..services.desk import DeskService
from ..services.drafts import DraftStore
from ..services.local_store import DEMO_KIND, STORE_KIND
from ..store.eventstore import EventStore
from .application import make_app
from .followthrough_screens import save_followthrough_screens
from .main_window import MainWindow
from .palettes import dark_palette
from .tasks import TaskRunner

NINE_AM = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)  # a Tuesday
SCALED = "--scaled-125"  # the child run that draws the 125% picture


def _save(widget: QWidget, path: Path) -> None:
    for _ in range(3):
        QApplication.processEvents()
    widget.grab().save(str(path))
    print(path)


def _risk_details(form: Any, path: Path) -> None:
    """(issue 14) The entry form's risk details open, for a police domestic abuse
    notification."""
    from .risk_questions import set_answer

    form.problems.clear()
    form.danger.setCurrentIndex(1)
    form.reporter_name.setText("PC 4471 Khan")
    form.reporter_role.setText("Domestic abuse officer")
    form.reporter_agency.setText("West Yorkshire Police")
    form.source.setCurrentIndex(form.source.findData("6"))
    form.channel.setCurrentIndex(form.channel.findData("police_notification"))
    form.concern.setPlainText(
        "Police DA notification: partner put his hands round the "
        "mother's neck; the child was in the room."
    )
    for name, value in (
        ("injury_reported", False),
        ("disclosure", False),
        ("dash_level", "high"),
        ("children_present", True),
        ("strangulation", True),
        ("weapon", False),
        ("previous_incidents", 2),
    ):
        set_answer(form.risk.widgets[name], value)
    form.risk.expand()
    form.resize(820, 1900)
    scroll = form.findChild(QScrollArea)
    if scroll is not None:
        scroll.ensureWidgetVisible(form.risk)
    _save(form, path)


def build_demo(folder: Path) -> tuple[EventStore, DeskService]:
    store = EventStore.open(folder / "demo.sqlite3")
    store.set_meta(STORE_KIND, DEMO_KIND)  # as ``--demo`` marks it: the demo users are known
    # The real triage policy rates the demo as it is generated (demo.loader).
    load_demo(store, seed=7, events=12_000, clock=FixedClock(NINE_AM), open_contacts=40)
    service = DeskService(store, demo_actor(), FixedClock(NINE_AM))
    return store, service


def _window(service: DeskService, folder: Path, name: str) -> MainWindow:
    settings = QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        service,
        TaskRunner(synchronous=True),
        demo=True,
        store_path=folder / "demo.sqlite3",
        drafts=DraftStore(service.store, service.actor.login),
        settings=settings,
    )
    return window


def _shot(
    service: DeskService,
    folder: Path,
    path: Path,
    size: tuple[int, int],
    select: str | None = None,
    handover: bool = True,
) -> MainWindow:
    window = _window(service, folder, path.stem)
    window.resize(*size)
    window.show()
    window.reload()
    if select:
        window.select_contact(select)
    window._load_detail()
    window.handover_dock.setVisible(handover and window.handover_dock.isVisible())
    _save(window, path)
    return window


def _story(store: EventStore, service: DeskService) -> str:
    """The night team's handover and some work on the top contact, as at 9am."""
    top = service.queue()[0]
    edt = DeskService(
        store,
        demo_actor().__class__("edt.worker", demo_actor().role, "edt-desk", "Emergency duty"),
        service.clock,
    )
    edt.note_handover(
        "Night 30 Nov – 1 Dec (emergency duty team)",
        "Police protection used overnight for a 3-year-old after a domestic "
        "incident; placed with grandmother. Strategy discussion needed this "
        "morning. Two DA notifications logged, both Standard.",
    )
    service.request_partner_check(
        top.contact_id, "Police", "Any call-outs to the address in the last year?"
    )
    service.request_partner_check(
        top.contact_id, "Health – health visitor", "Is the family known? Any missed appointments?"
    )
    checks = service.contact_detail(top.contact_id).partner_checks  # type: ignore[union-attr]
    service.answer_partner_check(
        top.contact_id,
        checks[0].check_id,
        "Two DA call-outs (June, September); father arrested in September, no further action.",
        "PC 4411 Jones",
    )
    service.add_note(
        top.contact_id, "Spoke to the school's safeguarding lead; the child is in school today."
    )
    return top.contact_id


def save_mi_dashboard(folder: Path, out: Path) -> None:
    """(issue 21) ``mi-dashboard.png``: every tile of the MI dashboard, on the MI demo
    (supervision and completed assessments added) with a morning's follow-through on it
    (a strategy discussion, LADO, MARAC, private fostering) and one hand-off waiting."""
    from ..demo.mi_extras import load_mi_demo
    from ..services.mi import MiService
    from .followthrough_screens import follow_through_day
    from .mi_dashboard import MiDashboard

    store = EventStore.open(folder / "mi.sqlite3")
    store.set_meta(STORE_KIND, DEMO_KIND)
    clock = FixedClock(NINE_AM)
    load_mi_demo(store, seed=2026, events=6000, clock=clock)
    desk = DeskService(store, demo_actor(), clock)
    follow = follow_through_day(desk)
    waiting = next(q for q in desk.queue() if q.children)
    route_id, _ = follow.open_route(
        waiting.contact_id, "s17_assessment", slot=waiting.children[0].slot
    )
    follow.transfer(route_id, "Assessment Team 2", "sw.kaur")
    service = MiService(store, clock, actor=demo_actor(), office=desk.triage.policy.office)
    dash = MiDashboard(service, TaskRunner(synchronous=True))
    dash.resize(1500, 900)
    dash.show()
    dash.reload()
    dash.select("re_referrals")
    _save(dash, out / "mi-dashboard.png")
    dash.close()
    store.close()


def _scaled(out: Path) -> int:
    """In the child process (QT_SCALE_FACTOR=1.25): 1366x768 pixels, 1093x614 logical."""
    make_app()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, service = build_demo(folder)
        top = _story(store, service)
        window = _shot(
            service, folder, out / "main-window-1366x768-125.png", (1093, 614), top, handover=False
        )
        window.close()
        store.close()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or (len(argv) == 2 and argv[1] != SCALED):
        print("usage: python -m dutydesk.ui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    if len(argv) == 2:
        return _scaled(out)
    child = subprocess.run(
        [sys.executable, "-m", "dutydesk.ui.screenshots", str(out), SCALED],
        env={**os.environ, "QT_SCALE_FACTOR": "1.25"},
        check=False,
    )
    if child.returncode:
        return child.returncode
    app = make_app()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, service = build_demo(folder)
        top_id = _story(store, service)
        top = next(i for i in service.queue() if i.contact_id == top_id)
        window = _shot(service, folder, out / "main-window.png", (1920, 1080), top_id)
        window.handover_dock.hide()
        window.detail_pane.resize(760, 1000)
        _save(window.detail_pane, out / "contact-detail.png")
        _dialogs(window, top, out)
        save_followthrough_screens(service, window, out)  # issue 21's screens
        save_mi_dashboard(folder, out)
        window.close()
        _shot(
            service, folder, out / "main-window-1024x768.png", (1024, 768), top_id, handover=False
        ).close()

        light = QPalette(app.palette())
        app.setPalette(dark_palette())  # the desktop switches to dark; DutyDesk follows
        _shot(
            service, folder, out / "main-window-dark.png", (1366, 768), top_id, handover=False
        ).close()
        app.setPalette(light)

        font = app.font()
        bigger = app.font()
        bigger.setPointSizeF(font.pointSizeF() * 2)
        app.setFont(bigger)
        _shot(
            service, folder, out / "main-window-text-200.png", (1920, 1080), top_id, handover=False
        ).close()
        app.setFont(font)
        store.close()
    app.quit()
    return 0


def _dialogs(window: MainWindow, top: object, out: Path) -> None:
    window.contact_actions.decide()
    dialog = window._dialog
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("strategy_s47"))
    dialog.level.setCurrentIndex(dialog.level.findData(4))
    dialog.boxes["concerns_and_risks"].setPlainText(
        "Repeated domestic abuse with the children present; bruise reported."
    )
    dialog.boxes["analysis"].setPlainText(
        "Reasonable cause to suspect significant harm: a strategy discussion is needed."
    )
    dialog.step_action.setText("Strategy discussion with police and health")
    dialog.step_owner.setText("Dan Manager")
    dialog.add_step()
    dialog.update_prompts()
    dialog.resize(780, 900)
    _save(dialog, out / "decision-dialog.png")
    dialog.reject()

    form = window.contact_actions.new_contact()
    assert form is not None  # the runner is synchronous
    form.danger.setCurrentIndex(1)
    form.reporter_name.setText("Ms Sarah Hollins")
    form.reporter_role.setText("Designated safeguarding lead")
    form.reporter_agency.setText("St Mary's CE Primary School")
    form.source.setCurrentIndex(form.source.findData("2A"))
    entry = form.children_entries[0]
    entry.given.setText("Amelie")
    entry.family.setText("O'Connor-Smith")
    entry.dob.setText("03/04/2019")
    entry.nhs.setText("943 476 591")  # one digit short: the inline check says so
    form.concern.setPlainText("Amelie arrived with a bruise to the cheek and said dad hit her.")
    form.try_submit()  # consent not given yet: every problem shows at once
    form.resize(820, 980)
    _save(form, out / "contact-form.png")
    _risk_details(form, out / "contact-form-risk.png")
    form.discard()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
