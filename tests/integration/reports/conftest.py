"""Helpers for the document tests (fixtures are in tests/integration/conftest.py)."""

from __future__ import annotations

import io

from pypdf import PdfReader


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
