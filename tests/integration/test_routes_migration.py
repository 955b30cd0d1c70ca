"""Revision i19_routes folds an existing store's route events into the new ``routes``
table: the rows equal the ones the store keeps at append time (and a rebuild gives)."""

from __future__ import annotations

import ast
import dataclasses
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from alembic import command

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import LONDON
from dutydesk.domain.events import Event
from dutydesk.domain.ids import new_id
from dutydesk.store.database import alembic_config, current_revision, head_revision
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


def test_the_migration_fills_routes_from_the_log(tmp_path: Path) -> None:
    store = EventStore.open(tmp_path / "s.sqlite3")
    try:
        for e in generate(7, 1200, now=NOW):
            store.append([e], validate=False)
        appended = store.read_model().routes
        assert len(appended) > 20
        config = alembic_config(store.engine)
        command.downgrade(config, "20261201_i21_allocated")
        command.upgrade(config, "head")
        assert current_revision(store.engine) == head_revision()
        assert store.read_model().routes == appended
        store.rebuild()
        assert store.read_model().routes == appended
    finally:
        store.close()


MIGRATION = Path(alembic_config().get_main_option("script_location") or "") / "versions"


def test_the_migration_imports_no_live_code() -> None:
    """Its fold is frozen in the module (see its docstring): a later change to
    ``domain.routes``, ``domain.projection`` or the store cannot change what it does."""
    tree = ast.parse((MIGRATION / "20261202_i19_routes.py").read_text(encoding="utf-8"))
    imported = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert imported and not {m for m in imported if m.split(".")[0] == "dutydesk"}, imported
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


def _route_rows(path: Path) -> list[tuple[object, ...]]:
    """The ``routes`` table as stored, every column as the driver gives it (JSON text
    included, byte for byte)."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT * FROM routes ORDER BY route_id").fetchall()
    finally:
        db.close()


def _every_field_log() -> list[Event]:
    """Route events that set every column the fold writes, in every way: given times
    (one written with Z, one with an offset) and times taken from the event, a worker
    kept or replaced on acceptance, a route opened again, events naming another contact
    or a route never opened, a route id that is not text."""
    at = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
    a, b = contact_payload(), contact_payload()
    ca, cb = a["contact_id"], b["contact_id"]
    r1, r2, r3 = (f"0190a0c0-0000-7000-8000-00000000000{i}" for i in range(1, 4))
    full = {
        "route_id": r1,
        "contact_id": ca,
        "kind": "marac",
        "slot": 0,
        "person_id": "0190a0c0-0000-7000-8000-0000000000a1",
        "adult_slot": 1,
        "to": "MARAC coordinator",
        "team": "IDVA",
        "worker": "w.one",
        "family_consent": "given",
        "marac": "referred",
        "notes": 'notes with \u00e9 and "quotes"',
        "opened_at": "2026-11-26T08:00:00Z",
    }
    steps: list[tuple[str, dict[str, object]]] = [
        ("route.opened", full),
        ("route.progressed", {"route_id": r1, "contact_id": ca, "step": "referred"}),
        (
            "route.progressed",
            {
                "route_id": r1,
                "contact_id": ca,
                "step": "visited",
                "at": "2026-11-26T10:00:00+01:00",
                "reason": "rang back",
            },
        ),
        (
            "route.transferred",
            {"route_id": r1, "contact_id": ca, "team": "Team B", "worker": "w.two"},
        ),
        ("route.transfer_accepted", {"route_id": r1, "contact_id": ca}),
        ("route.opened", {"route_id": r2, "contact_id": ca, "kind": "early_help"}),
        ("route.transferred", {"route_id": r2, "contact_id": ca, "team": "EH"}),
        ("route.transfer_returned", {"route_id": r2, "contact_id": ca, "reason": "not ours"}),
        ("route.transferred", {"route_id": r2, "contact_id": ca, "team": "EH 2"}),
        ("route.transfer_accepted", {"route_id": r2, "contact_id": ca, "worker": "w.three"}),
        ("route.closed", {"route_id": r2, "contact_id": ca, "reason": "done"}),
        ("route.opened", {"route_id": r3, "contact_id": cb, "kind": "lado", "slot": None}),
        ("route.closed", {"route_id": r3, "contact_id": cb, "reason": "done"}),
        ("route.opened", {"route_id": r3, "contact_id": cb, "kind": "lado", "team": "again"}),
        ("route.closed", {"route_id": r1, "contact_id": cb, "reason": "not B's"}),
        ("route.opened", {"route_id": r1, "contact_id": cb, "kind": "signpost"}),
        (
            "route.progressed",
            {
                "route_id": "0190a0c0-0000-7000-8000-0000000000ff",
                "contact_id": cb,
                "step": "referred",
            },
        ),
        ("route.closed", {"route_id": 7, "contact_id": cb, "reason": "not text"}),
    ]
    out = [event("contact.received", a, at), event("contact.received", b, at)]
    for n, (kind, payload) in enumerate(steps):  # as stored, some not valid: not checked
        when = (at + timedelta(minutes=n)).isoformat()
        out.append(
            dataclasses.replace(out[0], id=new_id(), type=kind, payload=payload, client_time=when)
        )
    return out


def test_the_migration_writes_the_live_folds_rows_on_every_field(tmp_path: Path) -> None:
    """The frozen fold against the live one (appended, then rebuilt) on every column:
    the stored rows equal byte for byte. Fails when the live fold changes: such a
    change needs a revision of its own that refolds ``routes``."""
    path = tmp_path / "s.sqlite3"
    store = EventStore.open(path)
    try:
        store.append(_every_field_log(), validate=False)
        appended = _route_rows(path)
        assert len(appended) == 3
        config = alembic_config(store.engine)
        command.downgrade(config, "20261201_i21_allocated")
        command.upgrade(config, "head")
        assert _route_rows(path) == appended
        store.rebuild()
        assert _route_rows(path) == appended
    finally:
        store.close()
