"""Where signing keys and trust anchors live on a machine.

A folder (``<data dir>/signing`` by default) holds:

- ``authority.p12``: the DutyDesk authority's key and certificate (only on the machine
  that issues certificates), and ``people/<login>.p12``: a person's key and certificate
  (on the desks they sign from). Each is a PKCS#12 file encrypted (AES-256) with a random
  passphrase that is kept in the OS keyring (service ``dutydesk-signing``) and nowhere
  else: the file alone is useless, and no key is ever in the database or in plain form.
- ``authority.pem``: the authority's certificate (public), the trust anchor ``verify``
  uses; ``trust/*.pem`` more anchors (e.g. the authority's own PKI root);
  ``trust/*.crl`` revocation lists; ``tsa/*.pem`` the roots of the time-stamping
  authorities whose timestamps are trusted (kept apart from the signers' anchors).

Without a secure keyring nothing is stored: ``InsecureKeyringError`` says why.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from ..fileops import replace_file
from .keys import InsecureKeyringError, insecure_reason

if TYPE_CHECKING:  # the keyring and cryptography load when a key or certificate is used
    from cryptography import x509

    from ..reports.pki import Identity

SERVICE = "dutydesk-signing"
FOLDER = "signing"
AUTHORITY = "authority"


def signing_dir(data_dir: Path) -> Path:
    return data_dir / FOLDER


def _write_private(path: Path, data: bytes) -> None:
    """Atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    replace_file(tmp, path)


class KeyFolder:
    """Keys (PKCS#12 + keyring passphrase) and trust anchors in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # ---- private keys -------------------------------------------------------------

    def _p12(self, name: str) -> Path:
        if name == AUTHORITY:
            return self.folder / "authority.p12"
        if not name or "/" in name or "\\" in name or name.startswith("."):
            from ..reports.pki import CertificateError

            raise CertificateError(f"{name!r} is not a login a key can be kept for")
        return self.folder / "people" / f"{name}.p12"

    def _account(self, name: str) -> str:
        where = str(self._p12(name).expanduser().resolve())
        return f"{name}:" + hashlib.sha256(where.encode("utf-8")).hexdigest()[:24]

    def has(self, name: str) -> bool:
        return self._p12(name).is_file()

    def save(self, name: str, identity: Identity) -> Path:
        """Keep ``identity`` as ``name`` (a login, or ``authority``); replaces an old one."""
        import keyring
        from keyring.errors import KeyringError

        from ..reports.pki import to_pkcs12

        reason = insecure_reason()
        if reason is not None:
            raise InsecureKeyringError(f"no signing key can be kept on this computer: {reason}")
        passphrase = secrets.token_urlsafe(32)
        data = to_pkcs12(identity, passphrase.encode("ascii"), friendly=name)
        try:
            keyring.set_password(SERVICE, self._account(name), passphrase)
        except KeyringError as err:
            raise InsecureKeyringError(
                f"the keyring refused to keep the signing key's passphrase: {type(err).__name__}"
            ) from None
        path = self._p12(name)
        _write_private(path, data)
        return path

    def load(self, name: str) -> Identity | None:
        """The identity kept as ``name``, or None when this machine has none."""
        path = self._p12(name)
        if not path.is_file():
            return None
        import keyring
        from keyring.errors import KeyringError

        from ..reports.pki import CertificateError, from_pkcs12

        try:
            passphrase = keyring.get_password(SERVICE, self._account(name))
        except KeyringError as err:
            raise InsecureKeyringError(
                f"the keyring refused access to the signing key: {type(err).__name__}"
            ) from None
        if passphrase is None:
            raise CertificateError(
                f"the signing key {path} cannot be opened: its "
                f"passphrase is not in this computer's keyring (made on "
                f"another computer, or the keyring entry was removed)"
            )
        return from_pkcs12(path.read_bytes(), passphrase.encode("ascii"), what=str(path))

    # ---- trust --------------------------------------------------------------------

    @property
    def authority_pem(self) -> Path:
        return self.folder / "authority.pem"

    def write_authority_certificate(self, cert: x509.Certificate) -> Path:
        from ..reports.pki import pem

        self.folder.mkdir(parents=True, exist_ok=True)
        self.authority_pem.write_bytes(pem(cert))
        return self.authority_pem

    def add_trust_anchor(self, cert: x509.Certificate) -> Path:
        from ..reports.pki import fingerprint, pem

        path = self.folder / "trust" / f"{fingerprint(cert).replace(':', '')[:16]}.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pem(cert))
        return path

    def trust_anchors(self) -> list[x509.Certificate]:
        from ..reports.pki import load_certificates

        found: list[x509.Certificate] = []
        files = [self.authority_pem] if self.authority_pem.is_file() else []
        trust = self.folder / "trust"
        if trust.is_dir():
            files += sorted(trust.glob("*.pem"))
        for path in files:
            found += load_certificates(path.read_bytes(), what=str(path))
        return found

    @property
    def tsa_folder(self) -> Path:
        return self.folder / "tsa"

    def add_tsa_anchor(self, cert: x509.Certificate) -> Path:
        """Trust timestamps from authorities chaining to ``cert`` (and nothing else: a
        timestamp root never vouches for a document signer)."""
        from ..reports.pki import fingerprint, pem

        path = self.tsa_folder / f"{fingerprint(cert).replace(':', '')[:16]}.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pem(cert))
        return path

    def tsa_anchors(self) -> list[x509.Certificate]:
        from ..reports.pki import load_certificates

        found: list[x509.Certificate] = []
        folder = self.tsa_folder
        for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
            found += load_certificates(path.read_bytes(), what=str(path))
        return found

    def revocation_lists(self) -> list[x509.CertificateRevocationList]:
        from cryptography import x509

        from ..reports.pki import CertificateError

        trust = self.folder / "trust"
        out = []
        for path in sorted(trust.glob("*.crl")) if trust.is_dir() else []:
            data = path.read_bytes()
            try:
                out.append(
                    x509.load_pem_x509_crl(data)
                    if b"-----BEGIN" in data
                    else x509.load_der_x509_crl(data)
                )
            except ValueError:
                raise CertificateError(f"{path} is not a revocation list") from None
        return out

    def write_revocation_list(self, crl: x509.CertificateRevocationList) -> Path:
        from cryptography.hazmat.primitives import serialization

        path = self.folder / "trust" / "authority.crl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path
