"""The Unicode TrueType fonts every document embeds, so names such as Siobhán, Zoë and
Wiśniewski print as written.

DejaVu Sans is vendored in ``resources/fonts`` (Bitstream Vera licence, which allows
redistribution of the unmodified fonts) and shipped inside the wheel and the desktop
bundle, so every desk embeds the same faces on every platform; system fonts are never
used. Registration happens once per process.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..paths import FONTS

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
SEARCH_PATH: tuple[Path, ...] = (FONTS,)

_lock = threading.Lock()
_registered = False


class FontMissingError(RuntimeError):
    """No copy of a font the documents need; the message says where it was looked for."""


def find_font(file_name: str, search: tuple[Path, ...] = SEARCH_PATH) -> Path:
    for folder in search:
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    where = ", ".join(str(p) for p in search)
    raise FontMissingError(
        f"font {file_name} not found (looked in {where}); DutyDesk's installation is "
        f"incomplete: reinstall it (or restore resources/fonts in a checkout)"
    )


def register_fonts() -> None:
    """Register DejaVu Sans with reportlab (idempotent, thread-safe)."""
    global _registered
    with _lock:
        if _registered:
            return
        for name, file_name in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(find_font(file_name))))
        # So that <b> and <i> in paragraphs pick the embedded faces, not Helvetica.
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, ITALIC)
        addMapping(REGULAR, 1, 1, BOLD)
        _registered = True
