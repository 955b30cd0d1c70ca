"""``dutydesk signing``: the keys that sign printed documents, and what verify trusts.

    dutydesk signing status        [--login LOGIN]         keys and trust anchors here
    dutydesk signing new-authority --organisation NAME     a DutyDesk authority (if none)
    dutydesk signing issue   --login L --name "Full Name"  a person's key on this machine
    dutydesk signing import  FILE.p12                      keep a person's key (from
                                                           add-user, or the authority's PKI)
    dutydesk signing trust   CERT.pem                      trust another authority
    dutydesk signing trust --tsa CERT.pem                  trust a timestamp authority
    dutydesk signing export-authority -o ca.pem            the certificate to publish
    dutydesk signing revoke  --serial HEX [--since DATE]   stop trusting a certificate

Keys live in ``<data dir>/signing`` as PKCS#12 files whose passphrases are in the OS
keyring (docs/printing.md). The passphrase of an imported file is prompted for, or read
from standard input with ``--password-stdin``; never taken as an argument.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from ..config.keys import InsecureKeyringError
from ..config.signing_keys import AUTHORITY, KeyFolder, signing_dir
from ..paths import default_data_dir
from ..reports import pki
from ..services import signing
from .common import add_store_argument, fail
from .secure import add_password_argument, read_password


def key_folder(args: argparse.Namespace) -> KeyFolder:
    return KeyFolder(signing_dir(args.data_dir or default_data_dir()))


def signer_or_reason(
    args: argparse.Namespace, login: str, display_name: str
) -> tuple[signing.DocumentSigner | None, str]:
    """The key ``login`` signs documents and exports with on this desk (with the desk's
    time-stamping authority, setting ``tsa_url``), or None and why. With ``--demo`` and no
    key issued, the session's throw-away demo authority."""
    from ..config.settings import SettingsError, load_desk

    try:
        tsa_url = load_desk().tsa_url
    except SettingsError as err:
        return None, str(err)
    try:
        return signing.signer_for(key_folder(args), login, tsa_url=tsa_url), ""
    except signing.NoSigningKey as err:
        if not getattr(args, "demo", False):
            return None, str(err)
        return signing.demo_signer(key_folder(args).folder, login, display_name or login), ""
    except (pki.CertificateError, InsecureKeyringError) as err:
        return None, str(err)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="signing_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="the signing keys and trust anchors on this machine")
    status.add_argument("--login", help="also show this person's key")
    new = sub.add_parser("new-authority", help="create a DutyDesk signing authority here")
    new.add_argument("--organisation", required=True, help="the local authority's name")
    new.add_argument(
        "--new-authority",
        dest="replace",
        action="store_true",
        help="replace an existing authority (its certificate stays trusted)",
    )
    issue = sub.add_parser("issue", help="issue a person a key and certificate on this machine")
    issue.add_argument("--login", required=True)
    issue.add_argument("--name", required=True, help="the person's full name")
    imp = sub.add_parser("import", help="keep a person's key from a PKCS#12 file")
    imp.add_argument("file", type=Path)
    add_password_argument(imp)
    trust = sub.add_parser("trust", help="trust another authority's certificate (PEM or DER)")
    trust.add_argument("file", type=Path)
    trust.add_argument(
        "--tsa",
        action="store_true",
        help="a time-stamping authority's root: trust its timestamps (and nothing else)",
    )
    export = sub.add_parser("export-authority", help="write the authority's certificate")
    export.add_argument("-o", "--output", type=Path, required=True)
    revoke = sub.add_parser("revoke", help="revoke certificates by serial number (hex)")
    revoke.add_argument(
        "--serial",
        required=True,
        action="append",
        help="the certificate's serial number, as `signing status` shows it",
    )
    revoke.add_argument(
        "--since",
        help="when the key was (or may have been) compromised, e.g. 2026-11-30 or "
        "2026-11-30T14:00 (UTC); documents signed after it are not trusted, even with a "
        "trusted timestamp. Default: now",
    )
    for p in (status, new, issue, imp, trust, export, revoke):
        add_store_argument(p)


