"""Issue 13, done-when: the real desk end to end on a real PostgreSQL server.

Two desks signed in as different people (a duty manager on A, a practitioner on B):
a police file imported on A is rated and ranked on both desks before any restart, the
server accepts every imported event (they are the importer's, not an ``import`` actor's),
B proposes a decision, A signs it off, and the server's audit chain is intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from dutydesk.cli import main
from dutydesk.config.settings import Settings, save
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.queue import order_key
from dutydesk.paths import STORE_FILE, default_config_dir
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.importer import Importer
from dutydesk.services.local_store import open_local_store
from dutydesk.services.triage import TriageService
from dutydesk.shared_mode import SharedSession, connect_shared
from dutydesk.store.chain import ChainedEventStore
from dutydesk.sync.pg import admin
from tests.document_fixtures import keys_in
from tests.integration.sync.conftest import Login, reset_server

PASSWORD = "a long test password"  # make_login's
RATIONALE = {
    "concerns_and_risks": "Repeated domestic abuse with strangulation; children present.",
    "strengths_and_protective_factors": "Mother engaged with the police; wants support.",
    "analysis": "High DASH risk and a baby in the home: the threshold for a strategy "
    "discussion is met.",
    "next_steps": [{"action": "Strategy discussion today; section 47 enquiry to follow."}],
    "consent_and_information_sharing": "Not sought: it could increase the risk.",
}


@dataclass
class SignedInDesk:
    shared: SharedSession
    store: ChainedEventStore
    desk: DeskService
    closed: bool = False

    @property
    def login(self) -> str:
        return self.shared.actor.login

    def sync(self) -> None:
        report = self.shared.engine.sync(force=True)
        assert report.online and report.rejected == 0, report

    def close(self) -> None:
        if not self.closed:
            self.shared.engine.transport.close()
            self.store.close()
        self.closed = True


def sign_in(login: Login, folder: Path, clock: FixedClock) -> SignedInDesk:
    folder.mkdir()
    store = open_local_store(folder / STORE_FILE)  # encrypted, as an installed desk
    shared = connect_shared(login.dsn, PASSWORD, store, clock)
    guarded = GuardedStore(store, shared.actor, clock)
    desk = DeskService(
        guarded, shared.actor, clock, triage=TriageService(guarded, shared.actor, clock)
    )
    desk.queue()  # the window is open before anything arrives
    return SignedInDesk(shared, store, desk)


def police_file(folder: Path, received_at: str) -> Path:
    rows = []
    for n, (names, dash) in enumerate(
        [
            ((("Aoife", "2025-12-02"), ("Cian", "2019-05-14")), "high"),
            ((("Maya", "2014-01-20"),), "standard"),
            ((("Leo", "2022-08-08"), ("Ada", "2012-03-03")), "medium"),
        ]
    ):
        rows.append(
            {
                "received_at": received_at,
                "channel": "police_notification",
                "source_code": "6",
                "external_ref": f"DA/2026/77{n:03d}",
                "reporter": {"name": "PC 4471 Okafor", "agency": "West Yorkshire Police"},
                "children": [
                    {"given_name": g, "family_name": f"Family{n}", "date_of_birth": d, "sex": "b"}
                    for g, d in names
                ],
                "concern": "Father strangled mother in front of the children."
                if n == 0
                else "Verbal argument reported by a neighbour; children asleep.",
                "categories": ["3B"],
                "consent": "not_sought",
                "immediate_danger": False,
                "domestic_abuse": {
                    "dash_level": dash,
                    "children_present": n == 0,
                    "previous_incidents": 4 - n,
                    "incident_ref": f"DA/2026/77{n:03d}",
                },
            }
        )
    path = folder / "police.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    return path


@pytest.fixture
def desks(pg_server: str, make_login: Callable[[str], Login], tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    reset_server(pg_server)  # an empty log: the chain verified below is this test's alone
    manager, practitioner = make_login("duty_manager"), make_login("practitioner")
    a = sign_in(manager, tmp_path / "a", clock)
    b = sign_in(practitioner, tmp_path / "b", clock)
    yield a, b, manager, practitioner
    a.close()
    b.close()
    reset_server(pg_server)


def _assert_rated_and_ranked(desk: DeskService, contact_ids: set[str]) -> None:
    queue = desk.queue()
    shown = {i.contact_id: i for i in queue}
    assert contact_ids <= set(shown)
    assert all(shown[c].rating for c in contact_ids)
    assert [order_key(i) for i in queue] == sorted(order_key(i) for i in queue)


def test_import_on_a_rated_on_both_decided_on_b_signed_off_on_a(
    desks,
    pg_server: str,
    tmp_path: Path,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    report = Importer(a.desk.store, clock).run(  # type: ignore[arg-type]
        police_file(tmp_path, clock.now().replace(hour=2).isoformat())
    )
    assert report.rows_ok == 3 and report.contacts_rated == 3, report.lines()
    imported = {e.contact_id for e in a.store.events() if e.type == "contact.received"}
    assert len(imported) == 3
    assert {e.actor for e in a.store.events()} == {a.login}
    _assert_rated_and_ranked(a.desk, imported)  # on A, at once

    a.sync()  # was: every imported event refused (actor "import"), then gone from the desk
    assert a.shared.engine.state.rejected_count() == 0
    assert imported <= {i.contact_id for i in a.desk.queue()}  # still there after sync

    b.sync()
    _assert_rated_and_ranked(b.desk, imported)  # on B, before any restart
    assert not [
        e
        for e in b.store.events()
        if e.type == "contact.rated" and e.actor == b.login and e.contact_id in imported
    ], "B re-rated what A had rated with the same policy"
    top = next(i for i in b.desk.queue() if i.contact_id in imported)
    assert top.rating == "red" and "strangled" in top.concern

    decision_id, _ = b.desk.decide(top.contact_id, "strategy_s47", 4, RATIONALE)
    b.sync()
    a.sync()
    a.desk.sign_off(top.contact_id, decision_id, "Agreed: strategy discussion at 11:00.")
    a.sync()
    b.sync()
    [decision] = b.desk.queries.decisions_for(top.contact_id)
    assert (decision.status, decision.decided_by, decision.signed_off_by) == (
        "signed_off",
        b.login,
        a.login,
    )

    # print and verify the case log from the command line, signed in with the shared-mode
    # login (the password from the environment, never an argument); people are named
    # from the server's directory, the login beside the name
    admin.add_user(pg_server, manager.name, "duty_manager", None, display_name="Dana Achebe")
    admin.add_user(pg_server, practitioner.name, "practitioner", None, display_name="Pat Okoro")
    monkeypatch.setenv("DUTYDESK_PASSWORD", PASSWORD)
    use_server_settings(manager)
    keys_in(tmp_path / "a", manager.name)  # the manager's signing key, issued to this desk
    a.close()
    log = tmp_path / "case-log.pdf"
    capsys.readouterr()
    assert (
        main(
            [
                "print",
                "case-log",
                "--contact",
                top.contact_id,
                "-o",
                str(log),
                "--data-dir",
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(log)).pages).split())
    assert f"Decided by Pat Okoro ({practitioner.name}, Practitioner)" in text
    assert f"Signed off by Dana Achebe ({manager.name}, Duty manager)" in text
    assert main(["verify", str(log), "--data-dir", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "MATCHES THE RECORD" in out and f"printed by Dana Achebe ({manager.name})" in out

    # the audit from the command line, signed in the same way (it took a local account
    # only, which a shared-mode desk does not have), by name
    assert (
        main(["audit", "list", "--data-dir", str(tmp_path / "a"), "--type", "decision.proposed"])
        == 0
    )
    assert f"{practitioner.name}\tPat Okoro\tpractitioner" in capsys.readouterr().out
    reopened = open_local_store(tmp_path / "a" / STORE_FILE)
    [printed] = [e for e in reopened.events() if e.type == "document.exported"]
    reopened.close()
    assert (printed.actor, printed.actor_role) == (manager.name, "duty_manager")

    assert main(["audit", "verify", "--server", "--dsn", manager.dsn]) == 0
    assert "intact" in capsys.readouterr().out


def use_server_settings(login: Login) -> None:
    """This machine's settings name the test server and the login (shared mode)."""
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(login.dsn)
    folder = default_config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    save(
        folder / "settings.json",
        Settings(
            server_host=str(parts.get("host") or "localhost"),
            server_port=int(parts.get("port") or 5432),
            server_database=str(parts["dbname"]),
            server_user=login.name,
            server_sslmode="disable",
        ),
    )


