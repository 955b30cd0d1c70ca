"""Attaching verification data to a rendered PDF, and reading it back.

The document reportlab wrote is kept byte for byte; the verification data is appended as
a PDF incremental update holding one embedded file, ``dutydesk-verification.json``:
the event ids and hashes the document shows, its digest and code, and the length and
SHA-256 of the document as rendered. So any change to the rendered bytes (a changed
word, a swapped page) is seen, and the digest itself is also inside those bytes (the
PDF keywords and the code in every footer), so the list cannot be swapped on its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from .digest import EventDigest
from .page import KEYWORD_PREFIX, DocumentMeta

ATTACHMENT = "dutydesk-verification.json"
FORMAT = "dutydesk-verification/1"
_KEYWORD = re.compile(re.escape(KEYWORD_PREFIX).encode("ascii") + rb"([0-9a-f]{64})")


def seal(rendered: bytes, meta: DocumentMeta, digest: EventDigest) -> bytes:
    """``rendered`` with the verification data appended (``rendered`` stays a prefix)."""
    manifest = {
        "format": FORMAT,
        "kind": meta.kind,
        "title": meta.title,
        "generated_by": meta.generated_by,
        "login": meta.login,
        "generated_at": meta.generated_at.isoformat(),
        "marking": meta.marking,
        "digest": digest.digest,
        "code": digest.code,
        "events": [[eid, digest.hashes[eid]] for eid in sorted(digest.hashes)],
        "rendered": {"length": len(rendered), "sha256": hashlib.sha256(rendered).hexdigest()},
    }
    writer = PdfWriter(io.BytesIO(rendered), incremental=True)
    writer.add_attachment(ATTACHMENT, json.dumps(manifest, separators=(",", ":")).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class NotSealedError(ValueError):
    """The file has no readable DutyDesk verification data."""


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    title: str
    generated_by: str
    generated_at: str
    login: str
    digest: str
    code: str
    hashes: dict[str, str]
    rendered_length: int
    rendered_sha256: str

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
            if data.get("format") != FORMAT:
                raise NotSealedError(
                    f"verification data has format {data.get('format')!r}, expected {FORMAT!r}"
                )
            return cls(
                kind=str(data["kind"]),
                title=str(data["title"]),
                generated_by=str(data["generated_by"]),
                generated_at=str(data["generated_at"]),
                login=str(data.get("login", "")),
                digest=str(data["digest"]),
                code=str(data["code"]),
                hashes={str(i): str(h) for i, h in data["events"]},
                rendered_length=int(data["rendered"]["length"]),
                rendered_sha256=str(data["rendered"]["sha256"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            if isinstance(err, NotSealedError):
                raise
            raise NotSealedError(f"verification data is damaged: {err}") from None


def read_manifest(pdf: bytes) -> Manifest:
    try:
        reader = PdfReader(io.BytesIO(pdf))
        files = reader.attachments
        raw = files.get(ATTACHMENT)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise NotSealedError(f"not a readable PDF: {err}") from None
    if not raw:
        raise NotSealedError("the PDF holds no DutyDesk verification data")
    return Manifest.parse(raw[0])


def rendered_digest(pdf: bytes, manifest: Manifest) -> str | None:
    """The digest written into the rendered part's keywords, or None if absent."""
    found = _KEYWORD.search(pdf, 0, manifest.rendered_length)
    return found.group(1).decode("ascii") if found else None
