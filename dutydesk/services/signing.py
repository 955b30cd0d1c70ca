"""Who signs a document, and the DutyDesk signing authority as a use case.

- ``create_authority``: a new DutyDesk authority (``server init``, ``admin init``); its
  key goes into the key folder (PKCS#12, passphrase in the keyring), its certificate
  (public) beside it as the trust anchor.
- ``issue_person``: a key and certificate for a person (``server add-user``,
  ``admin create-user``), kept in the key folder of this machine; ``transfer_bundle``
  makes a passphrase-protected PKCS#12 to carry it to the person's desk, where
  ``import_identity`` keeps it (re-protected with a keyring passphrase).
- ``signer_for``: the key a desk signs with for a person: their own, else the authority's
  document seal kept on this desk; with neither, ``NoSigningKey`` says what to do.
- ``revoke``: a revocation list naming certificates that must no longer be trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.keys import InsecureKeyringError
from ..config.signing_keys import AUTHORITY, KeyFolder, signing_dir

if TYPE_CHECKING:  # pyhanko (with aiohttp) and cryptography load when something is
    # signed or a key is read, not at start
    from pyhanko.sign.timestamps.api import TimeStamper

    from ..reports import pki

SEAL = "document-seal"  # the authority's own signing key, for desks without a personal key


class NoSigningKey(Exception):
    """This desk holds no key to sign documents with for the person."""


class TimestampUnavailable(NoSigningKey, ValueError):
    """A time-stamping authority is configured but gave no timestamp: nothing is signed
    (a document without the timestamp the desk promises would be weaker evidence)."""


def _stamped(make: Callable[[], bytes], url: str) -> bytes:
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    try:
        return make()
    except (TimestampRequestError, SigningError) as err:
        if not url:
            raise
        raise TimestampUnavailable(
            f"no trusted timestamp could be had from {url} ({err}), so nothing was signed. "
            f"Try again; if the timestamp authority stays down, an administrator can clear "
            f"the tsa_url setting to sign with the desk's clock only"
        ) from None


@dataclass(frozen=True)
class DocumentSigner:
    """Signs finished documents with one identity (a person's, or the authority seal)."""

    identity: pki.Identity
    location: str | None = None
    # An RFC 3161 time-stamping authority (setting ``tsa_url``): when set, every signature
    # carries its timestamp, so the signing time is proved, not just claimed.
    timestamper: TimeStamper | None = None

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def tsa_url(self) -> str:
        return str(getattr(self.timestamper, "url", "") or "")

    def sign(self, pdf: bytes, *, reason: str) -> bytes:
        from ..reports.signature import sign

        return _stamped(
            lambda: sign(
                pdf,
                self.identity,
                reason=reason,
                location=self.location,
                timestamper=self.timestamper,
            ),
            self.tsa_url if self.timestamper else "",
        )

    def sign_detached(self, data: bytes) -> bytes:
        """A detached CMS signature (``FILE.p7s``) over a data export's bytes."""
        from ..reports.detached import sign_detached

        return _stamped(
            lambda: sign_detached(data, self.identity, timestamper=self.timestamper),
            self.tsa_url if self.timestamper else "",
        )


def require_signer(signer: DocumentSigner | None, login: str, reason: str = "") -> DocumentSigner:
    """``signer``, or ``NoSigningKey`` saying why there is none: nothing unsigned leaves."""
    if signer is None:
        raise NoSigningKey(
            reason or f"no signing key was given for {login}, so the export cannot be signed"
        )
    return signer


def create_authority(keys: KeyFolder, organisation: str, *, replace: bool = False) -> pki.Identity:
    from ..reports import pki

    if keys.has(AUTHORITY) and not replace:
        raise pki.CertificateError(
            f"a signing authority already exists in {keys.folder}; certificates it issued "
            f"stay valid. Keep it (or pass --new-authority to make a new one: documents "
            f"signed under the old one then need its certificate as a trust anchor)"
        )
    authority = pki.new_authority(organisation)
    keys.save(AUTHORITY, authority)
    old = keys.authority_pem
    if old.is_file():  # an older authority stays trusted for what it signed
        for cert in pki.load_certificates(old.read_bytes(), what=str(old)):
            keys.add_trust_anchor(cert)
    keys.write_authority_certificate(authority.certificate)
    seal = pki.issue(authority, display_name=f"{organisation} (DutyDesk document seal)", login=None)
    keys.save(SEAL, seal)
    return authority


def _authority(keys: KeyFolder) -> pki.Identity:
    from ..reports import pki

    authority = keys.load(AUTHORITY)
    if authority is None:
        raise pki.CertificateError(
            f"no signing authority in {keys.folder}: run `dutydesk server init` (shared "
            f"database) or `dutydesk admin init` (stand-alone desk) on this machine first, "
            f"or import the person's key with `dutydesk signing import`"
        )
    return authority


def issue_person(keys: KeyFolder, login: str, display_name: str) -> pki.Identity:
    """A new key and certificate for ``login``, kept in ``keys`` (replacing an older one:
    that is how a key is rotated; revoke the old certificate if it was compromised)."""
    from ..reports import pki

    identity = pki.issue(_authority(keys), display_name=display_name, login=login)
    keys.save(login, identity)
    return identity


def issue_for_transfer(
    keys: KeyFolder, login: str, display_name: str, passphrase: str
) -> tuple[pki.Identity, bytes]:
    """A key and certificate for a person who signs on another desk: returned as a
    PKCS#12 protected by ``passphrase``, not kept on this (the administrator's) machine."""
    from ..reports import pki

    identity = pki.issue(_authority(keys), display_name=display_name, login=login)
    return identity, transfer_bundle(identity, passphrase)


def transfer_bundle(identity: pki.Identity, passphrase: str) -> bytes:
    from ..reports import pki

    return pki.to_pkcs12(
        identity, passphrase.encode("utf-8"), friendly=identity.login or identity.name
    )


def import_identity(
    keys: KeyFolder, data: bytes, passphrase: str, *, trust_chain: bool = True
) -> pki.Identity:
    """Keep a person's key from a PKCS#12 file (DutyDesk's or the authority's own PKI)."""
    from ..reports import pki

    identity = pki.from_pkcs12(data, passphrase.encode("utf-8"))
    login = identity.login
    if not login:
        raise pki.CertificateError(
            "the certificate names no login (UID attribute); it "
            "cannot be matched to a DutyDesk person"
        )
    keys.save(login, identity)
    if trust_chain and identity.chain:
        keys.add_trust_anchor(identity.chain[-1])
    return identity


def timestamper_for(tsa_url: str) -> TimeStamper | None:
    """The RFC 3161 client for the ``tsa_url`` setting (None when it is empty);
    ``NoSigningKey`` when it is not an http(s) URL."""
    if not tsa_url.strip():
        return None
    from ..reports.timestamp import TimestampSettingError, UrlTimeStamper

    try:
        return UrlTimeStamper(tsa_url.strip())
    except TimestampSettingError as err:
        raise NoSigningKey(str(err)) from None


def signer_for(
    keys: KeyFolder, login: str, *, now: datetime | None = None, tsa_url: str = ""
) -> DocumentSigner:
    """The key to sign with; refused (``NoSigningKey``, saying why) when there is none, or
    its certificate has expired, is not valid yet, or is revoked by a revocation list on
    this desk: such a signature would only verify as "not trusted"."""
    from ..reports import pki

    identity = keys.load(login) or keys.load(SEAL)
    if identity is None:
        raise NoSigningKey(
            f"this desk has no signing key for {login}, so the document cannot be signed. "
            f"An administrator issues one (`dutydesk admin create-user`, or `dutydesk server "
            f"add-user` and `dutydesk signing import` on this desk)"
        )
    cert = identity.certificate
    now = now or datetime.now(UTC)
    again = (
        f"An administrator issues a new one (`dutydesk signing issue --login {login}`, "
        f"or `dutydesk server add-user` and `dutydesk signing import` on this desk)"
    )
    if now > cert.not_valid_after_utc:
        raise NoSigningKey(
            f"the signing certificate of {identity.name} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, so the document cannot be "
            f"signed. {again}"
        )
    if now < cert.not_valid_before_utc:
        raise NoSigningKey(
            f"the signing certificate of {identity.name} is not valid until "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (check this "
            f"computer's clock)"
        )
    issuers = [c for c in identity.chain if c.subject == cert.issuer]
    for crl in keys.revocation_lists():
        if (
            crl.issuer == cert.issuer
            and any(pki.signed_by(crl, c) for c in issuers)
            and crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
        ):
            raise NoSigningKey(
                f"the signing certificate of {identity.name} (serial "
                f"{cert.serial_number:X}) has been revoked, so the document "
                f"cannot be signed. {again}"
            )
    return DocumentSigner(identity, timestamper=timestamper_for(tsa_url))


@cache
def _demo_authority() -> pki.Identity:
    from ..reports import pki

    return pki.new_authority("DEMO (synthetic data)")


def demo_signer(keys_dir: Path | None, login: str, display_name: str) -> DocumentSigner:
    """Demo data only: a throw-away authority kept in memory for this session; its
    certificate is written to the demo folder's trust anchors so demo prints verify."""
    from ..reports import pki

    authority = _demo_authority()
    if keys_dir is not None:
        KeyFolder(keys_dir).add_trust_anchor(authority.certificate)
    return DocumentSigner(pki.issue(authority, display_name=display_name, login=login))


class DemoSigner(DocumentSigner):
    """``demo_signer``'s, made when first used: its two RSA keys take about a second, and
    most demo sessions never sign. Nothing is written until then; no key is ever written
    to a file."""

    _for: tuple[Path | None, str, str]

    def __init__(self, keys_dir: Path | None, login: str, display_name: str) -> None:
        object.__setattr__(self, "_for", (keys_dir, login, display_name))
        object.__setattr__(self, "location", None)
        object.__setattr__(self, "timestamper", None)

    @cached_property
    def _made(self) -> DocumentSigner:
        return demo_signer(*self._for)

    @property
    def identity(self) -> pki.Identity:
        return self._made.identity

    def __repr__(self) -> str:
        return f"DemoSigner(login={self._for[1]!r})"


def desk_signer(
    data_dir: Path, login: str, display_name: str, *, demo: bool, tsa_url: str = ""
) -> tuple[DocumentSigner | None, str]:
    """The signer for the window's session, or None and why (shown when printing)."""
    if demo:
        return DemoSigner(signing_dir(data_dir), login, display_name or login), ""
    from ..reports import pki

    try:
        return signer_for(KeyFolder(signing_dir(data_dir)), login, tsa_url=tsa_url), ""
    except (NoSigningKey, pki.CertificateError, InsecureKeyringError) as err:
        return None, str(err)


def revoke(keys: KeyFolder, serials: list[int], *, since: datetime | None = None) -> Path:
    """A revocation list from this machine's authority naming ``serials`` (added to any
    already revoked), kept with the trust anchors; publish it with the certificate.

    ``since``: when the key is known or feared to have been compromised (a laptop lost on
    Monday, revoked on Friday); the revocation is dated then, so a thief's signatures with
    a trusted timestamp from the days between are not "valid when signed". Default: now.
    An earlier date replaces a later one already listed, never the other way round."""
    from ..reports import pki

    authority = _authority(keys)
    now = datetime.now(UTC)
    when = now if since is None else since.astimezone(UTC)
    if when > now:
        raise pki.CertificateError("a revocation cannot be dated in the future")
    known: dict[int, datetime] = {}
    for crl in keys.revocation_lists():
        if crl.issuer == authority.certificate.subject:
            for entry in crl:
                known[entry.serial_number] = entry.revocation_date_utc
    for serial in serials:
        known[serial] = min(known.get(serial, when), when)
    return keys.write_revocation_list(pki.revocation_list(authority, sorted(known.items())))
