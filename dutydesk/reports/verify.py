"""Checking a printed document: its signature, then the record: one verdict, with details.

Verdicts, in the order they are tested:
- NOT_DUTYDESK: the file is not a DutyDesk document at all (no DutyDesk signature, no
  verification data, nothing of DutyDesk in it): a foreign or unreadable PDF.
- ALTERED: the file is not what DutyDesk signed: the signature does not match the bytes
  (a byte flipped, signature data moved from another document), it is missing from a
  file that was a DutyDesk document (re-saved by another program), something other than
  long-term-validation data was added after signing (an overlay, a removed page), the
  verification data does not belong to the pages, or the signer is not the person the
  document says printed it.
- UNTRUSTED: the file is intact as signed, but the signer's certificate does not chain
  to a trusted authority (re-signed with another key), or was revoked.
- MISSING_EVENTS: it shows events this store does not hold (another desk's, not yet
  synced, or removed); or the store holds no record (``document.printed`` /
  ``document.exported`` naming the file's SHA-256, by the person the document names) of
  this file ever leaving DutyDesk: a file made outside the application by someone who
  holds a trusted key (its pages may show anything), or printed on a desk whose events
  have not synced here yet. Checked when a ``recorded`` lookup is given (a store).
- RECORD_CHANGED: the store holds the events but their content differs from when the
  document was printed (someone edited the store behind the application's back).
- MATCHES: signed by a trusted key, unchanged since, and the record still says what it
  shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from cryptography import x509

from ..domain.events import Event
from .digest import digest_of, event_hash
from .page import HEADER_MARK, KEYWORD_PREFIX
from .seal import ATTACHMENT, Manifest, NotSealedError, read_manifest, rendered_digest
from .signature import NotSignedError, SignatureCheck, inspect, quiet_libraries


class Verdict(Enum):
    MATCHES = ("matches the record", 0)
    ALTERED = ("document altered", 3)
    UNTRUSTED = ("signature not trusted", 3)
    MISSING_EVENTS = ("refers to events the store does not have", 4)
    RECORD_CHANGED = ("the store's events changed since printing", 5)
    NOT_DUTYDESK = ("not a DutyDesk document", 6)

    def __init__(self, text: str, exit_code: int) -> None:
        self.text = text
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class Report:
    verdict: Verdict
    detail: str
    manifest: Manifest | None = None
    missing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    signature: SignatureCheck | None = None


EventLookup = Callable[[Iterable[str]], Mapping[str, Event]]
RecordLookup = Callable[[str], Sequence[str]]  # file SHA-256 -> logins that printed it

_MARKS = (
    KEYWORD_PREFIX.encode("ascii"),
    ATTACHMENT.encode("ascii"),
    b"(DutyDesk)",
    HEADER_MARK.rstrip(),
)


def looks_like_dutydesk(pdf: bytes) -> bool:
    """DutyDesk's marks (the digest keyword, the verification file, the creator)."""
    return pdf.startswith(b"%PDF") and any(mark in pdf for mark in _MARKS)


def _signer_text(check: SignatureCheck) -> str:
    who = f"{check.signer_name} ({check.signer_login})" if check.signer_login else check.signer_name
    when = check.signed_at.isoformat(timespec="seconds") if check.signed_at else "unknown"
    return f"signed by {who} at {when}; certificate issued by {check.issuer}"


