"""Printable documents as a use case: make a case log, duty log or letter as PDF bytes,
and record each print or export in the event log (who, what, when, which events).

The window and the ``print`` command both come through here, so an audit event is never
forgotten by one of them. No Qt here: the window hands the bytes to Qt's printer.

Who may print what: making any document needs ``print`` for the actor's role, writing it
to a file needs ``export`` (checked before the file is written). A case log or letter
about a restricted child needs access to that record (named on it, or the glass broken);
without it the document is refused. A duty log is an office's account of a shift, so it is
never refused for one restricted child: that child's row keeps its time, rating and
outcome but shows "Restricted record" for the names and the concern.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.clock import Clock
from ..domain.directory import PeopleDirectory
from ..domain.events import Actor, Event, recorded_by
from ..domain.permissions import Action, require
from ..domain.timescales import OfficeHours
from ..filemodes import PRIVATE_FILE
from ..fileops import replace_file
from ..reports.audience import Audience
from ..store.eventstore import EventStore
from ..store.report_queries import ReportQueries
from .directory import local_directory
from .guard import GuardedStore, RestrictedRecord
from .redaction import redact_duty_log
from .signing import DocumentSigner, NoSigningKey
from .snapshots import Changes

if TYPE_CHECKING:
    # The PDF and signature stack (reportlab, pypdf, pyhanko: about a second to import)
    # loads when the first document is made or checked, not when the window starts.
    from cryptography import x509

    from ..config.signing_keys import KeyFolder
    from ..reports.digest import EventDigest
    from ..reports.page import DocumentMeta
    from ..reports.verify import Report

DOCUMENT_FIELD_CHARS = 200  # the event's ``document`` field is a short text


@dataclass(frozen=True, slots=True)
class Document:
    """A finished PDF and what it shows: immutable, safe to hand to the GUI thread."""

    kind: str
    title: str
    pdf: bytes
    digest: str
    code: str
    event_ids: tuple[str, ...]
    contact_id: str | None = None
    person_id: str | None = None
    signed_by: str = ""  # the signing certificate's name

    @property
    def sha256(self) -> str:
        """SHA-256 of the signed file: the print or export record names it, and verify
        looks for that record (a file DutyDesk never let out has none)."""
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def label(self) -> str:
        text = f"{self.kind}: {self.title}"
        return text if len(text) <= DOCUMENT_FIELD_CHARS else text[: DOCUMENT_FIELD_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class TrustSettings:
    trust: list[x509.Certificate]
    crls: list[x509.CertificateRevocationList]
    tsa_trust: list[x509.Certificate]


class DocumentService:
    def __init__(
        self,
        store: EventStore,
        actor: Actor,
        clock: Clock,
        *,
        marking: str = "OFFICIAL-SENSITIVE",
        signer: DocumentSigner | None = None,
        trust: Sequence[x509.Certificate] | None = None,
        crls: Sequence[x509.CertificateRevocationList] = (),
        tsa_trust: Sequence[x509.Certificate] = (),
        keys: KeyFolder | None = None,
        unsigned_reason: str = "",
        office: OfficeHours,
        people: Callable[[], PeopleDirectory] | None = None,
    ) -> None:
        if not marking.strip():
            raise ValueError("the protective marking cannot be empty")
        # Every read is checked against the actor's access and every audit event goes
        # through the guarded append, whichever store the caller hands in.
        self.store = GuardedStore(store, actor, clock)
        self.actor = actor
        self.clock = clock
        self.marking = marking
        self.signer = signer
        self.unsigned_reason = unsigned_reason
        # The desk's triage policy's office calendar: printed working-day clocks count on
        # it, as the queue, follow-through and MI do (no default, so none is forgotten).
        self.office = office
        # Verification trusts these authorities; by default the one the signer's
        # certificate comes from (a desk checks its own authority's documents), looked up
        # when first needed (a demo signer makes its keys only then).
        self._trust = list(trust) if trust is not None else None
        self.crls = list(crls)
        self.tsa_trust = list(tsa_trust)  # roots of trusted time-stamping authorities
        # The desk's key folder: its trust anchors and the revocation lists the authority
        # publishes there (``trust/*.crl``), read afresh at every check, so a certificate
        # revoked while the window is open is reported as revoked.
        self.keys = keys
        self.queries = ReportQueries(store.engine)
        # Who is who: printed "by" lines show the person's name beside their login. The
        # local accounts on a standalone desk; the server's directory in shared mode.
        self._people = people or (lambda: local_directory(store))

    @property
    def trust(self) -> list[x509.Certificate]:
        if self._trust is None:
            chain = self.signer.identity.chain if self.signer is not None else ()
            self._trust = [chain[-1]] if chain else []
        return self._trust

    def names(self) -> Mapping[str, str]:
        """login -> display name, from the people directory as it is now."""
        return {e.login: e.display_name for e in self._people().entries}

    def _meta(self, kind: str, title: str, subject: str) -> DocumentMeta:
        from ..reports.page import DocumentMeta

        # The printing person's name as the directory has it now (renamed on the server
        # since this desk signed in: the new name), else the name they signed in with.
        name = self.names().get(self.actor.login) or self.actor.display_name
        who = f"{name} ({self.actor.login})" if name and name != self.actor.login else name
        who = who or self.actor.login
        return DocumentMeta(
            kind=kind,
            title=title,
            subject=subject,
            generated_by=who,
            generated_at=self.clock.now(),
            marking=self.marking,
            login=self.actor.login,
        )

    def case_log(self, *, person_id: str | None = None, contact_id: str | None = None) -> Document:
        from ..reports.caselog import CaseLogRequest, case_log_title, write_case_log

        require(self.actor, Action.PRINT)
        request = CaseLogRequest(person_id=person_id, contact_id=contact_id)
        if person_id:
            self.store.require_person(person_id)
        events = (
            self.queries.person_case_events(person_id)
            if person_id
            else self.queries.contact_case_events(contact_id or "")
        )
        # Every contact shown (a sibling's restriction covers a shared contact too).
        self._require_contacts(
            {e.contact_id for e in events if e.contact_id} | ({contact_id} if contact_id else set())
        )
        title = case_log_title(events, request) if events else "Case decision log"
        meta = self._meta("case-log", title, "Case decision log (children's front door)")
        buf = io.BytesIO()
        digest = write_case_log(events, request, meta, buf, office=self.office, names=self.names())
        return self._document(meta, buf, digest, contact_id=contact_id, person_id=person_id)

    def duty_log(
        self, first: date, last: date, *, office: str | None = None, team: str | None = None
    ) -> Document:
        from ..reports.dutylog import duty_log_title, write_duty_log

        require(self.actor, Action.PRINT)
        data = self.queries.duty_log(first, last, office=office, team=team)
        shown = {c.contact_id for c in data.contacts} | {d.contact_id for d in data.decisions}
        shown |= {e.contact_id for e in data.followups if e.contact_id}
        data = redact_duty_log(data, self.store.visible_contacts(shown))
        meta = self._meta(
            "duty-log",
            duty_log_title(first, last, office, team),
            "Daily duty log: contacts received and decisions made",
        )
        buf = io.BytesIO()
        digest = write_duty_log(data, first, last, meta, buf, names=self.names())
        return self._document(meta, buf, digest)

    def letter(self, contact_id: str, audience: Audience) -> Document:
        from ..reports.letters import letter_content, letter_title, write_letter

        require(self.actor, Action.PRINT)
        self._require_contacts({contact_id})
        content = letter_content(
            self.queries.contact_case_events(contact_id), contact_id, self.names()
        )
        meta = self._meta(
            f"letter-{audience.value}",
            letter_title(audience, content),
            f"Outcome letter to the {audience.value}",
        )
        buf = io.BytesIO()
        digest = write_letter(content, audience, meta, buf)
        return self._document(meta, buf, digest, contact_id=contact_id)

    def _require_contacts(self, contact_ids: set[str]) -> None:
        blocked = sorted(c for c, ok in self.store.visible_contacts(contact_ids).items() if not ok)
        if blocked:
            raise RestrictedRecord(
                f"contact {blocked[0]} is about a restricted record; {self.actor.login} is "
                "not named on it, so the document cannot be printed. Ask an administrator "
                "for access, or break the glass with a reason"
            )

    # ---- audit -------------------------------------------------------------------------

    def record_previewed(self, document: Document) -> tuple[Event, Changes]:
        """A preview shows the record on screen: recorded as a view (``record.viewed``)
        naming the document, before the preview opens."""
        require(self.actor, Action.VIEW_RECORD)
        payload: dict[str, object] = {"reason": f"print preview: {document.label}"}
        if document.contact_id:
            payload["contact_id"] = document.contact_id
        if document.person_id:
            payload["person_id"] = document.person_id
        event = recorded_by(
            "record.viewed",
            payload,
            by=self.actor,
            at=self.clock.now(),
        )
        self.store.append([event])
        contacts = frozenset({document.contact_id}) if document.contact_id else frozenset()
        people = frozenset({document.person_id}) if document.person_id else frozenset()
        return event, Changes(contacts=contacts, people=people)

    def record_printed(self, document: Document) -> tuple[Event, Changes]:
        require(self.actor, Action.PRINT)
        return self._record("document.printed", document, {})

    def record_exported(self, document: Document, destination: Path | str) -> tuple[Event, Changes]:
        require(self.actor, Action.EXPORT)
        return self._record("document.exported", document, {"destination": str(destination)[:500]})

    def export_to_file(self, document: Document, path: Path) -> tuple[Event, Changes]:
        """Write the PDF to ``path`` and record the export; no record, no file kept."""
        require(self.actor, Action.EXPORT)  # before a file exists, not after
        write_atomically(path, document.pdf)
        try:
            return self.record_exported(document, path.resolve())
        except Exception:
            path.unlink(missing_ok=True)
            raise

    def _record(
        self, kind: str, document: Document, extra: dict[str, str]
    ) -> tuple[Event, Changes]:
        payload: dict[str, object] = {
            "document": document.label,
            "digest": document.digest,
            "event_ids": list(document.event_ids),
            "file_sha256": document.sha256,
            **extra,
        }
        if document.contact_id:
            payload["contact_id"] = document.contact_id
        if document.person_id:
            payload["person_id"] = document.person_id
        event = recorded_by(
            kind,
            payload,
            by=self.actor,
            at=self.clock.now(),
        )
        self.store.append([event])
        contacts = frozenset({document.contact_id}) if document.contact_id else frozenset()
        people = frozenset({document.person_id}) if document.person_id else frozenset()
        return event, Changes(contacts=contacts, people=people)

    def trust_and_revocations(self) -> TrustSettings:
        """What verification trusts and the revocation lists it applies (``CertificateError``
        or ``OSError`` when the key folder's files cannot be read)."""
        from cryptography.hazmat.primitives import hashes

        trust, crls, tsa = list(self.trust), list(self.crls), list(self.tsa_trust)
        if self.keys is not None:
            seen = {c.fingerprint(hashes.SHA256()) for c in trust}
            trust += [
                c for c in self.keys.trust_anchors() if c.fingerprint(hashes.SHA256()) not in seen
            ]
            crls += self.keys.revocation_lists()
            tsa += self.keys.tsa_anchors()
        return TrustSettings(trust, crls, tsa)

    def verify(self, pdf: bytes) -> Report:
        from ..reports.verify import verify_pdf

        t = self.trust_and_revocations()
        return verify_pdf(
            pdf,
            self.queries.events_by_ids,
            trust=t.trust,
            crls=t.crls,
            tsa_trust=t.tsa_trust,
            recorded=self.queries.document_records,
        )

    def verify_file(self, path: Path) -> tuple[Path, Report]:
        """A printed PDF or a signed data export (``FILE.p7s`` beside it) checked as
        ``dutydesk verify`` checks it: the file checked, and the report."""
        from ..reports.verify import read_file_to_check, verify_file

        target = read_file_to_check(path)
        t = self.trust_and_revocations()
        return target.path, verify_file(
            target,
            self.queries.events_by_ids,
            trust=t.trust,
            crls=t.crls,
            tsa_trust=t.tsa_trust,
            recorded=self.queries.document_records,
        )

    def _document(
        self,
        meta: DocumentMeta,
        buf: io.BytesIO,
        digest: EventDigest,
        *,
        contact_id: str | None = None,
        person_id: str | None = None,
    ) -> Document:
        """The rendered, sealed PDF signed with the actor's key (nothing unsigned leaves)."""
        if self.signer is None:
            raise NoSigningKey(
                self.unsigned_reason
                or f"no signing key was given for {self.actor.login}, so the "
                f"document cannot be signed"
            )
        pdf = self.signer.sign(buf.getvalue(), reason=f"{meta.subject}: {meta.title}"[:200])
        return Document(
            kind=meta.kind,
            title=meta.title,
            pdf=pdf,
            digest=digest.digest,
            code=digest.code,
            event_ids=tuple(sorted(digest.hashes)),
            contact_id=contact_id,
            person_id=person_id,
            signed_by=self.signer.name,
        )


def write_atomically(path: Path, data: bytes) -> None:
    """A crash leaves the old file or the whole new one, never half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    if hasattr(os, "fchmod"):  # POSIX; Windows has no owner bits to set
        os.fchmod(fd, PRIVATE_FILE)  # a printed case log is the child's record: not umask's
    with open(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    replace_file(tmp, path)
