"""Screenshots of the duty window with demo data, for the README and for review.

    QT_QPA_PLATFORM=offscreen python -m dutydesk.ui.screenshots docs/screenshots

Writes main-window.png, contact-detail.png, decision-dialog.png and contact-form.png,
contact-form-risk.png (the entry form's risk details, open), and (issue 21)
followthrough-view.png, followthrough-referrers.png and strategy-dialog.png.
The demo contacts are rated by the real triage policy (resources/policy/default.toml) as
they are generated, exactly as ``python main.py --demo`` does.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from ..demo.loader import load_demo
from ..demo.synthetic import demo_actor
from ..domain.clock import FixedClock, SystemClock
from ..services.desk import DeskService
from ..services.drafts import DraftStore
from ..store.eventstore import EventStore
from .application import make_app
from .followthrough_screens import save_followthrough_screens
from .main_window import MainWindow
from .tasks import TaskRunner


def _save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path)


def _risk_details(form: Any, path: Path) -> None:
    """The entry form's risk details open, for a police domestic abuse notification."""
    from .risk_questions import set_answer

    form.danger.setCurrentIndex(1)
    form.reporter_name.setText("PC 4471 Khan")
    form.reporter_agency.setText("West Yorkshire Police")
    form.source.setCurrentIndex(form.source.findData("6"))
    form.channel.setCurrentIndex(form.channel.findData("police_notification"))
    form.concern.setPlainText("Police DA notification: partner put his hands round the "
                              "mother's neck; the child was in the room.")
    for name, value in (("injury_reported", False), ("disclosure", False),
                        ("dash_level", "high"), ("children_present", True),
                        ("strangulation", True), ("weapon", False),
                        ("previous_incidents", 2)):
        set_answer(form.risk.widgets[name], value)
    form.risk.expand()
    form.resize(820, 1900)
    scroll = form.findChild(QScrollArea)
    if scroll is not None:
        scroll.ensureWidgetVisible(form.risk)
    _save(form, path)


def build_demo(folder: Path) -> tuple[EventStore, DeskService]:
    now = SystemClock().now().replace(second=0, microsecond=0)
    store = EventStore.open(folder / "demo.sqlite3")
    # The real triage policy rates the demo as it is generated (demo.loader).
    load_demo(store, seed=7, events=12_000, clock=FixedClock(now), open_contacts=40)
    service = DeskService(store, demo_actor(), FixedClock(now))
    return store, service


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m dutydesk.ui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    app = make_app()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, service = build_demo(folder)
        top = service.queue()[0]
        edt = DeskService(store, demo_actor().__class__(
            "edt.worker", demo_actor().role, "edt-desk", "Emergency duty"), service.clock)
        edt.note_handover("Night 25–26 Nov (emergency duty team)",
                          "Police protection used overnight for a 3-year-old after a "
                          "domestic incident; placed with grandmother. Strategy discussion "
                          "needed this morning. Two DA notifications logged, both Standard.")
        service.request_partner_check(top.contact_id, "Police",
                                      "Any call-outs to the address in the last year?")
        service.request_partner_check(top.contact_id, "Health – health visitor",
                                      "Is the family known? Any missed appointments?")
        checks = service.contact_detail(top.contact_id).partner_checks  # type: ignore[union-attr]
        service.answer_partner_check(top.contact_id, checks[0].check_id,
                                     "Two DA call-outs (June, September); father arrested "
                                     "in September, no further action.", "PC 4411 Jones")
        service.add_note(top.contact_id, "Spoke to the school's safeguarding lead; the child "
                                         "is in school today.")
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        tasks = TaskRunner(synchronous=True)
        window = MainWindow(service, tasks, demo=True, store_path=folder / "demo.sqlite3",
                            drafts=DraftStore(folder / "drafts"), settings=settings)
        window.resize(1920, 1000)
        window.show()
        window.reload()
        window.select_contact(top.contact_id)
        window._load_detail()
        _save(window, out / "main-window.png")
        window.handover_dock.hide()
        window.detail_pane.resize(760, 1000)
        _save(window.detail_pane, out / "contact-detail.png")

        window.decide()
        dialog = window._dialog
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("strategy_s47"))
        dialog.level.setCurrentIndex(dialog.level.findData(4))
        dialog.boxes["concerns_and_risks"].setPlainText(
            "Repeated domestic abuse with the children present; bruise reported.")
        dialog.boxes["analysis"].setPlainText(top.concern)
        dialog.step_action.setText("Strategy discussion with police and health")
        dialog.step_owner.setText("dm.manager")
        dialog.add_step()
        dialog.update_prompts()
        dialog.resize(780, 900)
        _save(dialog, out / "decision-dialog.png")
        dialog.reject()

        form = window.new_contact()
        form.danger.setCurrentIndex(2)
        form.reporter_name.setText("Ms Ada Teacher")
        form.reporter_agency.setText("St Mary's Primary")
        form.source.setCurrentIndex(form.source.findData("2A"))
        kid = top.children[0]
        entry = form.children_entries[0]
        parts = kid.name.split(" ", 1)
        entry.given.setText(parts[0])
        entry.family.setText(parts[-1])
        if kid.date_of_birth:
            entry.dob.setText(datetime.fromisoformat(kid.date_of_birth).strftime("%d/%m/%Y"))
        entry.nhs.setText("943 476 591")
        form._look_up()
        form.concern.setPlainText("Child arrived with a bruise to the cheek.")
        form.resize(820, 980)
        _save(form, out / "contact-form.png")
        _risk_details(form, out / "contact-form-risk.png")
        form.discard()
        save_followthrough_screens(service, window, out)  # issue 21: new files only
        window.close()
        tasks.shutdown()
        store.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