def verify_pdf(
    pdf: bytes,
    lookup: EventLookup,
    *,
    trust: Sequence[x509.Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    at: datetime | None = None,
    recorded: RecordLookup | None = None,
) -> Report:
    try:
        check = inspect(pdf, trust, crls, at=at)
    except NotSignedError as err:
        if looks_like_dutydesk(pdf):
            return Report(
                Verdict.ALTERED,
                f"{err}: it was a DutyDesk document, but its "
                f"signature is gone (re-saved or rebuilt by another program)",
            )
        return Report(
            Verdict.NOT_DUTYDESK,
            f"{err}, and no mark DutyDesk writes can be "
            f"found in it (never made by DutyDesk, or cut short or damaged beyond "
            f"recognition): it proves nothing",
        )
    signed = _signer_text(check)
    if not (check.intact and check.valid):
        return Report(
            Verdict.ALTERED,
            "the signature does not match the document's bytes "
            "(changed after signing, or the signature came from another "
            "document)",
            signature=check,
        )
    if not check.covers_all:
        return Report(
            Verdict.ALTERED,
            f"{check.added_after}; a PDF reader shows the changed version",
            signature=check,
        )
    if check.other_signatures:
        return Report(
            Verdict.ALTERED, "another signature was added after DutyDesk's", signature=check
        )
    try:
        with quiet_libraries():
            manifest = read_manifest(check.signed_bytes)
    except NotSealedError as err:
        return Report(
            Verdict.NOT_DUTYDESK,
            f"{err}; the signed PDF ({signed}) is not a DutyDesk document",
            signature=check,
        )
    body = check.signed_bytes
    size = manifest.rendered_length
    if len(body) < size or hashlib.sha256(body[:size]).hexdigest() != manifest.rendered_sha256:
        return Report(
            Verdict.ALTERED,
            "the pages signed are not the pages the verification data was made for",
            manifest,
            signature=check,
        )
    if (
        rendered_digest(body, manifest) != manifest.digest
        or digest_of(manifest.hashes) != manifest.digest
    ):
        return Report(
            Verdict.ALTERED,
            "the verification data does not belong to this "
            "document (event list or digest replaced)",
            manifest,
            signature=check,
        )
    if not check.trusted:
        return Report(
            Verdict.UNTRUSTED,
            f"{signed}, but {check.trust_problem}: anyone can make such a signature",
            manifest,
            signature=check,
        )
    if check.signer_login and manifest.login and check.signer_login != manifest.login:
        return Report(
            Verdict.ALTERED,
            f"{signed}, but the document says {manifest.login} printed it",
            manifest,
            signature=check,
        )
    found = lookup(manifest.hashes)
    missing = tuple(sorted(i for i in manifest.hashes if i not in found))
    changed = tuple(
        sorted(
            i
            for i, e in found.items()
            if i in manifest.hashes and event_hash(e) != manifest.hashes[i]
        )
    )
    if recorded is not None:
        printers = recorded(hashlib.sha256(check.signed_bytes).hexdigest())
        if not printers or (manifest.login and manifest.login not in printers):
            by = f" by {manifest.login}" if manifest.login else ""
            also = (
                f"; besides, {len(missing)} events shown are not in this store"
                if missing
                else f"; besides, {len(changed)} events shown differ from the store"
                if changed
                else ""
            )
            return Report(
                Verdict.MISSING_EVENTS,
                f"{signed}, but this store has no record of this document being "
                f"printed or exported{by} (made outside DutyDesk by someone "
                f"holding a key, or printed on a desk whose events have not "
                f"synced here yet){also}",
                manifest,
                missing,
                changed,
                signature=check,
            )
    if missing:
        return Report(
            Verdict.MISSING_EVENTS,
            f"{len(missing)} of {len(manifest.hashes)} events shown are not in this store",
            manifest,
            missing,
            changed,
            signature=check,
        )
    if changed:
        return Report(
            Verdict.RECORD_CHANGED,
            f"{len(changed)} of {len(manifest.hashes)} events shown have different "
            f"content in the store now",
            manifest,
            missing,
            changed,
            signature=check,
        )
    note = f" ({check.trust_note})" if check.trust_note else ""
    on_record = "; its print is on the record" if recorded is not None else ""
    return Report(
        Verdict.MATCHES,
        f"{signed}; signature valid and trusted{note}, nothing added "
        f"since; all {len(manifest.hashes)} events shown are in the store "
        f"unchanged{on_record}; code {manifest.code}",
        manifest,
        signature=check,
    )
