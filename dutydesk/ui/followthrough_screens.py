"""Screenshots of the follow-through view and the strategy discussion form (issue 21),
made by ``python -m dutydesk.ui.screenshots OUTDIR`` beside the window's own pictures:
followthrough-view.png, followthrough-awaiting.png, followthrough-referrers.png and
strategy-dialog.png."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from ..services.desk import DeskService
from ..services.followthrough import FollowThroughService
from .followthrough_view import FollowThroughWindow
from .strategy_dialog import StrategyDialog, lead_choices
from .tasks import TaskRunner


def _save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path)


def follow_through_day(service: DeskService) -> FollowThroughService:
    """A morning's follow-through on the demo queue: strategy discussion with police
    protection overnight, early help for a sibling, a LADO referral, an acknowledgement."""
    follow = FollowThroughService(
        service.store,
        service.actor,
        service.clock,
        service.triage.policy.office,
        directory=service.people,
    )
    now = service.clock.now()
    queue = service.queue()
    family = next((q for q in queue if len(q.children) >= 2), queue[0])
    others = [q for q in queue if q.contact_id != family.contact_id]
    cid = family.contact_id
    _overnight_strategy(follow, service, cid, now)
    if len(family.children) >= 2:
        follow.open_route(
            cid,
            "early_help",
            slot=family.children[1].slot,
            team="Early Help North",
            family_consent="given",
        )
    mum, _ = follow.record_adult(
        cid, "victim", given_name="Jo", family_name="Parent", relationship="mother"
    )
    follow.open_route(cid, "marac", adult_slot=mum, marac="referred")
    follow.acknowledge(cid, "acknowledgement", "email", to="PC Rivers")
    if others:
        school = others[0].contact_id
        teacher, _ = follow.record_adult(
            school,
            "works_with_children",
            given_name="Tom",
            family_name="Reed",
            occupation="Teacher",
        )
        follow.open_route(school, "lado", adult_slot=teacher)
    if len(others) > 1:
        pf = others[1]
        follow.open_route(pf.contact_id, "private_fostering", slot=pf.children[0].slot)
    return follow


def _overnight_strategy(
    follow: FollowThroughService, service: DeskService, cid: str, now: datetime
) -> None:
    """A strategy discussion held overnight: joint s47, a medical, police protection."""
    follow.record_strategy_discussion(
        cid,
        slots=[0],
        held_at=now - timedelta(hours=10),
        decision="s47_joint",
        attendees=[
            {
                "agency": "Children's social care",
                "name": service.people().name_of(service.actor.login),
            },
            {"agency": "Police", "name": "DS Khan", "role": "CAIT"},
            {"agency": "Health", "name": "Dr Osei", "role": "named doctor"},
        ],
        s47_started_on=(now - timedelta(hours=10)).date(),
        medical="arranged",
        medical_at=now + timedelta(hours=3),
        police_protection={
            "started_at": now - timedelta(hours=11),
            "where": "emergency foster placement",
        },
        lead_social_worker="sw.practitioner",
        summary="Joint visit this morning.",
    )


def save_followthrough_screens(service: DeskService, window: Any, out: Path) -> None:
    follow = follow_through_day(service)
    tasks = TaskRunner(synchronous=True)
    view = FollowThroughWindow(follow, tasks)
    view.resize(1500, 720)
    view.show()
    view.reload()
    _save(view, out / "followthrough-view.png")
    view.tabs.setCurrentWidget(view.awaiting)
    _save(view, out / "followthrough-awaiting.png")
    view.tabs.setCurrentWidget(view.acks)
    _save(view, out / "followthrough-referrers.png")
    view.close()
    top = service.queue()[0]
    dialog = StrategyDialog(
        [(c.slot, c.name) for c in top.children],
        service.clock.now(),
        lead=service.actor.login,
        people=lead_choices(service.people(), service.actor.login),
        parent=window,
    )
    dialog.child_boxes[top.children[0].slot].setChecked(True)
    for column, text in ((1, "DS Khan"), (2, "CAIT")):
        cell = dialog.attendees.item(1, column)  # the police row the dialog starts with
        if cell is not None:
            cell.setText(text)
    dialog.decision.setCurrentIndex(dialog.decision.findData("s47_joint"))
    dialog.medical.setCurrentIndex(dialog.medical.findData("arranged"))
    dialog.police.setChecked(True)
    dialog.police_where.setText("emergency foster placement")
    dialog.summary.setPlainText(
        "Police attended overnight; child taken into police "
        "protection at 22:30. Joint visit and medical today."
    )
    dialog.resize(860, 940)
    dialog.show()
    _save(dialog, out / "strategy-dialog.png")
    dialog.reject()
    tasks.shutdown()
