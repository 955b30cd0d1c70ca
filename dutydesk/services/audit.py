"""The access log and the audit trail: recording who opened, printed, exported or disclosed
what and why, and reading the log back for auditors.

Every helper writes an ordinary event through the ``GuardedStore``, so the permission
table decides who may do it and the audit chain seals it. Reading the audit needs the
``view_audit`` permission; exporting it is itself recorded.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Select, or_, select

from ..domain.audit_chain import Verdict
from ..domain.cells import SafeCsvWriter
from ..domain.clock import LONDON
from ..domain.events import Event, recorded_by
from ..domain.permissions import Action, check_reason, require
from ..filemodes import private_file
from ..store import quarantine
from ..store.chain import verify_local_chain
from ..store.eventstore import EVENT_PEOPLE, EVENTS, db_to_event
from ..store.readmodel import CHILDREN
from .documents import write_atomically
from .exports import seal_export, staged
from .guard import GuardedStore
from .signing import DocumentSigner, require_signer

ACCESS_TYPES = (
    "record.viewed",
    "document.printed",
    "document.exported",
    "access.break_glass",
    "access.granted",
    "record.restricted",
)
log = logging.getLogger(__name__)

QUARANTINE_CSV_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "recorded_by",
    "role",
    "client_time",
    "quarantined_at",
    "reason",
)
CSV_COLUMNS = (
    "seq",
    "event_id",
    "time",
    "actor",
    "actor_name",  # the person's name from the people directory (the login stays beside it)
    "role",
    "type",
    "contact_id",
    "person_ids",
    "summary",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    person_id: str | None = None
    contact_id: str | None = None
    event_types: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None  # inclusive
    limit: int = 10_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit trail, safe to hold on the GUI thread."""

    seq: int
    event_id: str
    time: str
    actor: str
    role: str
    type: str
    contact_id: str | None
    person_ids: tuple[str, ...]
    summary: str
    actor_name: str = ""  # from the people directory; empty when the login is not listed

    @property
    def who(self) -> str:
        """ "Dee One (dm.one)", or the login alone."""
        name = self.actor_name
        return f"{name} ({self.actor})" if name and name != self.actor else self.actor

    def row(self) -> tuple[str, ...]:
        return (
            str(self.seq),
            self.event_id,
            self.time,
            self.actor,
            self.actor_name,
            self.role,
            self.type,
            self.contact_id or "",
            " ".join(self.person_ids),
            self.summary,
        )


REDACTED_SUMMARY = "(restricted record: details hidden)"
ACCESS_EVENTS = frozenset({"record.restricted", "access.granted", "access.break_glass"})


def summarise(event: Event) -> str:
    """What the event was about, in words; reasons shown because an auditor asks for them."""
    p = event.payload
    parts = []
    for key in ("document", "destination", "grantee"):
        if p.get(key):
            parts.append(f"{key}: {p[key]}")
    if "allowed" in p:
        parts.append("allowed: " + ", ".join(p["allowed"]))
    if p.get("disclosure"):
        parts.append("disclosure")
    if p.get("reason"):
        parts.append(f"reason: {p['reason']}")
    return "; ".join(parts)


