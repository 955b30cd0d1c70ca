"""Formula injection: every CSV and XLSX export neutralises text that came from input.

A cell starting with = + - @ (or a full-width form), a tab or a carriage return would be a
formula in a spreadsheet. Each export is fed such text through its real input path and the
written file is read back: no formula cell, and every such text starts with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.cells import FORMULA_STARTS, neutral
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor, make_event
from dutydesk.domain.triage.evaluation import Evaluation, GroupRow
from dutydesk.domain.triage.evaluation import write_csv as write_evaluation_csv
from dutydesk.mi import annex_a
from dutydesk.mi.dataset import prepare
from dutydesk.mi.figures import compute_all
from dutydesk.mi.records import Filters
from dutydesk.mi.report import write_csv as write_figures_csv
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.importer import ImportOptions
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for
from tests.factories import importer
from tests.unit.mi.builders import History, child, pid

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
LINK = '=HYPERLINK("http://example.invalid/x","Click")'
HOSTILE = [LINK, "+1+2", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR", "\uff1dSUM(1)"]
EVERYTHING = Filters(date(2000, 1, 1), date(2030, 12, 31))


def _risky(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_STARTS


def test_neutral_rules() -> None:
    for text in HOSTILE:
        assert neutral(text) == "'" + text
    assert neutral("Locality 4") == "Locality 4" and neutral("") == ""
    assert neutral(-1) == -1 and neutral(None) is None  # numbers are not input text


def _csv_cells(path: Path, encoding: str = "utf-8") -> list[str]:
    with path.open(encoding=encoding, newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _xlsx_cells(path: Path) -> list[object]:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = openpyxl.load_workbook(path)  # formulas as formulas (not data_only)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                out.append(cell.value)
    return out


def test_annex_a_list_3_from_an_imported_workbook_carries_no_live_formula(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    # The finding: an imported "Allocated Team" =HYPERLINK(...) came out live.
    wb = openpyxl.load_workbook(SAMPLES / "Annex_A.xlsx")
    ws = wb["List 3"]
    headings = [c.value for c in ws[1]]
    team = ws.cell(row=2, column=headings.index("Allocated Team") + 1)
    team.value = LINK
    team.data_type = "s"  # a text cell, as a hostile partner would send it
    hostile = tmp_path / "annex.xlsx"
    wb.save(hostile)
    report = importer(store, clock).run(hostile)
    assert report.rows_ok == report.rows and report.rows_ok > 0
    assert LINK in {c.team for c in store.read_model().contacts.values()}
    service = MiService(store, clock, actor=demo_actor(), signer=signer_for(demo_actor().login))
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"list3.{fmt}"
        assert service.export_annex_a(out, 3, fmt, EVERYTHING) == 6
        cells = _xlsx_cells(out) if fmt == "xlsx" else _csv_cells(out)
        texts = [c for c in cells if isinstance(c, str)]
        assert "'" + LINK in texts, fmt
        assert not any(_risky(t) for t in texts), fmt


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("list_no", [1, 3])
def test_every_annex_a_list_neutralises_every_text_cell(
    tmp_path: Path, fmt: str, list_no: int
) -> None:
    h = History()
    for n, text in enumerate(HOSTILE):
        cid = h.refer(f"2026-10-0{n + 1} 10:00", pid(), team=text)
        h.assign(cid, f"2026-10-0{n + 1} 11:00", text)
    h.contact("2026-10-09 10:00", children=[child(pid())], office="-North", team="@T")
    data = h.mi_input()
    out = tmp_path / f"list{list_no}.{fmt}"
    annex_a.export(out, list_no, fmt, data, prepare(data), EVERYTHING)
    cells = _xlsx_cells(out) if fmt == "xlsx" else _csv_cells(out)
    texts = [c for c in cells if isinstance(c, str)]
    assert not any(_risky(t) for t in texts)
    if list_no == 3:
        for text in HOSTILE:
            if text.strip() == text:  # event validation strips leading tabs and CRs
                assert texts.count("'" + text) >= 2, text  # team and worker


def test_mi_figures_csv_neutralises_office_team_and_worker_labels(tmp_path: Path) -> None:
    h = History()
    cid = h.refer("2026-10-01 10:00", pid(), office="=1+1", team="+A")
    h.assign(cid, "2026-10-01 11:00", "@worker")
    open_one = h.contact("2026-10-02 10:00", office="=1+1", team="+A")
    h.assign(open_one, "2026-10-02 11:00", "@worker")
    ds = prepare(h.mi_input())
    period = Filters(date(2026, 10, 1), date(2026, 10, 31), office="=1+1")
    figures = compute_all(ds, period, datetime(2026, 10, 31, 12, tzinfo=LONDON))
    buffer = io.StringIO()
    write_figures_csv(buffer, figures, period)
    cells = [c for row in csv.reader(io.StringIO(buffer.getvalue())) for c in row]
    assert "'=1+1 / +A" in cells and "'=1+1" in cells and "'@worker" in cells
    assert not any(_risky(c) for c in cells)


def test_import_rejects_csv_neutralises_values_and_headings(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    from tests.integration.intake.test_partner_files import GOOD, HEADER

    bad = GOOD.replace("PPN-001", "=cmd|' /C calc'!A0").replace("03/04/2019", "03/04/2030")
    src = tmp_path / "ppn.csv"
    src.write_text("\r\n".join([HEADER + ",@extra", bad + ",-x"]), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    report = importer(store, clock).run(src, ImportOptions(rejects=rejects))
    assert report.rows_rejected == 1
    cells = _csv_cells(rejects, "utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in cells and "'@extra" in cells and "'-x" in cells
    assert not any(_risky(c) for c in cells)


def test_audit_csv_neutralises_names_from_other_desks(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    # An event synchronised from another desk names its actor; the export writes it.
    store.append(
        [
            make_event(
                "document.printed",
                {"document": "decision log"},
                actor="=evil",
                actor_role=Role.DUTY_MANAGER.value,
                device="d",
                at=clock.now(),
            )
        ]
    )
    auditor = AuditService(
        GuardedStore(store, Actor("au.ditor", Role.AUDITOR, "desk"), clock),
        signer=signer_for("au.ditor"),
    )
    out = tmp_path / "audit.csv"
    assert auditor.export_csv_file(AuditFilter(), out) >= 1
    cells = _csv_cells(out)
    assert "'=evil" in cells and not any(_risky(c) for c in cells)


def test_triage_evaluation_csv_neutralises_group_labels(tmp_path: Path) -> None:
    ev = Evaluation(
        groups=[
            GroupRow(
                dimension="ethnicity",
                group="=WBRI",
                children=1,
                by_rating={"red": 1, "amber": 0, "green": 0, "blue": 0, "unrated": 0},
                urgent_rate=1.0,
                disparity=None,
            )
        ]
    )
    out = tmp_path / "evaluation.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        write_evaluation_csv(fh, ev)
    cells = _csv_cells(out)
    assert "'=WBRI" in cells and not any(_risky(c) for c in cells)
