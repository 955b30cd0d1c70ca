"""Issue 13, item 4: one guarded read path. Every public method of every service that
reads records is called as a duty manager who is not named on a restricted child's
record; none may return the child's name or the concern (a refusal is fine).

The test enumerates the services' public methods: a new method must be listed here as a
read (with a call) or a write, so nobody adds a read path that skips the guard.

Before: the management-information drill-down showed the restricted child's name to a
duty manager without access, and redaction was decided by ``isinstance`` on the store, so
a service handed the plain store redacted nothing.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.mi.records import Ref
from dutydesk.reports.letters import Audience
from dutydesk.services.audit import AuditFilter, AuditService
from dutydesk.services.desk import DeskService
from dutydesk.services.documents import Document, DocumentService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.links import LinkService
from dutydesk.services.match_provider import match_provider
from dutydesk.services.mi import MiService
from dutydesk.services.triage import TriageService
from dutydesk.store import pending_links
from dutydesk.store.chain import ChainedEventStore
from tests.document_fixtures import document_service, signer_for
from tests.factories import contact_payload, decision_payload, event

SECRETS = ("Zoë", "Quinn", "staff member's daughter", "LS9 7QQ")
NAMED = "someone.else"
DM = Actor("dm.other", Role.DUTY_MANAGER, "desk-x")


@dataclass
class World:
    store: ChainedEventStore
    clock: FixedClock
    person_id: str
    contact_id: str
    decision_id: str


@pytest.fixture
def world(tmp_path: Path, clock: FixedClock) -> World:
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    pid, at = new_id(), clock.now() - timedelta(hours=2)
    body = contact_payload(
        concern="Concern about a staff member's daughter: bruising seen at school.",
        office="Leeds North",
        team="Duty A",
        children=[
            {
                "person_id": pid,
                "given_name": "Zoë",
                "family_name": "Quinn",
                "date_of_birth": "2016-02-02",
                "sex": "b",
                "postcode": "LS9 7QQ",
            }
        ],
    )
    cid = body["contact_id"]
    decision = decision_payload(cid, outcome="cin_assessment")
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": pid,
                    "given_name": "Zoë",
                    "family_name": "Quinn",
                    "date_of_birth": "2016-02-02",
                    "postcode": "LS9 7QQ",
                },
                at,
            ),
            event("contact.received", body, at),
            event(
                "contact.rated",
                {
                    "contact_id": cid,
                    "score": 70,
                    "rating": "red",
                    "reasons": [{"text": "Injury to a child", "points": 40}],
                    "policy_version": "t",
                },
                at,
            ),
            event("decision.recorded", decision, at, actor=NAMED, role=Role.SENIOR_PRACTITIONER),
            event(
                "decision.amended",
                {
                    "decision_id": decision["decision_id"],
                    "contact_id": cid,
                    "reason": "Zoë Quinn told her teacher more today.",
                },
                at,
                actor=NAMED,
                role=Role.SENIOR_PRACTITIONER,
            ),
            event(
                "record.restricted",
                {"person_id": pid, "allowed": [NAMED], "reason": "staff relative"},
                at,
                actor="ad.min",
                role=Role.ADMIN,
            ),
        ]
    )
    # another child, of a like name: a likely match waiting for a person to confirm
    other = contact_payload(
        children=[
            {"given_name": "Zoe", "family_name": "Quin", "date_of_birth": "2016-02-02", "sex": "b"}
        ]
    )
    store.append([event("contact.received", other, clock.now())])
    pending_links.add(
        store.engine,
        [
            pending_links.PendingLinkRow(
                other["contact_id"],
                0,
                pid,
                90,
                ("family_name", "date_of_birth"),
                "t.csv",
                clock.now().isoformat(),
            )
        ],
    )
    return World(store, clock, pid, cid, decision["decision_id"])


def _text(value: Any) -> str:
    if isinstance(value, Document):
        pdf = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(value.pdf)).pages)
        return pdf + repr(value.title)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return repr(value)


Call = Callable[[Any, World], Any]

# What each read method is called with (plain store in: the service must guard itself).
READS: dict[type, dict[str, Call]] = {
    DeskService: {
        "queue": lambda s, w: s.queue(),
        "changes_since": lambda s, w: s.changes_since(0),
        "contact_detail": lambda s, w: s.contact_detail(w.contact_id),
        "open_contact": lambda s, w: s.open_contact(w.contact_id),
        "show_contact": lambda s, w: s.show_contact(w.contact_id),
        "people": lambda s, w: s.people().entries,
        "restricted_people": lambda s, w: s.restricted_people(w.contact_id),
        "suggest_matches": lambda s, w: s.suggest_matches(
            given_name="Zoë", family_name="Quinn", date_of_birth="2016-02-02"
        ),
        "handovers": lambda s, w: s.handovers(),
        "last_seq": lambda s, w: s.last_seq(),
        "keep_ratings_current": lambda s, w: s.keep_ratings_current(),
        "event": lambda s, w: s.event("note.added", {"contact_id": w.contact_id, "text": "x"}),
    },
    DocumentService: {
        "case_log": lambda s, w: s.case_log(person_id=w.person_id),
        "duty_log": lambda s, w: s.duty_log(
            date(2026, 11, 1), date(2026, 11, 30), office="Leeds North"
        ),
        "letter": lambda s, w: s.letter(w.contact_id, Audience.REFERRER),
        "verify": lambda s, w: s.verify(b"%PDF-1.4 not a real one"),
        "names": lambda s, w: s.names(),  # staff names from the people directory
        "verify_file": lambda s, w: s.verify_file(Path(__file__)),  # no signature beside it
        "trust_and_revocations": lambda s, w: s.trust_and_revocations(),
        "trust": lambda s, w: s.trust,  # the authorities verification trusts (certificates)
    },
    MiService: {
        "default_filters": lambda s, w: s.default_filters(),
        "load": lambda s, w: s.load(with_people=True).dataset,
        "figures": lambda s, w: s.figures(s.load(s.default_filters()), s.default_filters()),
        "drill": lambda s, w: s.drill([Ref(contact_id=w.contact_id, person_id=w.person_id)]),
        "names": lambda s, w: s.names(),  # staff names from the people directory
        "forget_export_data": lambda s, w: s.forget_export_data(),  # drops, returns nothing
    },
    LinkService: {"pending": lambda s, w: s.pending()},
    AuditService: {
        "query": lambda s, w: s.query(AuditFilter()),
        "break_glass_report": lambda s, w: s.break_glass_report(),
        "export_csv": lambda s, w: _csv(s),
        "verify": lambda s, w: s.verify(),
        "quarantined": lambda s, w: s.quarantined(),
    },
    TriageService: {
        "on_arrival": lambda s, w: s.on_arrival(
            {"contact_id": w.contact_id, "immediate_danger": True}, w.clock.now()
        ),
        "score": lambda s, w: s.score(w.contact_id),
        "score_open": lambda s, w: s.score_open(),
        "score_contacts": lambda s, w: s.score_contacts([w.contact_id]),
        "may_rate": lambda s, w: s.may_rate,
    },
}
# Methods that write (checked by the permission matrix), not reads.
WRITES: dict[type, set[str]] = {
    DeskService: {
        "break_glass",
        "record_contact",
        "take",
        "assign",
        "override_rating",
        "request_partner_check",
        "answer_partner_check",
        "add_note",
        "decide",
        "sign_off",
        "amend_decision",
        "return_proposal",
        "note_handover",
        "acknowledge_handover",
        "record_consent",
        "share_without_consent",
    },
    DocumentService: {"record_printed", "record_exported", "export_to_file", "record_previewed"},
    MiService: {"export_annex_a", "export_cin_census"},
    LinkService: {"confirm", "dismiss"},
    AuditService: {
        "record_view",
        "record_print",
        "record_export",
        "record_disclosure",
        "break_glass",
        "restrict",
        "grant",
        "export_csv_file",
        "export_quarantine_csv_file",  # writes what `quarantined` (a checked read) returns
    },
    TriageService: {
        "rate",
        "rate_where_changed",
        "rate_all_open",
        "recheck_after_scoring_fix",
        "override",
    },
}


def _csv(service: AuditService) -> str:
    out = io.StringIO()
    service.export_csv(AuditFilter(), out)
    return out.getvalue()


def _service(cls: type, w: World) -> Any:
    if cls is DeskService:
        return DeskService(w.store, DM, w.clock)
    if cls is DocumentService:
        return document_service(w.store, DM, w.clock)
    if cls is MiService:
        return MiService(w.store, w.clock, actor=DM, signer=signer_for(DM.login))
    if cls is LinkService:
        return LinkService(GuardedStore(w.store, DM, w.clock), w.clock)
    if cls is AuditService:
        return AuditService(GuardedStore(w.store, DM, w.clock), signer=signer_for(DM.login))
    return TriageService(GuardedStore(w.store, DM, w.clock), DM, w.clock)


@pytest.mark.parametrize("cls", list(READS), ids=lambda c: c.__name__)
def test_every_public_method_is_listed_as_a_read_or_a_write(cls: type) -> None:
    public = {
        n
        for n, _ in inspect.getmembers(cls)
        if not n.startswith("_")
        and (callable(getattr(cls, n)) or isinstance(getattr(cls, n), property))
    }
    assert public - set(READS[cls]) - WRITES[cls] == set(), "list new methods in READS/WRITES"


@pytest.mark.parametrize(
    "cls,name",
    [(c, n) for c, calls in READS.items() for n in calls],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_no_read_returns_the_restricted_childs_content(world: World, cls: type, name: str) -> None:
    service = _service(cls, world)
    try:
        result = READS[cls][name](service, world)
    except PermissionDenied:
        return  # refused: nothing shown (a RestrictedRecord is a PermissionDenied)
    text = _text(result)
    assert not [s for s in SECRETS if s in text], f"{cls.__name__}.{name} leaked: {text[:400]}"


def test_the_match_provider_hides_the_restricted_child(world: World) -> None:
    provide = match_provider(GuardedStore(world.store, DM, world.clock), world.clock)
    found = provide({"given_name": "Zoë", "family_name": "Quinn", "date_of_birth": "2016-02-02"})
    assert found and not [s for s in SECRETS if s in repr(found)]


def test_the_named_person_still_reads_everything(world: World) -> None:
    """The guard hides only from those not named: the named practitioner sees it all."""
    named = Actor(NAMED, Role.SENIOR_PRACTITIONER, "desk-y")
    detail = DeskService(world.store, named, world.clock).contact_detail(world.contact_id)
    assert detail is not None and "staff member's daughter" in detail.concern
    rows = MiService(world.store, world.clock, actor=named).drill(
        [Ref(contact_id=world.contact_id, person_id=world.person_id)]
    )
    assert "Zoë Quinn" in rows[0].children