class AuditService:
    """Access-log helpers and audit queries for one signed-in actor."""

    def __init__(
        self,
        store: GuardedStore,
        names: Mapping[str, str] | None = None,
        *,
        signer: DocumentSigner | None = None,
        unsigned_reason: str = "",
    ) -> None:
        self.store = store
        # an exported audit trail is signed (FILE.p7s) with the signed-in person's key
        self.signer = signer
        self.unsigned_reason = unsigned_reason
        self.actor = store.actor
        self.clock = store.clock
        self.names = dict(names or {})  # login -> display name (the people directory)

    def _write(self, event_type: str, payload: Mapping[str, Any]) -> Event:
        body = {k: v for k, v in payload.items() if v is not None}
        event = recorded_by(
            event_type,
            body,
            by=self.actor,
            at=self.clock.now(),
        )
        self.store.append([event])
        return event

    # ---- the access log --------------------------------------------------------------

    def record_view(
        self,
        *,
        contact_id: str | None = None,
        person_id: str | None = None,
        reason: str | None = None,
    ) -> Event:
        """Opening a child's record or a contact: refused if restricted and not named."""
        if contact_id is None and person_id is None:
            raise ValueError("record_view needs a contact_id or a person_id")
        if person_id:
            self.store.require_person(person_id)
        if contact_id:
            self.store.require_contact(contact_id)
        return self._write(
            "record.viewed", {"contact_id": contact_id, "person_id": person_id, "reason": reason}
        )

    def record_print(
        self,
        document: str,
        *,
        contact_id: str | None = None,
        person_id: str | None = None,
        digest: str | None = None,
        reason: str | None = None,
    ) -> Event:
        return self._write(
            "document.printed",
            {
                "document": document,
                "contact_id": contact_id,
                "person_id": person_id,
                "digest": digest,
                "reason": reason,
            },
        )

    def record_export(
        self,
        document: str,
        *,
        destination: str | None = None,
        contact_id: str | None = None,
        person_id: str | None = None,
        digest: str | None = None,
        reason: str | None = None,
    ) -> Event:
        return self._write(
            "document.exported",
            {
                "document": document,
                "destination": destination,
                "contact_id": contact_id,
                "person_id": person_id,
                "digest": digest,
                "reason": reason,
            },
        )

    def record_disclosure(
        self,
        document: str,
        *,
        destination: str,
        reason: str,
        contact_id: str | None = None,
        person_id: str | None = None,
    ) -> Event:
        """Sharing outside the service: to whom and why are both required."""
        if not destination.strip():
            raise ValueError("a disclosure must say to whom (destination)")
        check_reason(reason, "document.exported.reason")
        return self._write(
            "document.exported",
            {
                "document": document,
                "destination": destination,
                "reason": reason,
                "contact_id": contact_id,
                "person_id": person_id,
                "disclosure": True,
            },
        )

    # ---- restricted records ------------------------------------------------------------

    def break_glass(self, person_id: str, reason: str) -> Event:
        """Open a restricted record without being named: needs a real reason, is logged."""
        text = check_reason(reason, "access.break_glass.reason")
        event = self._write("access.break_glass", {"person_id": person_id, "reason": text})
        log.warning(
            "break-glass access to record %s by %s (event %s)",
            person_id,
            self.actor.login,
            event.id,
        )
        return event

    def restrict(self, person_id: str, allowed: Sequence[str], reason: str) -> Event:
        return self._write(
            "record.restricted",
            {"person_id": person_id, "allowed": list(allowed), "reason": reason},
        )

    def grant(self, person_id: str, grantee: str, reason: str) -> Event:
        return self._write(
            "access.granted", {"person_id": person_id, "grantee": grantee, "reason": reason}
        )

    # ---- reading the audit -------------------------------------------------------------

    def query(self, flt: AuditFilter = AuditFilter()) -> list[AuditEntry]:
        """Matching events, newest first. Needs ``view_audit``."""
        require(self.actor, Action.VIEW_AUDIT)
        stmt = _select(flt)
        lo = datetime.combine(flt.since, time.min, LONDON) if flt.since else None
        hi = (
            datetime.combine(flt.until + timedelta(days=1), time.min, LONDON) if flt.until else None
        )
        found: list[Event] = []
        seqs: list[int] = []
        with self.store.engine.connect() as conn:
            for m in conn.execute(stmt).mappings():
                event = db_to_event(m)
                at = datetime.fromisoformat(event.client_time)
                if (lo and at < lo) or (hi and at >= hi):
                    continue
                found.append(event)
                seqs.append(int(m["local_seq"]))
                if len(found) >= flt.limit:
                    break
        hidden = self._hidden(found)
        return [
            AuditEntry(
                seq,
                e.id,
                e.client_time,
                e.actor,
                e.actor_role,
                e.type,
                e.contact_id,
                e.person_ids,
                REDACTED_SUMMARY if e.id in hidden else summarise(e),
                self.names.get(e.actor, ""),
            )
            for seq, e in zip(seqs, found, strict=True)
        ]

    def _hidden(self, events: Sequence[Event]) -> set[str]:
        """Events about a restricted record this actor may not read, whose words (an
        amendment's reason, say) are hidden; who did what and when stays. Access events
        (restrictions, grants, break-glass) keep their reasons: auditors review them."""
        contacts = self.store.visible_contacts({e.contact_id for e in events if e.contact_id})
        people = self.store.hidden_people({p for e in events for p in e.person_ids})
        return {
            e.id
            for e in events
            if e.type not in ACCESS_EVENTS
            and (
                (e.contact_id and not contacts.get(e.contact_id, True))
                or people & set(e.person_ids)
            )
        }

    def quarantined(self) -> list[QuarantineEntry]:
        """Events pulled from the server that this desk holds in quarantine (never applied:
        it could not validate or apply them), oldest server sequence first. Needs
        ``view_audit``. Who recorded them and when stays; the reason (which may quote the
        payload) is hidden for an event about a restricted record this actor may not read,
        and for one too malformed to tell what it is about."""
        require(self.actor, Action.VIEW_AUDIT)
        held = quarantine.listing(self.store.engine, with_envelope=True)
        about = {q.event_id: _about(q.envelope) for q in held}
        contacts = self.store.visible_contacts({c for c, _ in about.values() if c})
        people = self.store.hidden_people({p for _, ps in about.values() for p in ps or ()})
        entries = []
        for q in held:
            fields = _fields(q.envelope)
            contact, persons = about[q.event_id]
            hidden = persons is None or (
                q.type not in ACCESS_EVENTS
                and (
                    bool(contact and not contacts.get(contact, True)) or bool(people & set(persons))
                )
            )
            entries.append(
                QuarantineEntry(
                    q.server_seq,
                    q.event_id,
                    q.type,
                    str(fields.get("actor") or ""),
                    str(fields.get("actor_role") or ""),
                    str(fields.get("client_time") or ""),
                    q.quarantined_at,
                    REDACTED_SUMMARY if hidden else q.reason,
                    self.names.get(str(fields.get("actor") or ""), ""),
                )
            )
        return entries

    def break_glass_report(
        self, since: date | None = None, until: date | None = None
    ) -> list[AuditEntry]:
        """Every break-glass access in the period: who, which record, when, why."""
        return self.query(
            AuditFilter(event_types=("access.break_glass",), since=since, until=until)
        )

    def export_csv(self, flt: AuditFilter, out: TextIO, *, destination: str = "") -> int:
        """Write matching entries as CSV to ``out`` (a stream: not signed; files go through
        ``export_csv_file``); the export is itself recorded."""
        require(self.actor, Action.EXPORT)
        count = self._csv(flt, out)
        self.record_export(
            "audit trail (CSV)",
            destination=destination or None,
            reason=f"audit export, filter {_filter_text(flt)}",
        )
        return count

    def _csv(self, flt: AuditFilter, out: TextIO) -> int:
        entries = self.query(flt)
        writer = SafeCsvWriter(out)
        writer.writerow(CSV_COLUMNS)
        for entry in entries:
            writer.writerow(entry.row())
        return len(entries)

    def export_csv_file(self, flt: AuditFilter, path: Path) -> int:
        """Matching entries as a CSV file, signed with the signed-in person's key
        (``FILE.p7s``) and recorded (``document.exported`` naming the file's SHA-256).
        Without a key, refused before anything is written; if it cannot be signed or
        recorded, neither the file nor its signature is kept."""
        require(self.actor, Action.EXPORT)
        signer = require_signer(self.signer, self.actor.login, self.unsigned_reason)
        buffer = io.StringIO()
        count = self._csv(flt, buffer)
        write_atomically(staged(path), buffer.getvalue().encode("utf-8"))
        private_file(staged(path))

        def record(digest: str) -> None:
            self._write(
                "document.exported",
                {
                    "document": "audit trail (CSV)",
                    "destination": str(path),
                    "digest": digest,
                    "file_sha256": digest,
                    "reason": f"audit export, filter {_filter_text(flt)}",
                },
            )

        seal_export(path, signer, record)
        return count

    def export_quarantine_csv_file(self, path: Path) -> int:
        """The quarantine as ``quarantined`` lists it (reasons hidden as there) in a CSV
        file: every cell neutralised against spreadsheet formulas (a quarantined event is
        by definition one this desk could not trust, and its fields may be an attacker's),
        signed and recorded like ``export_csv_file``; nothing is kept if it cannot be."""
        require(self.actor, Action.EXPORT)
        signer = require_signer(self.signer, self.actor.login, self.unsigned_reason)
        entries = self.quarantined()
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        writer.writerow(QUARANTINE_CSV_COLUMNS)
        for entry in entries:
            writer.writerow(entry.row())
        write_atomically(staged(path), buffer.getvalue().encode("utf-8"))
        private_file(staged(path))

        def record(digest: str) -> None:
            self._write(
                "document.exported",
                {
                    "document": "audit quarantine (CSV)",
                    "destination": str(path),
                    "digest": digest,
                    "file_sha256": digest,
                    "reason": "audit export of the quarantine",
                },
            )

        seal_export(path, signer, record)
        return len(entries)

    def verify(self) -> Verdict:
        require(self.actor, Action.VIEW_AUDIT)
        return verify_local_chain(self.store.engine)


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """One quarantined event as the audit shows it (``AuditService.quarantined``)."""

    server_seq: int | None
    event_id: str
    event_type: str
    actor: str
    actor_role: str
    client_time: str
    quarantined_at: str
    reason: str
    actor_name: str = ""

    def row(self) -> tuple[str, ...]:
        who = f"{self.actor_name} ({self.actor})" if self.actor_name else self.actor
        return (
            "" if self.server_seq is None else str(self.server_seq),
            self.event_id,
            self.event_type,
            who,
            self.actor_role,
            self.client_time,
            self.quarantined_at,
            self.reason,
        )


