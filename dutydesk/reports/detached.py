"""Detached signatures on DutyDesk data exports (Annex A CSV/XLSX, CIN census XML, audit
CSV), and checking them.

A data file has nowhere to hold a signature of its own, so it gets one beside it:
``FILE.p7s``, a CMS SignedData (RFC 5652, DER) over the file's exact bytes, made with the
signed-in person's key (pyHanko; SHA-256, RSA; the signer's certificate and the
authority's inside), the content itself not included ("detached"). Any CMS tool checks it
without DutyDesk::

    openssl cms -verify -binary -inform DER -in FILE.p7s -content FILE -CAfile authority.pem \
        -purpose any -out /dev/null

``inspect_detached`` checks it as ``inspect`` checks a PDF: the file's SHA-256 against the
signed digest, the signature against the certificate's key, the certificate against the
trust anchors given (no network) and the revocation lists, and a trusted timestamp when
there is one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import StandardCMSSignatureStatus
from pyhanko_certvalidator import ValidationContext

from .pki import Identity, common_name, fingerprint, login_of
from .signature import (
    SignatureCheck,
    _asn1_cert,
    _crypto_cert,
    _signer,
    judge_trust,
    quiet_libraries,
    stamp_time,
    tsa_context,
)

SUFFIX = ".p7s"


class SignatureFileError(ValueError):
    """The ``.p7s`` beside a file is not a signature this check can read."""


def signature_path(path: Path) -> Path:
    """Where a data file's signature is kept: ``FILE.p7s`` beside it."""
    return path.with_name(path.name + SUFFIX)


def sign_detached(
    data: bytes,
    identity: Identity,
    *,
    timestamper: TimeStamper | None = None,
    now: datetime | None = None,
) -> bytes:
    """A detached CMS signature (DER) over ``data`` by ``identity``; with ``timestamper``,
    an RFC 3161 signature timestamp is added as an unsigned attribute."""
    signer = _signer(identity)
    attrs = PdfCMSSignedAttributes(signing_time=now or datetime.now(UTC))
    with quiet_libraries():
        info = asyncio.run(
            signer.async_sign_general_data(
                data,
                "sha256",
                detached=True,
                timestamper=timestamper,
                signed_attr_settings=attrs,
            )
        )
    return bytes(info.dump())


def inspect_detached(
    data: bytes,
    signature: bytes,
    trust: list[x509.Certificate],
    crls: list[x509.CertificateRevocationList] = (),  # type: ignore[assignment]
    *,
    at: datetime | None = None,
    tsa_trust: list[x509.Certificate] = (),  # type: ignore[assignment]
) -> SignatureCheck:
    """``signature`` (a ``.p7s``) checked against ``data`` (a timestamp counts only from an
    authority chaining to ``tsa_trust``); ``SignatureFileError`` when it
    is not a CMS signature at all."""
    try:
        info = cms.ContentInfo.load(signature)
        if info["content_type"].native != "signed_data":
            raise SignatureFileError("it is not a CMS signature (SignedData)")
        signed_data = info["content"]
        signed_data.native  # noqa: B018 - parse it all now: a damaged one fails here
    except (ValueError, TypeError, KeyError) as err:
        raise SignatureFileError(f"it cannot be read as a CMS signature ({err})") from None
    if signed_data["encap_content_info"]["content"].native is not None:
        raise SignatureFileError("it carries its own content instead of signing this file")
    anchors = [_asn1_cert(c) for c in trust]

    def validate(moment: datetime | None) -> StandardCMSSignatureStatus:
        context = ValidationContext(
            trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail", moment=moment
        )
        return asyncio.run(
            async_validate_detached_cms(
                data,
                signed_data,
                signer_validation_context=context,
                ts_validation_context=tsa_context([_asn1_cert(c) for c in tsa_trust]),
            )
        )

    with quiet_libraries():
        try:
            status = validate(at)
        except (SignatureValidationError, SigningError, ValueError, KeyError, TypeError) as err:
            raise SignatureFileError(
                f"it cannot be checked ({type(err).__name__}: {err})"
            ) from None
        cert = _crypto_cert(status.signing_cert)
        stamped = stamp_time(status)
        claimed = stamped or status.signer_reported_dt
        trust_note = ""
        now = at or datetime.now(UTC)
        if (
            not status.trusted
            and claimed is not None
            and cert.not_valid_before_utc <= claimed <= cert.not_valid_after_utc < now
        ):
            then = validate(claimed)
            if then.trusted:
                status = then
                trust_note = (
                    f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}, after "
                    + (
                        "the trusted timestamp"
                        if stamped
                        else "the signing time the signer's desk recorded (no trusted timestamp)"
                    )
                    + "; judged at that time"
                )
    trusted, problem, revoked_note = judge_trust(
        cert, status, list(trust), list(crls), stamped_at=stamped
    )
    return SignatureCheck(
        signer_name=common_name(cert),
        signer_login=login_of(cert),
        issuer=cert.issuer.rfc4514_string(),
        certificate_fingerprint=fingerprint(cert),
        signed_at=claimed,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=trusted,
        trust_problem=problem,
        covers_all=True,
        added_after="",
        signed_bytes=data,
        other_signatures=0,
        trust_note="; ".join(n for n in (trust_note, revoked_note) if n),
        timestamped=stamped is not None,
    )
