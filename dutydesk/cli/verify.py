"""``dutydesk verify FILE.pdf``: who signed a printed DutyDesk document, whether it is
unchanged since, and whether it still matches the record.

Exit codes, one per verdict: 0 matches the record; 3 document altered, or its signature
is not trusted; 4 refers to events this store does not have, or the store has no record
of this file being printed or exported; 5 the store's events changed since printing;
6 not a DutyDesk document; 2 the file, the store or a trust anchor cannot be read.

Trusted: the authority certificates in ``<data dir>/signing`` (``authority.pem``,
``trust/*.pem``) and any ``--trust CERT.pem``; revocation lists in ``trust/*.crl``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.pki import CertificateError, load_certificates
from ..reports.verify import verify_pdf
from ..store.report_queries import ReportQueries
from .common import add_store_argument, fail, store_path
from .signin import add_sign_in_arguments, open_signed_in
from .signing import key_folder

LISTED = 20  # event ids named in the output before "and N more"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the PDF to check")
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        help="also trust this authority certificate (PEM or DER); repeatable",
    )
    add_store_argument(parser)
    add_sign_in_arguments(parser)  # checking a printout against the record reads the record


def run(args: argparse.Namespace) -> int:
    try:
        pdf = args.file.read_bytes()
    except OSError as err:
        return fail(f"cannot read {args.file}: {err.strerror or err}", 2)
    keys = key_folder(args)
    try:
        trust = keys.trust_anchors()
        for path in args.trust:
            trust += load_certificates(path.read_bytes(), what=str(path))
        crls = keys.revocation_lists()
    except CertificateError as err:
        return fail(str(err), 2)
    except OSError as err:
        return fail(f"cannot read {err.filename}: {err.strerror}", 2)
    if not store_path(args).exists():
        # No record on this machine (an inspector with the authority's certificate): the
        # signature and the document are checked, the events cannot be; nothing to sign in to.
        report = verify_pdf(pdf, lambda ids: {}, trust=trust, crls=crls)
    else:
        signed = open_signed_in(args)  # comparing with the record reads the record
        try:
            queries = ReportQueries(signed.store.engine)
            report = verify_pdf(
                pdf,
                queries.events_by_ids,
                trust=trust,
                crls=crls,
                recorded=queries.document_records,
            )
        finally:
            signed.close()
    print(f"{args.file}: {report.verdict.text.upper()}")
    print(f"  {report.detail}")
    sig = report.signature
    if sig is not None:
        who = f"{sig.signer_name} ({sig.signer_login})" if sig.signer_login else sig.signer_name
        at = sig.signed_at.isoformat(timespec="seconds") if sig.signed_at else "unknown"
        print(f"  signed by: {who}; at {at}")
        print(f"  certificate: issued by {sig.issuer}; SHA-256 {sig.certificate_fingerprint}")
        print(
            f"  signature: {'valid' if sig.intact and sig.valid else 'INVALID'}; chain: "
            f"{'trusted' if sig.trusted else 'NOT TRUSTED (' + sig.trust_problem + ')'}; "
            f"added after signing: {sig.added_after or 'nothing'}"
        )
        if sig.trust_note:
            print(f"  note: {sig.trust_note}")
    if report.manifest is not None:
        m = report.manifest
        print(
            f"  document: {m.title} ({m.kind}); printed by {m.generated_by} "
            f"at {m.generated_at}; code {m.code}"
        )
    for label, ids in (
        ("not in this store", report.missing),
        ("changed in the store", report.changed),
    ):
        for event_id in ids[:LISTED]:
            print(f"  {label}: {event_id}")
        if len(ids) > LISTED:
            print(f"  ... and {len(ids) - LISTED} more {label}")
    return report.verdict.exit_code


__all__ = ["add_arguments", "run"]