SECRETS = ("Aoife", "Cian", "Family0", "strangled")


def _leaks(value: object) -> list[str]:
    text = repr(value)
    return [s for s in SECRETS if s in text]


def test_the_same_scenario_with_a_restricted_child_leaks_nothing_on_any_path(
    desks,
    tmp_path: Path,
    clock: FixedClock,
    make_login: Callable[[str], Login],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    """Done-when, second half: a police file imported on A; the family is registered and
    restricted to the duty manager on A by an administrator on a third desk; B (a
    practitioner, not named) reads nothing of it on any path: queue, detail, opening, the
    detail pane's showing (and no view recorded), case log, letter, MI drill-down, audit
    trail, matching, the command line. A, named, still reads it.

    A desk that pulled the family's records *before* the restriction (the server hides the
    ``record.restricted`` event itself from people not named on it) is covered in
    ``test_withheld.py``: the desk asks ``dutydesk.withheld`` after each pull."""
    from dutydesk.domain.errors import DomainError
    from dutydesk.domain.ids import new_id
    from dutydesk.mi.records import Ref
    from dutydesk.reports.caselog import NothingToPrintError
    from dutydesk.reports.letters import Audience, LetterError
    from dutydesk.services.audit import AuditFilter, AuditService
    from dutydesk.services.match_provider import match_provider
    from dutydesk.services.mi import MiService
    from tests.document_fixtures import document_service

    a, b, manager, practitioner = desks
    Importer(a.desk.store, clock).run(  # type: ignore[arg-type]
        police_file(tmp_path, clock.now().replace(hour=2).isoformat())
    )
    top = next(i for i in a.desk.queue() if "strangled" in i.concern)
    family = []
    for kid in a.desk.queries.children_of(top.contact_id):
        pid = new_id()  # the children are registered and linked (a restriction is a person's)
        a.desk.store.append(
            [
                a.desk.event(
                    "person.registered",
                    {
                        "person_id": pid,
                        "given_name": kid.given_name,
                        "family_name": kid.family_name,
                        "date_of_birth": kid.date_of_birth,
                    },
                ),
                a.desk.event(
                    "person.linked",
                    {"contact_id": top.contact_id, "slot": kid.slot, "person_id": pid},
                ),
            ]
        )
        family.append(pid)
    a.sync()

    admin = sign_in(make_login("admin"), tmp_path / "c", clock)
    try:
        admin.sync()
        for pid in family:
            AuditService(admin.desk.store).restrict(
                pid, [manager.name], "A staff member's family: named workers only."
            )
        admin.sync()
    finally:
        admin.close()
    a.sync()
    b.sync()

    actor = b.shared.actor
    assert not _leaks(b.desk.queue()), "the queue"
    documents = document_service(b.desk.store, actor, clock)
    for read in (
        lambda: b.desk.contact_detail(top.contact_id),
        lambda: b.desk.open_contact(top.contact_id),
        lambda: b.desk.show_contact(top.contact_id),
        lambda: documents.case_log(contact_id=top.contact_id),
        lambda: documents.case_log(person_id=family[0]),
        lambda: documents.letter(top.contact_id, Audience.REFERRER),
    ):
        try:
            value = read()
        except (DomainError, NothingToPrintError, LetterError):
            continue  # refused (restricted, or never received): nothing shown
        assert value is None, value
    assert not [e for e in b.store.events() if e.type == "record.viewed"]
    mi = MiService(b.store, clock, actor=actor)
    assert not _leaks(mi.drill([Ref(contact_id=top.contact_id, person_id=family[0])]))
    assert not _leaks(mi.load(with_people=True).dataset)
    with pytest.raises(DomainError):  # a practitioner reads no audit trail at all
        AuditService(b.desk.store).query(AuditFilter())
    found = match_provider(b.desk.store, clock)(
        {"given_name": "Aoife", "family_name": "Family0", "date_of_birth": "2025-12-02"}
    )
    assert not _leaks(found)

    named = a.desk.contact_detail(top.contact_id)  # the named manager still reads it
    assert named is not None and "strangled" in named.concern

    # the command line, signed in as the practitioner with the shared-mode login
    monkeypatch.setenv("DUTYDESK_PASSWORD", PASSWORD)
    use_server_settings(practitioner)
    keys_in(tmp_path / "b", practitioner.name)  # refused for the record, not for a key
    b.close()
    out_pdf = tmp_path / "leak.pdf"
    capsys.readouterr()
    assert (
        main(
            [
                "print",
                "case-log",
                "--contact",
                top.contact_id,
                "-o",
                str(out_pdf),
                "--data-dir",
                str(tmp_path / "b"),
            ]
        )
        != 0
    )
    said = capsys.readouterr()
    assert not out_pdf.exists() and not _leaks(said.out + said.err)
