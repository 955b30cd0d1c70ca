"""Signing a data export once it is written, and recording it: one way for all of them
(Annex A lists, the CIN census return, the audit trail CSV).

The export is written first to a staging file beside its destination (``staged(path)``,
atomically, by its own writer), then signed by the signed-in person's key, then recorded
as ``document.exported`` naming the file's SHA-256 (``file_sha256``), and only then moved
into place with its signature ``FILE.p7s``: ``dutydesk verify FILE`` looks for that record.
If signing or recording fails (a time-stamping authority down, say), nothing at the
destination is touched (an earlier export there and its signature stay as they were) and
the staging files are removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ..fileops import replace_file
from .documents import write_atomically
from .signing import DocumentSigner


def staged(path: Path) -> Path:
    """Where an export to ``path`` is written before it is signed and recorded."""
    return path.with_name(f".{path.name}.unsigned")


def seal_export(path: Path, signer: DocumentSigner, record: Callable[[str], object]) -> str:
    """Sign the export just written at ``staged(path)``, call ``record(sha256)``, then move
    it to ``path`` with its signature beside it; returns the SHA-256. On any failure the
    staging files are removed; one after the file was moved into place removes the file
    and its signature (neither is kept without the other)."""
    from ..reports.detached import signature_path

    source = staged(path)
    source_signature = signature_path(source)
    signature = signature_path(path)
    placed = False
    try:
        data = source.read_bytes()
        write_atomically(source_signature, signer.sign_detached(data))
        digest = hashlib.sha256(data).hexdigest()
        record(digest)
        placed = True
        replace_file(source, path)
        replace_file(source_signature, signature)
    except BaseException:
        source.unlink(missing_ok=True)
        source_signature.unlink(missing_ok=True)
        if placed:
            path.unlink(missing_ok=True)
            signature.unlink(missing_ok=True)
        raise
    return digest
