"""Signing a data export once it is written, and recording it: one way for all of them
(Annex A lists, the CIN census return, the audit trail CSV).

The export is written first (atomically, by its own writer), then signed by the signed-in
person's key into ``FILE.p7s`` beside it, then recorded as ``document.exported`` naming
the file's SHA-256 (``file_sha256``): ``dutydesk verify FILE`` looks for that record. If
signing or recording fails, neither the file nor its signature is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ..reports.detached import signature_path
from .documents import write_atomically
from .signing import DocumentSigner


def seal_export(path: Path, signer: DocumentSigner, record: Callable[[str], object]) -> str:
    """Sign the file just written at ``path`` and call ``record(sha256)``; returns the
    SHA-256. On any failure both the file and its signature are removed."""
    signature = signature_path(path)
    try:
        data = path.read_bytes()
        write_atomically(signature, signer.sign_detached(data))
        digest = hashlib.sha256(data).hexdigest()
        record(digest)
    except BaseException:
        path.unlink(missing_ok=True)
        signature.unlink(missing_ok=True)
        raise
    return digest
