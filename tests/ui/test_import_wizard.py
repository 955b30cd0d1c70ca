"""The import wizard previews a file with its errors, then imports it."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QWizard

from dutydesk.domain.clock import FixedClock
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.import_wizard import ImportWizard
from dutydesk.ui.tasks import TaskRunner
from tests.factories import signed_in
from tests.integration.intake.test_partner_files import BAD_ROWS, GOOD, HEADER


def shots_dir(tmp_path: Path) -> Path:
    """Screenshots go to a temporary folder unless DUTYDESK_SCREENSHOTS names one
    (``DUTYDESK_SCREENSHOTS=docs/screenshots`` refreshes the README's pictures)."""
    return Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tmp_path)


def test_wizard_preview_then_import(
    qtbot,
    store: EventStore,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "ppn.csv"
    lines = [HEADER, GOOD, BAD_ROWS["future dob"][0], BAD_ROWS["bad nhs"][0]]
    path.write_text("\n".join(lines), encoding="utf-8")
    wizard = ImportWizard(signed_in(store, clock), clock, TaskRunner(synchronous=True))
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.choose.path.setText(str(path))
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()
    assert store.event_count() == 0  # the preview is a dry run
    assert wizard.preview.rows.rowCount() == 3
    assert wizard.preview.errors.rowCount() == 2
    assert wizard.preview.errors.item(0, 1).text() == "Child1 DOB"
    assert "in the future" in wizard.preview.errors.item(0, 3).text()
    SHOTS = shots_dir(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    wizard.grab().save(str(SHOTS / "import-wizard-preview.png"))
    wizard.next()
    assert wizard.run_page.report is not None
    assert wizard.run_page.report.rows_ok == 1
    assert store.event_count() == 2  # the contact and its rating
    assert "rejected 2" in wizard.run_page.status.text()
    wizard.grab().save(str(SHOTS / "import-wizard-done.png"))


def test_preview_of_a_refused_file_cannot_go_on(
    qtbot,
    store: EventStore,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Name,Age\nTom,7\n", encoding="utf-8")
    wizard = ImportWizard(signed_in(store, clock), clock, TaskRunner(synchronous=True))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.choose.path.setText(str(path))
    wizard.next()
    assert "REFUSED" in wizard.preview.summary.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
