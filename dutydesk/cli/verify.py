"""``dutydesk verify FILE``: who signed a printed DutyDesk document (PDF) or a data export
(Annex A CSV/XLSX, CIN census XML, audit CSV, signed by ``FILE.p7s`` beside it), whether
it is unchanged since, and whether it still matches the record.

Exit codes, one per verdict: 0 matches the record; 3 document altered, or its signature
is not trusted; 4 refers to events this store does not have, or the store has no record
of this file being printed or exported; 5 the store's events changed since printing;
6 not a DutyDesk document, or a data export whose signature (``FILE.p7s``) is
missing; 2 the file, the store or a trust anchor cannot be read.

Trusted: the authority certificates in ``<data dir>/signing`` (``authority.pem``,
``trust/*.pem``) and any ``--trust CERT.pem``; revocation lists in ``trust/*.crl``;
timestamps from the time-stamping authorities in ``tsa/*.pem`` and any ``--tsa-trust``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.pki import CertificateError, load_certificates
from ..reports.verify import read_file_to_check, report_lines, verify_file
from ..store.report_queries import ReportQueries
from .common import add_store_argument, fail, store_path
from .signin import add_sign_in_arguments, open_signed_in
from .signing import key_folder

LISTED = 20  # event ids named in the output before "and N more"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="the PDF, or the data export (FILE.p7s beside it), to check"
    )
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        help="also trust this authority certificate (PEM or DER); repeatable",
    )
    parser.add_argument(
        "--tsa-trust",
        type=Path,
        action="append",
        default=[],
        help="also trust timestamps from this time-stamping authority root (PEM or DER)",
    )
    add_store_argument(parser)
    add_sign_in_arguments(parser)  # checking a printout against the record reads the record


def run(args: argparse.Namespace) -> int:
    try:
        target = read_file_to_check(args.file)
    except OSError as err:
        return fail(f"cannot read {args.file}: {err.strerror or err}", 2)
    keys = key_folder(args)
    try:
        trust = keys.trust_anchors()
        for path in args.trust:
            trust += load_certificates(path.read_bytes(), what=str(path))
        crls = keys.revocation_lists()
        tsa_trust = keys.tsa_anchors()
        for path in args.tsa_trust:
            tsa_trust += load_certificates(path.read_bytes(), what=str(path))
    except CertificateError as err:
        return fail(str(err), 2)
    except OSError as err:
        return fail(f"cannot read {err.filename}: {err.strerror}", 2)
    if not store_path(args).exists():
        # No record on this machine (an inspector with the authority's certificate): the
        # signature and the document are checked, the events cannot be; nothing to sign in to.
        report = verify_file(target, lambda ids: {}, trust=trust, crls=crls, tsa_trust=tsa_trust)
    else:
        signed = open_signed_in(args)  # comparing with the record reads the record
        try:
            queries = ReportQueries(signed.store.engine)
            report = verify_file(
                target,
                queries.events_by_ids,
                trust=trust,
                crls=crls,
                tsa_trust=tsa_trust,
                recorded=queries.document_records,
            )
        finally:
            signed.close()
    print(f"{target.path}: {report.verdict.text.upper()}")
    for line in report_lines(report, listed=LISTED):
        print(f"  {line}")
    return report.verdict.exit_code


__all__ = ["add_arguments", "run"]