def _fields(envelope: str) -> dict[str, Any]:
    try:
        found = json.loads(envelope)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _about(envelope: str) -> tuple[str | None, list[str] | None]:
    """(contact id, person ids) a quarantined event is about; person ids None when the
    envelope is too malformed to tell (its reason is then hidden)."""
    payload = _fields(envelope).get("payload")
    if not isinstance(payload, dict):
        return None, None
    probe = Event(
        id="", type="", actor="", actor_role="", device="", client_time="", payload=payload
    )
    try:
        return probe.contact_id, list(probe.person_ids)
    except (TypeError, AttributeError):  # e.g. "children" that is not a list
        return None, None


def _select(flt: AuditFilter) -> Select[Any]:
    stmt = select(EVENTS).order_by(EVENTS.c.local_seq.desc())
    if flt.actor:
        stmt = stmt.where(EVENTS.c.actor == flt.actor)
    if flt.event_types:
        stmt = stmt.where(EVENTS.c.type.in_(flt.event_types))
    if flt.contact_id:
        stmt = stmt.where(EVENTS.c.contact_id == flt.contact_id)
    if flt.person_id:
        about = select(EVENT_PEOPLE.c.local_seq).where(EVENT_PEOPLE.c.person_id == flt.person_id)
        contacts = select(CHILDREN.c.contact_id).where(CHILDREN.c.person_id == flt.person_id)
        stmt = stmt.where(or_(EVENTS.c.local_seq.in_(about), EVENTS.c.contact_id.in_(contacts)))
    # client_time is text with its own offset: narrow by a day either side in SQL, then
    # compare exactly as datetimes in Python.
    if flt.since:
        stmt = stmt.where(EVENTS.c.client_time >= (flt.since - timedelta(days=1)).isoformat())
    if flt.until:
        stmt = stmt.where(EVENTS.c.client_time < (flt.until + timedelta(days=2)).isoformat())
    return stmt


def _filter_text(flt: AuditFilter) -> str:
    fields = {
        k: v
        for k, v in (
            ("actor", flt.actor),
            ("person", flt.person_id),
            ("contact", flt.contact_id),
            ("types", ",".join(flt.event_types) or None),
            ("since", flt.since and flt.since.isoformat()),
            ("until", flt.until and flt.until.isoformat()),
        )
        if v
    }
    return json.dumps(fields, sort_keys=True) if fields else "(all)"
