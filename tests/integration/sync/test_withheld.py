"""Issue 13, the restricted-child leak: a desk that already held a child's records when an
administrator restricted the child, without naming its login, shows nothing of them after
one sync; and ``dutydesk.withheld``, which tells it so, tells nobody anything more.

Written as the attacker: the practitioner on desk B wants the child's records back, and
any login may call ``dutydesk.withheld`` with ids of its own choosing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dutydesk.cli import main
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.errors import DomainError
from dutydesk.domain.ids import new_id
from dutydesk.mi.records import Ref
from dutydesk.reports.caselog import NothingToPrintError
from dutydesk.reports.letters import Audience, LetterError
from dutydesk.services.audit import AuditService
from dutydesk.services.match_provider import match_provider
from dutydesk.services.mi import MiService
from dutydesk.store import withheld
from tests.document_fixtures import document_service, keys_in
from tests.factories import contact_payload
from tests.integration.sync.conftest import Login, reset_server
from tests.integration.sync.test_real_desk_e2e import (
    PASSWORD,
    SignedInDesk,
    police_file,
    sign_in,
    use_server_settings,
)


@pytest.fixture
def desks(pg_server: str, make_login: Callable[[str], Login], tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    """A duty manager on desk A, a practitioner on desk B (test_real_desk_e2e's set-up)."""
    reset_server(pg_server)
    manager, practitioner = make_login("duty_manager"), make_login("practitioner")
    a = sign_in(manager, tmp_path / "a", clock)
    b = sign_in(practitioner, tmp_path / "b", clock)
    yield a, b, manager, practitioner
    a.close()
    b.close()
    reset_server(pg_server)


SECRETS = ("Aoife", "Cian", "Family0", "strangled")
GROUPS = (
    "contact_officer",
    "practitioner",
    "senior_practitioner",
    "duty_manager",
    "auditor",
    "admin",
)


def _leaks(value: object) -> list[str]:
    text = repr(value)
    return [s for s in SECRETS if s in text]


def _family_on_both(
    a: SignedInDesk, b: SignedInDesk, tmp_path: Path, clock: FixedClock
) -> tuple[str, list[str]]:
    """A police file imported on A, its first family registered and linked; B synced, so
    B holds every record before anything is restricted."""
    from dutydesk.services.importer import Importer

    Importer(a.desk.store, clock).run(  # type: ignore[arg-type]
        police_file(tmp_path, clock.now().replace(hour=2).isoformat())
    )
    top = next(i for i in a.desk.queue() if "strangled" in i.concern)
    family = []
    for kid in a.desk.queries.children_of(top.contact_id):
        pid = new_id()
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
    b.sync()
    before = b.desk.contact_detail(top.contact_id)  # B reads it before the restriction
    assert before is not None and "strangled" in before.concern
    return top.contact_id, family


def _as_admin(
    make_login: Callable[[str], Login],
    folder: Path,
    clock: FixedClock,
    act: Callable[[AuditService], object],
) -> None:
    admin = sign_in(make_login("admin"), folder, clock)
    try:
        admin.sync()
        act(AuditService(admin.desk.store))
        admin.sync()
    finally:
        admin.close()


def _b_reads_nothing(
    b: SignedInDesk, contact_id: str, family: list[str], clock: FixedClock
) -> None:
    actor = b.shared.actor
    assert not _leaks(b.desk.queue()), "the queue"
    row = next(i for i in b.desk.queue() if i.contact_id == contact_id)
    assert not _leaks(row)  # the row is kept (time, rating), its content redacted
    documents = document_service(b.desk.store, actor, clock)
    for read in (
        lambda: b.desk.contact_detail(contact_id),
        lambda: b.desk.open_contact(contact_id),
        lambda: b.desk.show_contact(contact_id),
        lambda: documents.case_log(contact_id=contact_id),
        lambda: documents.case_log(person_id=family[0]),
        lambda: documents.letter(contact_id, Audience.REFERRER),
    ):
        with pytest.raises((DomainError, NothingToPrintError, LetterError)):
            read()
    mi = MiService(b.store, clock, actor=actor)
    assert not _leaks(mi.drill([Ref(contact_id=contact_id, person_id=family[0])]))
    assert not _leaks(mi.load(with_people=True).dataset)
    found = match_provider(b.desk.store, clock)(
        {"given_name": "Aoife", "family_name": "Family0", "date_of_birth": "2025-12-02"}
    )
    assert not _leaks(found)


def _b_reads_it(b: SignedInDesk, contact_id: str) -> None:
    shown = b.desk.contact_detail(contact_id)
    assert shown is not None and "strangled" in shown.concern


def test_a_desk_that_held_the_child_before_the_restriction_shows_nothing_after_one_sync(
    desks,
    tmp_path: Path,
    clock: FixedClock,
    make_login: Callable[[str], Login],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    contact_id, family = _family_on_both(a, b, tmp_path, clock)
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: [
            audit.restrict(pid, [manager.name], "A staff member's family: named workers only.")
            for pid in family
        ],
    )
    b.sync()
    assert not [e for e in b.store.events() if e.type == "record.restricted"], (
        "the server still hides the restriction itself from B"
    )
    _b_reads_nothing(b, contact_id, family, clock)
    a.sync()
    _b_reads_it(a, contact_id)  # the named manager still reads it

    # the command line, signed in as the practitioner with the shared-mode login
    monkeypatch.setenv("DUTYDESK_PASSWORD", PASSWORD)
    use_server_settings(practitioner)
    keys_in(tmp_path / "b", practitioner.name)
    b.close()
    out_pdf = tmp_path / "leak.pdf"
    capsys.readouterr()
    assert (
        main(
            [
                "print",
                "case-log",
                "--contact",
                contact_id,
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


def test_access_granted_to_b_brings_the_records_back_on_the_next_sync(
    desks, tmp_path: Path, clock: FixedClock, make_login: Callable[[str], Login]
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    contact_id, family = _family_on_both(a, b, tmp_path, clock)
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: [
            audit.restrict(pid, [manager.name], "Named workers only.") for pid in family
        ],
    )
    b.sync()
    _b_reads_nothing(b, contact_id, family, clock)
    _as_admin(
        make_login,
        tmp_path / "d",
        clock,
        lambda audit: [
            audit.grant(pid, practitioner.name, "Allocated to the case.") for pid in family
        ],
    )
    b.sync()
    _b_reads_it(b, contact_id)
    assert withheld.held_people(b.store.engine)  # it asks about the people it holds ...
    with b.store.engine.connect() as conn:  # ... and none is withheld any more
        assert not withheld.withheld_among(conn, family)


def test_the_restriction_reissued_naming_b_brings_the_records_back(
    desks, tmp_path: Path, clock: FixedClock, make_login: Callable[[str], Login]
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    contact_id, family = _family_on_both(a, b, tmp_path, clock)
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: [
            audit.restrict(pid, [manager.name], "Named workers only.") for pid in family
        ],
    )
    b.sync()
    _b_reads_nothing(b, contact_id, family, clock)
    _as_admin(
        make_login,
        tmp_path / "d",
        clock,
        lambda audit: [
            audit.restrict(pid, [manager.name, practitioner.name], "Now B too.") for pid in family
        ],
    )
    b.sync()
    _b_reads_it(b, contact_id)


def test_b_breaking_the_glass_reads_it_and_the_server_agrees_after_sync(
    desks, tmp_path: Path, clock: FixedClock, make_login: Callable[[str], Login]
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    contact_id, family = _family_on_both(a, b, tmp_path, clock)
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: [
            audit.restrict(pid, [manager.name], "Named workers only.") for pid in family
        ],
    )
    b.sync()
    _b_reads_nothing(b, contact_id, family, clock)
    for pid in family:
        AuditService(b.desk.store).break_glass(pid, "Child at risk tonight; EDT call.")
    b.sync()  # the server took the break-glass, so it no longer withholds them
    with b.store.engine.connect() as conn:
        assert not withheld.withheld_among(conn, family)
    _b_reads_it(b, contact_id)


def _withheld(login: Login, ids: list[str]) -> set[str]:
    with psycopg.connect(login.dsn, password=PASSWORD) as conn:
        return {r[0] for r in conn.execute("SELECT dutydesk.withheld(%s::text[])", (ids,))}


@pytest.mark.parametrize("group", GROUPS)
def test_withheld_tells_a_prober_nothing_may_read_does_not(
    desks, tmp_path: Path, clock: FixedClock, make_login: Callable[[str], Login], group: str
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    _contact_id, family = _family_on_both(a, b, tmp_path, clock)
    restricted, unrestricted = family[0], family[1]
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: audit.restrict(restricted, [manager.name], "Named workers only."),
    )
    prober = make_login(group)
    made_up = [str(uuid.uuid4()) for _ in range(50)]
    junk = ["", "not-a-uuid", "' OR true --", restricted.upper(), restricted + " "]
    # made-up, malformed and unrestricted ids: nothing, exactly alike
    assert _withheld(prober, made_up) == set()
    assert _withheld(prober, junk) == set()
    assert _withheld(prober, [unrestricted]) == set()
    assert _withheld(prober, made_up + [unrestricted]) == set()
    # the restricted child: withheld exactly when may_read hides its events from the prober
    with psycopg.connect(prober.dsn, password=PASSWORD) as conn:
        hidden = (
            conn.execute(
                "SELECT count(*) FROM dutydesk.events WHERE %s = ANY (person_ids::text[])",
                (restricted,),
            ).fetchone()[0]
            == 0
        )  # type: ignore[index]
    assert _withheld(prober, [restricted] + made_up) == ({restricted} if hidden else set())
    # the named manager is never told it is withheld; the unnamed practitioner is
    assert _withheld(manager, [restricted]) == set()
    assert _withheld(practitioner, [restricted, unrestricted]) == {restricted}
    assert _withheld(prober, [restricted] * 50_000) == ({restricted} if hidden else set())
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        _withheld(prober, made_up * 1001)  # at most 50,000 at a time (0009)
    with (
        psycopg.connect(prober.dsn, password=PASSWORD) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT person_id FROM dutydesk.restrictions").fetchall()


# ---- asking only when the answer may have changed (migration 0009, issue 19) ----------------


def _record_asks(desk: SignedInDesk, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every list of ids the desk's engine sends to ``dutydesk.withheld`` from now on."""
    transport = desk.shared.engine.transport
    real = transport.withheld
    asked: list[list[str]] = []

    def recording(person_ids):  # type: ignore[no-untyped-def]
        asked.append(list(person_ids))
        return real(person_ids)

    monkeypatch.setattr(transport, "withheld", recording)
    return asked


def test_a_desk_asks_about_everyone_only_when_a_restriction_changed(
    desks,
    tmp_path: Path,
    clock: FixedClock,
    make_login: Callable[[str], Login],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    contact_id, family = _family_on_both(a, b, tmp_path, clock)
    asked = _record_asks(b, monkeypatch)
    held = set(withheld.held_people(b.store.engine))
    assert set(family) <= held
    stamp = withheld.checked(b.store.engine)
    assert stamp is not None

    # nothing changed: one call, no ids; and new events that name nobody change nothing
    b.sync()
    a.desk.store.append([a.desk.event("contact.received", contact_payload())])
    a.sync()
    b.sync()
    assert asked == [[], []]
    assert withheld.checked(b.store.engine).stamp == stamp.stamp  # type: ignore[union-attr]

    # a restriction made: the stamp moved, so every person held is asked about
    asked.clear()
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: audit.restrict(family[0], [manager.name], "Named workers only."),
    )
    b.sync()
    assert len(asked) == 2 and set(asked[1]) == held
    with b.store.engine.connect() as conn:
        assert withheld.withheld_among(conn, family) == {family[0]}
    _b_reads_nothing(b, contact_id, family, clock)

    asked.clear()
    b.sync()
    assert asked == [[]]  # and then not again

    # lifted for B (access granted): asked again, shown again
    asked.clear()
    _as_admin(
        make_login,
        tmp_path / "d",
        clock,
        lambda audit: audit.grant(family[0], practitioner.name, "Allocated to the case."),
    )
    b.sync()
    assert len(asked) == 2 and set(asked[1]) == held
    with b.store.engine.connect() as conn:
        assert not withheld.withheld_among(conn, family)
    _b_reads_it(b, contact_id)
    asked.clear()
    b.sync()
    assert asked == [[]]


def test_a_restricted_child_first_named_by_a_readable_event_is_withheld_without_a_stamp_change(
    desks,
    tmp_path: Path,
    clock: FixedClock,
    make_login: Callable[[str], Login],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    """A contact naming a restricted child becomes readable to B once the child is
    unlinked from it; B never held the child before and the restrictions did not change
    since its last answer, so only the newly named people are asked about, and the child
    is withheld all the same."""
    a, b, manager, _practitioner = desks
    a.sync()
    child = new_id()
    a.desk.store.append(
        [
            a.desk.event(
                "person.registered",
                {
                    "person_id": child,
                    "given_name": "Aoife",
                    "family_name": "Family0",
                    "date_of_birth": "2025-12-02",
                },
            )
        ]
    )
    a.sync()
    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: audit.restrict(child, [manager.name], "Named workers only."),
    )
    b.sync()
    assert child not in withheld.held_people(b.store.engine)  # hidden from B all along
    before = withheld.checked(b.store.engine)

    asked = _record_asks(b, monkeypatch)
    payload = contact_payload()
    payload["children"][0]["person_id"] = child
    payload["children"][0]["slot"] = 0
    contact = a.desk.event("contact.received", payload)
    unlink = a.desk.event(
        "person.unlinked",
        {
            "contact_id": payload["contact_id"],
            "slot": 0,
            "person_id": child,
            "reason": "Not the child this contact is about.",
        },
    )
    a.desk.store.append([contact, unlink])
    a.sync()
    b.sync()
    assert b.store.get_event(contact.id) is not None  # B reads the contact now ...
    assert b.store.get_event(unlink.id) is None  # ... not the unlinking, which names her
    assert asked == [[child]]  # only the newly named child, one round trip
    after = withheld.checked(b.store.engine)
    assert before is not None and after is not None
    assert after.stamp == before.stamp and after.upto > before.upto
    with b.store.engine.connect() as conn:
        assert withheld.withheld_among(conn, [child]) == {child}


def _stamp(login: Login) -> str:
    with psycopg.connect(login.dsn, password=PASSWORD) as conn:
        row = conn.execute("SELECT dutydesk.withheld_stamp()").fetchone()
    assert row is not None and len(row[0]) == 32
    return str(row[0])


def _as_owner(admin_dsn: str, statement: str, params: tuple[object, ...] = ()) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("SET ROLE dutydesk_owner")
        conn.execute(statement, params)  # type: ignore[arg-type]


def test_the_stamp_moves_exactly_when_a_logins_answer_may_change(
    desks, pg_server: str, tmp_path: Path, clock: FixedClock, make_login: Callable[[str], Login]
) -> None:  # type: ignore[no-untyped-def]
    a, b, manager, practitioner = desks
    _contact_id, family = _family_on_both(a, b, tmp_path, clock)
    other = make_login("practitioner")
    mine, theirs = _stamp(practitioner), _stamp(other)
    assert mine != theirs != _stamp(manager)  # per login
    assert _stamp(practitioner) == mine  # the same state, the same stamp

    a.desk.store.append([a.desk.event("contact.received", contact_payload())])
    a.sync()
    assert _stamp(practitioner) == mine  # events that restrict nothing: no change

    _as_admin(
        make_login,
        tmp_path / "c",
        clock,
        lambda audit: audit.restrict(family[0], [manager.name], "Named workers only."),
    )
    restricted = _stamp(practitioner)
    assert restricted != mine and _stamp(other) != theirs  # a restriction: everyone's
    theirs = _stamp(other)

    # B breaks the glass: B's stamp moves, the other practitioner's does not
    AuditService(b.desk.store).break_glass(family[0], "Child at risk tonight; EDT call.")
    b.sync()
    broken = _stamp(practitioner)
    assert broken != restricted and _stamp(other) == theirs
    # ... and moves back when the glass lapses (break_glass_hours, server clock)
    _as_owner(
        pg_server,
        "UPDATE dutydesk.break_glass SET opened_at = opened_at - interval '9 hours' "
        "WHERE login = %s",
        (practitioner.name,),
    )
    assert _stamp(practitioner) == restricted

    # a group granted and revoked
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'GRANT senior_practitioner TO "{practitioner.name}"')
        granted = _stamp(practitioner)
        conn.execute(f'REVOKE senior_practitioner FROM "{practitioner.name}"')
    assert granted != restricted and _stamp(practitioner) == restricted

    # the policy changed (here: break-glass hours), then put back
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("SET ROLE dutydesk_owner")
        policy = conn.execute("SELECT policy FROM dutydesk.server_policy").fetchone()[0]  # type: ignore[index]
        conn.execute(
            "UPDATE dutydesk.server_policy SET policy = policy || '{\"break_glass_hours\": 9}'"
        )
        changed = _stamp(practitioner)
        conn.execute("UPDATE dutydesk.server_policy SET policy = %s", (Jsonb(policy),))
    assert changed != restricted and _stamp(practitioner) == restricted

    # the restrictions table rewritten by any path (here: emptied) moves it too
    _as_owner(pg_server, "DELETE FROM dutydesk.restrictions")
    assert _stamp(practitioner) != restricted