def run(args: argparse.Namespace) -> int:
    keys = key_folder(args)
    try:
        return _run(args, keys)
    except (pki.CertificateError, InsecureKeyringError) as err:
        return fail(str(err), 2)
    except OSError as err:
        return fail(f"cannot read or write {err.filename}: {err.strerror}", 2)


def ensure_authority(keys: KeyFolder, organisation: str) -> pki.Identity | None:
    """Create the folder's DutyDesk signing authority unless it has one: the new authority,
    or None when an existing one is kept. Raises ``pki.CertificateError`` or
    ``InsecureKeyringError`` when it cannot be made (nothing half-written is kept)."""
    if keys.has(AUTHORITY):
        return None
    return signing.create_authority(keys, organisation)


def describe(identity: pki.Identity) -> str:
    cert = identity.certificate
    return (
        f"{identity.name}; serial {cert.serial_number:X}; valid until "
        f"{cert.not_valid_after_utc:%Y-%m-%d}; SHA-256 {identity.fingerprint}"
    )


def _run(args: argparse.Namespace, keys: KeyFolder) -> int:
    command = args.signing_command
    if command == "new-authority":
        authority = signing.create_authority(keys, args.organisation, replace=args.replace)
        print(f"signing authority created: {describe(authority)}")
        print(f"its certificate (publish it to whoever checks documents): {keys.authority_pem}")
    elif command == "issue":
        identity = signing.issue_person(keys, args.login, args.name)
        print(f"certificate issued to {args.login}: {describe(identity)}")
    elif command == "import":
        data = args.file.read_bytes()
        identity = signing.import_identity(
            keys, data, read_password(args, f"Passphrase of {args.file}: ")
        )
        root = identity.chain[-1] if identity.chain else None
        print(f"key kept for {identity.login}: {describe(identity)}")
        if root is not None:
            print(
                f"trusted authority: {pki.common_name(root)}; SHA-256 "
                f"{pki.fingerprint(root)} (compare it with what your administrator "
                f"published)"
            )
    elif command == "trust":
        certs = pki.load_certificates(args.file.read_bytes(), what=str(args.file))
        for cert in certs:
            (keys.add_tsa_anchor if args.tsa else keys.add_trust_anchor)(cert)
            what = "timestamps trusted from" if args.tsa else "trusted"
            print(f"{what}: {pki.common_name(cert)}; SHA-256 {pki.fingerprint(cert)}")
    elif command == "export-authority":
        if not keys.authority_pem.is_file():
            return fail(f"no authority certificate in {keys.folder}", 2)
        args.output.write_bytes(keys.authority_pem.read_bytes())
        print(f"{args.output}: the authority's certificate")
    elif command == "revoke":
        try:
            serials = [int(s.replace(":", ""), 16) for s in args.serial]
        except ValueError:
            return fail("a serial number is hexadecimal, as `signing status` shows it", 2)
        since = None
        if args.since:
            try:
                since = datetime.fromisoformat(args.since)
            except ValueError:
                return fail("--since is a date or date and time, e.g. 2026-11-30T14:00", 2)
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
        try:
            path = signing.revoke(keys, serials, since=since)
        except pki.CertificateError as err:
            return fail(str(err), 2)
        print(
            f"{len(serials)} certificate(s) revoked; revocation list: {path} (publish it "
            f"with the authority's certificate)"
        )
    else:
        _status(args, keys)
    return 0


def _status(args: argparse.Namespace, keys: KeyFolder) -> None:
    print(f"signing folder: {keys.folder}")
    authority = keys.load(AUTHORITY) if keys.has(AUTHORITY) else None
    print(f"authority key: {describe(authority) if authority else 'not on this machine'}")
    for cert in keys.trust_anchors():
        print(f"trusted: {pki.common_name(cert)}; SHA-256 {pki.fingerprint(cert)}")
    for crl in keys.revocation_lists():
        print(
            f"revoked by {crl.issuer.rfc4514_string()}: "
            f"{', '.join(f'{e.serial_number:X}' for e in crl) or 'none'}"
        )
    if args.login:
        mine = keys.load(args.login)
        print(f"key of {args.login}: {describe(mine) if mine else 'none on this machine'}")
