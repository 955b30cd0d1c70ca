"""A rating reason in words, the same on screen and on paper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import canonical_json


def reason_text(reason: Mapping[str, Any]) -> str:
    """The policy's own sentence (it already names the points); else factor and points."""
    text = reason.get("text")
    if isinstance(text, str) and text:
        return text
    factor = reason.get("factor") or reason.get("code") or reason.get("rule")
    points = reason.get("points", reason.get("weight"))
    if factor is not None:
        return f"{factor} ({points:+} points)" if isinstance(points, int) else str(factor)
    return canonical_json(dict(reason))
