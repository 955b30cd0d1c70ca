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

import errno
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from cryptography import x509

from ..domain.events import Event
from .detached import SUFFIX, SignatureFileError, inspect_detached, signature_path
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
    SIGNATURE_MISSING = ("signature missing", 6)

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


def _untrusted_why(check: SignatureCheck) -> str:
    if "revoked" in check.trust_problem:
        return "the authority has withdrawn it, and nothing proves this was signed before that"
    return "not signed by DutyDesk's authority; anyone can make such a signature"


def verify_pdf(
    pdf: bytes,
    lookup: EventLookup,
    *,
    trust: Sequence[x509.Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    at: datetime | None = None,
    recorded: RecordLookup | None = None,
    tsa_trust: Sequence[x509.Certificate] = (),
) -> Report:
    try:
        check = inspect(pdf, trust, crls, at=at, tsa_trust=tsa_trust)
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
            f"{signed}, but {check.trust_problem}: {_untrusted_why(check)}",
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


# ---- data exports (a file and its detached signature, FILE.p7s) ------------------------


def is_pdf(data: bytes) -> bool:
    """A PDF header in the first 1,024 bytes (where PDF readers look for it)."""
    return re.search(rb"%PDF-[12]\.[0-9]", data[:1024]) is not None


def verify_export(
    data: bytes,
    signature: bytes | None,
    *,
    trust: Sequence[x509.Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    at: datetime | None = None,
    recorded: RecordLookup | None = None,
    name: str = "the file",
    tsa_trust: Sequence[x509.Certificate] = (),
) -> Report:
    """A data export checked against its detached signature (``FILE.p7s``), then, with a
    store, against the record of its export (``document.exported`` naming its SHA-256 in
    the signer's name).

    No signature beside it: SIGNATURE_MISSING (it proves nothing, whatever it says); a
    ``.p7s`` that is not a signature, or whose signed digest is not the file's: ALTERED;
    a sound signature from a key the authority did not certify (a self-made certificate),
    or revoked: UNTRUSTED; no record of the export: MISSING_EVENTS; else MATCHES."""
    sha = hashlib.sha256(data).hexdigest()
    if signature is None:
        known = recorded(sha) if recorded is not None else []
        also = (
            f"; this store records this exact file as exported by {', '.join(known)}, but "
            f"without its signature nobody else can check it"
            if known
            else ""
        )
        return Report(
            Verdict.SIGNATURE_MISSING,
            f"no signature found beside {name} ({name}{SUFFIX}): not signed by DutyDesk, "
            f"or its signature was removed; it proves nothing{also}",
        )
    try:
        check = inspect_detached(
            data, signature, list(trust), list(crls), at=at, tsa_trust=list(tsa_trust)
        )
    except SignatureFileError as err:
        return Report(
            Verdict.ALTERED,
            f"the signature beside {name} is damaged or not a signature: {err}",
        )
    signed = _signer_text(check)
    if not (check.intact and check.valid):
        return Report(
            Verdict.ALTERED,
            f"{name} is not what was signed: its content changed after signing, or the "
            f"signature beside it belongs to another file (claims to be {signed})",
            signature=check,
        )
    if not check.trusted:
        return Report(
            Verdict.UNTRUSTED,
            f"{signed}, but {check.trust_problem}: {_untrusted_why(check)}",
            signature=check,
        )
    if recorded is not None:
        exporters = recorded(sha)
        if not exporters or (check.signer_login and check.signer_login not in exporters):
            by = f" by {check.signer_login}" if check.signer_login else ""
            return Report(
                Verdict.MISSING_EVENTS,
                f"{signed}, but this store has no record of this file being exported{by} "
                f"(made outside DutyDesk by someone holding a key, or exported on a desk "
                f"whose events have not synced here yet)",
                signature=check,
            )
    note = f" ({check.trust_note})" if check.trust_note else ""
    on_record = "; its export is on the record" if recorded is not None else ""
    return Report(
        Verdict.MATCHES,
        f"{signed}; signature valid and trusted{note}; the file is exactly as signed "
        f"(SHA-256 {sha}){on_record}",
        signature=check,
    )


@dataclass(frozen=True, slots=True)
class FileToCheck:
    """A file as ``verify`` reads it: the document, and its detached signature if any."""

    path: Path
    data: bytes
    signature: bytes | None  # FILE.p7s, for a data export
    export: bool  # a data export (not a PDF)


def _signature_beside(path: Path) -> Path | None:
    """``FILE.p7s`` beside ``path``, or ``FILE.P7S`` (names upper-cased by a Windows share
    or a FAT stick), whichever is there."""
    for candidate in (signature_path(path), path.with_name(path.name + SUFFIX.upper())):
        if candidate.is_file():
            return candidate
    return None


def read_file_to_check(path: Path) -> FileToCheck:
    """``path`` (or, given ``FILE.p7s``, the file it signs) and its signature; OSError
    when the file cannot be read, or when a signature is given without the file it signs
    beside it.

    A file with a signature beside it is a data export unless it starts as a PDF does:
    DutyDesk's exports (CSV, XLSX, XML) never do, and a printed PDF carries its own
    signature, which a ``.p7s`` put beside it must not replace."""
    if path.suffix.lower() == SUFFIX:
        signed = path.with_suffix("")
        if not signed.is_file():
            raise FileNotFoundError(
                errno.ENOENT,
                f"this is a signature; the file it signs ({signed.name}) is not beside it",
                str(signed),
            )
        path = signed
    data = path.read_bytes()
    sig_path = _signature_beside(path)
    signature = sig_path.read_bytes() if sig_path is not None else None
    export = not data.startswith(b"%PDF-") if signature is not None else not is_pdf(data)
    return FileToCheck(path, data, signature, export)


def verify_file(
    target: FileToCheck,
    lookup: EventLookup,
    *,
    trust: Sequence[x509.Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    at: datetime | None = None,
    recorded: RecordLookup | None = None,
    tsa_trust: Sequence[x509.Certificate] = (),
) -> Report:
    """A printed PDF or a data export, whichever ``target`` is (``dutydesk verify`` and the
    window's "Verify a document" both come here)."""
    if target.export:
        return verify_export(
            target.data,
            target.signature,
            trust=trust,
            crls=crls,
            at=at,
            recorded=recorded,
            name=target.path.name,
            tsa_trust=tsa_trust,
        )
    return verify_pdf(
        target.data,
        lookup,
        trust=trust,
        crls=crls,
        at=at,
        recorded=recorded,
        tsa_trust=tsa_trust,
    )


def report_lines(report: Report, *, listed: int = 20) -> list[str]:
    """The report in words, a line each (the CLI prints them; the window shows them)."""
    lines = [report.detail]
    sig = report.signature
    if sig is not None:
        who = f"{sig.signer_name} ({sig.signer_login})" if sig.signer_login else sig.signer_name
        at = sig.signed_at.isoformat(timespec="seconds") if sig.signed_at else "unknown"
        when = "trusted timestamp" if sig.timestamped else "signer's clock, no trusted timestamp"
        lines.append(f"signed by: {who}; at {at} ({when})")
        lines.append(f"certificate: issued by {sig.issuer}; SHA-256 {sig.certificate_fingerprint}")
        lines.append(
            f"signature: {'valid' if sig.intact and sig.valid else 'INVALID'}; chain: "
            f"{'trusted' if sig.trusted else 'NOT TRUSTED (' + sig.trust_problem + ')'}; "
            f"added after signing: {sig.added_after or 'nothing'}"
        )
        if sig.trust_note:
            lines.append(f"note: {sig.trust_note}")
    if report.manifest is not None:
        m = report.manifest
        lines.append(
            f"document: {m.title} ({m.kind}); printed by {m.generated_by} "
            f"at {m.generated_at}; code {m.code}"
        )
    for label, ids in (
        ("not in this store", report.missing),
        ("changed in the store", report.changed),
    ):
        lines.extend(f"{label}: {event_id}" for event_id in ids[:listed])
        if len(ids) > listed:
            lines.append(f"... and {len(ids) - listed} more {label}")
    return lines
