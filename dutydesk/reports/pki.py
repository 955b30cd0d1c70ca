"""Certificates for signing documents: a DutyDesk certificate authority and the people it
certifies. Pure cryptography (the ``cryptography`` package): no keyring, no files here.

Where the authority has its own PKI, its certificates are imported instead
(``dutydesk signing import``); where it has none, ``dutydesk server init`` (shared mode)
or ``dutydesk admin init`` (a stand-alone desk) makes a DutyDesk authority, and
``server add-user`` / ``admin create-user`` issue each person a certificate from it.

A person's certificate names them (common name) and carries their DutyDesk login as the
``UID`` attribute, so ``dutydesk verify`` can tell whether the signer is the person the
document says printed it. Key usage is digital signature and non-repudiation (what PDF
validators, pyHanko's included, expect of a document signer). Keys are RSA (3072 bits for
the authority, 2048 for people): every PDF reader that checks signatures knows RSA.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

AUTHORITY_KEY_BITS = 3072
PERSON_KEY_BITS = 2048
AUTHORITY_DAYS = 10 * 365
PERSON_DAYS = 2 * 365
SEAL_UNIT = "DutyDesk document seal"


class CertificateError(ValueError):
    """A certificate or key file cannot be used: the message says which and why."""


@dataclass(frozen=True)
class Identity:
    """A private key, its certificate, and the certificates above it (authority last)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def name(self) -> str:
        return common_name(self.certificate)

    @property
    def login(self) -> str | None:
        return login_of(self.certificate)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def _short(text: str) -> str:
    """X.509 names hold at most 64 characters (RFC 5280 upper bounds; the cryptography
    package counts UTF-8 bytes)."""
    text = text.strip()
    if len(text.encode("utf-8")) <= 64:
        return text
    while len(text.encode("utf-8")) > 61:
        text = text[:-1]
    return text.rstrip() + "..."


def common_name(cert: x509.Certificate) -> str:
    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else cert.subject.rfc4514_string()


def login_of(cert: x509.Certificate) -> str | None:
    found = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(found[0].value) if found else None


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate (DER), as colon-separated hex: what people compare."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper()


def new_authority(
    organisation: str, *, now: datetime | None = None, days: int = AUTHORITY_DAYS
) -> Identity:
    """A self-signed root that only certifies DutyDesk signers (path length 0)."""
    if not organisation.strip():
        raise CertificateError("the authority needs an organisation name")
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=AUTHORITY_KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(
                NameOID.COMMON_NAME, _short(f"{organisation} DutyDesk signing authority")
            ),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _short(organisation)),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity(key, cert, ())


def issue(
    authority: Identity,
    *,
    display_name: str,
    login: str | None,
    now: datetime | None = None,
    days: int = PERSON_DAYS,
) -> Identity:
    """A new key and a certificate for a person (``login``) or, with ``login=None``, the
    authority's document seal. Signed by ``authority``."""
    if not display_name.strip():
        raise CertificateError("a certificate needs the person's name")
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=PERSON_KEY_BITS)
    org = authority.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, _short(display_name))]
    if login:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, _short(login)))
    else:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SEAL_UNIT))
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(org[0].value)))
    not_after = min(now + timedelta(days=days), authority.certificate.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    return Identity(key, cert, (authority.certificate, *authority.chain))


def to_pkcs12(identity: Identity, passphrase: bytes, *, friendly: str = "dutydesk") -> bytes:
    """A PKCS#12 file (AES-256 encrypted with ``passphrase``) holding the identity."""
    if not passphrase:
        raise CertificateError("a PKCS#12 file must be protected by a passphrase")
    encryption = serialization.BestAvailableEncryption(passphrase)
    return pkcs12.serialize_key_and_certificates(
        friendly.encode("utf-8"),
        identity.key,
        identity.certificate,
        list(identity.chain) or None,
        encryption,
    )


def from_pkcs12(data: bytes, passphrase: bytes, *, what: str = "the PKCS#12 file") -> Identity:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        raise CertificateError(
            f"{what} cannot be opened: wrong passphrase, or not a PKCS#12 file"
        ) from None
    if cert is None or not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError(f"{what} holds no RSA key with its certificate")
    return Identity(key, cert, tuple(extra))


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificates(data: bytes, *, what: str) -> list[x509.Certificate]:
    """Every certificate in a PEM (one or more) or DER file."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise CertificateError(f"{what} is not a certificate (PEM or DER)") from None


def revocation_list(
    authority: Identity,
    revoked: list[tuple[int, datetime]],
    *,
    now: datetime | None = None,
    days: int = 30,
) -> x509.CertificateRevocationList:
    """A CRL signed by the authority naming the revoked serial numbers."""
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now)
        .next_update(now + timedelta(days=days))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(authority.key, hashes.SHA256())


def signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``crl``; a key that cannot sign (X25519, X448)
    signed nothing."""
    key = issuer.public_key()
    signing_keys = (
        rsa.RSAPublicKey,
        ec.EllipticCurvePublicKey,
        ed25519.Ed25519PublicKey,
        ed448.Ed448PublicKey,
        dsa.DSAPublicKey,
    )
    return isinstance(key, signing_keys) and crl.is_signature_valid(key)
