"""PAdES signatures on DutyDesk documents (pyHanko), and checking them.

``sign`` appends one signature (PAdES baseline B-B, SHA-256, an invisible signature
field named ``DutyDesk``) as an incremental update over the whole document as
DutyDesk wrote it: the rendered pages *and* the verification data
(``dutydesk-verification.json``), so the record binding is inside the signed bytes.

``inspect`` validates the signature against the trust anchors given (the DutyDesk
authority's certificate, or the authority's own PKI root) with pyHanko, without
fetching anything from the network, and says whether anything was added after signing.
A later incremental update is accepted only when pyHanko's difference analysis finds
nothing but long-term-validation data (a DSS or a document timestamp); anything else (a
page, an annotation, an overlay, a changed object) makes the document altered.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .pki import Identity, common_name, fingerprint, login_of, signed_by

FIELD = "DutyDesk"


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crypto_cert(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """pyHanko and pypdf log warnings about the files they read (a foreign or damaged PDF
    is expected here): the verdict says what matters, the library chatter is dropped."""
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator", "pypdf")]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)


def _signer(identity: Identity) -> signers.SimpleSigner:
    key = asn1_keys.PrivateKeyInfo.load(
        identity.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [_asn1_cert(c) for c in identity.chain]
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(identity.certificate),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def sign(
    pdf: bytes,
    identity: Identity,
    *,
    reason: str,
    location: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """``pdf`` signed by ``identity`` (``pdf`` stays a byte-for-byte prefix); with
    ``timestamper`` (a time-stamping authority), the signature carries an RFC 3161
    timestamp token (PAdES B-T)."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=identity.name,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    with quiet_libraries():
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.PdfSigner(meta, signer=_signer(identity), timestamper=timestamper).sign_pdf(
            writer
        )
    return bytes(out.getbuffer())


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What the signature on a document says, as checked."""

    signer_name: str
    signer_login: str | None
    issuer: str
    certificate_fingerprint: str
    signed_at: datetime | None
    intact: bool  # the signed bytes hash to what the signature says
    valid: bool  # and the signature over that hash is the certificate's key's
    trusted: bool  # the certificate chains to a trust anchor (and was valid then)
    trust_problem: str  # why not trusted, in words ("" when trusted)
    covers_all: bool  # nothing but permitted LTV data was added after signing
    added_after: str  # what was added after signing, in words ("" when nothing)
    signed_bytes: bytes  # the document as it was when signed (the signed revision)
    other_signatures: int  # further signatures (not document timestamps) in the file
    trust_note: str = ""  # e.g. judged at the signing time because it has expired since
    timestamped: bool = False  # signed_at comes from a trusted RFC 3161 timestamp


class NotSignedError(ValueError):
    """The PDF has no signature (or cannot be read as a PDF at all)."""


def inspect(
    pdf: bytes,
    trust: Iterable[x509.Certificate],
    crls: Iterable[x509.CertificateRevocationList] = (),
    *,
    at: datetime | None = None,
    tsa_trust: Iterable[x509.Certificate] = (),
) -> SignatureCheck:
    """The signature checked at ``at`` (default: now); a timestamp counts only from an
    authority chaining to ``tsa_trust``. A certificate that has expired
    since is judged at the signing time (the trusted timestamp's when the signature has
    one, else the time the signer's desk recorded), and the check says so
    (``trust_note``)."""
    trust, crls = list(trust), list(crls)
    anchors = [_asn1_cert(c) for c in trust]
    tsa_anchors = [_asn1_cert(c) for c in tsa_trust]
    with quiet_libraries():
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            found = reader.embedded_signatures
        except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
            raise NotSignedError(f"not a readable PDF ({type(err).__name__})") from None
        signatures = [s for s in found if s.sig_object_type == "/Sig"]
        if not signatures:
            raise NotSignedError("the PDF carries no signature")
        embedded = signatures[0]
        try:
            status = _validate(embedded, anchors, at, tsa_anchors)
            cert = _crypto_cert(status.signing_cert)
            stamped = stamp_time(status)
            signed_at = stamped or status.signer_reported_dt
            now = at or datetime.now(UTC)
            trust_note = ""
            if (
                not status.trusted
                and signed_at is not None
                and cert.not_valid_before_utc <= signed_at <= cert.not_valid_after_utc < now
            ):
                then = _validate(
                    PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0],
                    anchors,
                    signed_at,
                    tsa_anchors,
                )
                if then.trusted:
                    status = then
                    trust_note = (
                        f"the certificate expired on "
                        f"{cert.not_valid_after_utc:%Y-%m-%d}, after "
                        + (
                            "the trusted timestamp; judged at that time"
                            if stamped
                            else "the signing time the signer's desk recorded; judged at "
                            "that time (there is no trusted timestamp)"
                        )
                    )
        except (
            SignatureValidationError,
            SigningError,
            PdfError,
            ValueError,
            KeyError,
            TypeError,
        ) as err:
            raise NotSignedError(f"the signature cannot be read ({type(err).__name__})") from None
    covers_all, added = _coverage(status)
    end = embedded.byte_range[2] + embedded.byte_range[3]
    if covers_all and len(pdf) > end:
        changed = _shown_metadata_changed(pdf[:end], pdf)
        if changed:
            covers_all, added = False, f"after signing, {changed} in a later update"
    trusted, trust_problem, revoked_note = judge_trust(
        cert, status, trust, crls, stamped_at=stamped
    )
    return SignatureCheck(
        signer_name=common_name(cert),
        signer_login=login_of(cert),
        issuer=cert.issuer.rfc4514_string(),
        certificate_fingerprint=fingerprint(cert),
        signed_at=signed_at,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=trusted,
        trust_problem=trust_problem,
        covers_all=covers_all,
        added_after=added,
        signed_bytes=pdf[:end],
        other_signatures=len(signatures) - 1,
        trust_note="; ".join(n for n in (trust_note, revoked_note) if n),
        timestamped=stamped is not None,
    )


def stamp_time(status: object) -> datetime | None:
    """The time of the signature's RFC 3161 timestamp, when it has one whose token is
    intact, valid and from a trusted time-stamping authority; else None."""
    ts = getattr(status, "timestamp_validity", None)
    if ts is None or not (ts.intact and ts.valid and ts.trusted):
        return None
    return ts.timestamp


def judge_trust(
    cert: x509.Certificate,
    status: object,
    trust: list[x509.Certificate],
    crls: list[x509.CertificateRevocationList],
    *,
    stamped_at: datetime | None,
) -> tuple[bool, str, str]:
    """(trusted, why not, note): pyHanko's chain verdict, then the revocation lists.

    A revoked certificate makes the signature untrusted, unless a trusted timestamp
    proves it was made before the revocation date: without one, the signing time is only
    what the signer's desk said, and a thief with the key can say any time."""
    if not getattr(status, "trusted", False):
        indic = getattr(status, "trust_problem_indic", None)
        return (
            False,
            "its certificate does not chain to a trusted authority"
            if indic is None
            else f"its certificate is not trusted ({_words(status)})",
            "",
        )
    revoked = _revoked(cert, trust, crls, _path_certificates(status, cert))
    if revoked is None:
        return True, "", ""
    if stamped_at is not None and stamped_at < revoked:
        return (
            True,
            "",
            f"its certificate was revoked on {revoked:%Y-%m-%d}, after the trusted "
            f"timestamp ({stamped_at:%Y-%m-%d %H:%M} UTC): it was valid when signed",
        )
    return (
        False,
        f"its certificate (serial {cert.serial_number:X}) was revoked by its authority on "
        f"{revoked:%Y-%m-%d}",
        "",
    )


def _validate(
    embedded: EmbeddedPdfSignature,
    anchors: list[asn1_x509.Certificate],
    moment: datetime | None,
    tsa_anchors: list[asn1_x509.Certificate],
) -> PdfSignatureStatus:
    context = ValidationContext(
        trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail", moment=moment
    )
    return validate_pdf_signature(embedded, context, ts_validation_context=tsa_context(tsa_anchors))


def tsa_context(tsa_anchors: list[asn1_x509.Certificate]) -> ValidationContext:
    """Timestamps are trusted from these roots only (never the document signers' roots,
    never the operating system's list)."""
    return ValidationContext(
        trust_roots=tsa_anchors, allow_fetching=False, revocation_mode="soft-fail"
    )


def _path_certificates(status: object, cert: x509.Certificate) -> list[x509.Certificate]:
    """The certificates of the path pyHanko validated, trust anchor first, signer last
    (just the signer when there is no path)."""
    path = getattr(status, "validation_path", None)
    if path is None:
        return [cert]
    found = [_crypto_cert(c) for c in path.iter_certs(include_root=True)]
    return found if found and found[-1] == cert else [cert]


def _revoked(
    cert: x509.Certificate,
    trust: list[x509.Certificate],
    crls: list[x509.CertificateRevocationList],
    path: list[x509.Certificate] | None = None,
) -> datetime | None:
    """The earliest date on which a revocation list signed by its issuer names the
    certificate, or any issuing CA between it and the trust anchor (a council PKI's
    issuing CA publishes the list for its people; the root, for its issuing CAs).

    ``path`` is the validated chain, anchor first; each certificate's issuer is the one
    above it there (or a trust anchor of that name). Checked here rather than by pyHanko's
    revocation modes: DutyDesk certificates carry no distribution point, and "require"
    mode would fail every other anchor's certificates."""
    chain = path or [cert]
    anchors = {a.fingerprint(hashes.SHA256()) for a in trust}
    earliest: datetime | None = None
    for i, subject in enumerate(chain):
        if subject.fingerprint(hashes.SHA256()) in anchors:
            continue  # an anchor is trusted as configured, not revoked by a list
        issuers = [a for a in trust if a.subject == subject.issuer]
        if i > 0 and chain[i - 1].subject == subject.issuer:
            issuers.append(chain[i - 1])
        for crl in crls:
            if crl.issuer != subject.issuer:
                continue
            if not any(signed_by(crl, a) for a in issuers):
                continue
            entry = crl.get_revoked_certificate_by_serial_number(subject.serial_number)
            if entry is not None and (earliest is None or entry.revocation_date_utc < earliest):
                earliest = entry.revocation_date_utc
    return earliest


_SHOWN_INFO = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate")


def _entry(container: object, key: str) -> object:
    """``container[key]`` resolved (pyHanko dereferences on indexing), or None."""
    try:
        return container[key]  # type: ignore[index]
    except KeyError:
        return None


def _shown_metadata(pdf: bytes) -> tuple[tuple[str, ...], bytes | None]:
    """What a PDF reader shows of the document information (title, author, subject,
    keywords, creator, creation date) and the XMP metadata stream, in the file's last revision."""
    with quiet_libraries():
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        info = _entry(reader.trailer, "/Info")
        shown = tuple(
            str(info[key]) if isinstance(info, generic.DictionaryObject) and key in info else ""
            for key in _SHOWN_INFO
        )
        xmp = _entry(reader.root, "/Metadata")
        data = xmp.data if isinstance(xmp, generic.StreamObject) else None
    return shown, data


def _shown_metadata_changed(signed: bytes, whole: bytes) -> str:
    """What changed after signing in the metadata a reader shows ("" when nothing).

    pyHanko's difference analysis accepts any change to ``/Info`` and the XMP metadata
    as long-term-validation housekeeping; the title and author a reader puts in its window
    are part of what was signed, so DutyDesk does not. (Producer and modification date,
    which LTV tools update, are left out.)"""
    try:
        before, after = _shown_metadata(signed), _shown_metadata(whole)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return "the document information could not be read"
    if before[0] != after[0]:
        return "the document information (title, author, subject, keywords or dates) was changed"
    if before[1] != after[1]:
        return "the XMP metadata was changed"
    return ""


def _words(status: object) -> str:
    indic = getattr(status, "trust_problem_indic", None)
    return str(getattr(indic, "name", indic)).replace("_", " ").lower()


def _coverage(status: object) -> tuple[bool, str]:
    coverage = getattr(status, "coverage", None)
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True, ""
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return False, "the signature does not cover the whole document as signed"
    level = getattr(status, "modification_level", None)
    docmdp_ok = getattr(status, "docmdp_ok", False)
    if level is not None and level <= ModificationLevel.LTA_UPDATES and docmdp_ok:
        return True, ""
    what = {
        ModificationLevel.FORM_FILLING: "form fields were filled in, or a signature or "
        "signature field was added",
        ModificationLevel.ANNOTATIONS: "annotations were added",
        ModificationLevel.OTHER: "content was added or changed (pages, text, objects)",
    }.get(level, "the file was changed")  # type: ignore[arg-type]
    return False, f"after signing, {what} in a later update"
