"""Quality prompts for a decision's rationale: helpful reminders, never a block.

Inspectors found risk "assessed well but not recorded". These checks look at what a
manager has typed and say, in plain words, what a reader years later would miss: the
child's voice, how consent was handled, and analysis that only repeats the concern.
They return prompts; the dialog shows them and still lets the decision be recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Below this many words a section reads as a placeholder rather than a record.
MIN_WORDS = 4
# Share of the analysis's word sequences found verbatim in the concern that counts as a copy.
COPY_SHARE = 0.6
SHINGLE = 4

_WORD = re.compile(r"[\w']+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reminder: which rationale field it is about and what to consider."""

    field: str
    code: str
    text: str


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "")]


def _shingles(words: list[str], size: int = SHINGLE) -> set[tuple[str, ...]]:
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def repeats_concern(analysis: str, concern: str) -> bool:
    """True when most of the analysis is the concern copied word for word."""
    a_words = _words(analysis)
    if len(a_words) < MIN_WORDS:
        return False
    a = _shingles(a_words)
    c = _shingles(_words(concern))
    if not a or not c:
        return False
    return len(a & c) / len(a) >= COPY_SHARE


def _thin(text: str | None) -> bool:
    return len(_words(text or "")) < MIN_WORDS


def rationale_prompts(rationale: Mapping[str, Any], *, concern: str) -> list[Prompt]:
    """Every prompt that applies to ``rationale`` for a contact whose concern is ``concern``."""
    prompts: list[Prompt] = []
    if _thin(rationale.get("childs_voice")):
        prompts.append(
            Prompt(
                "childs_voice",
                "childs_voice_missing",
                "The child's voice is not recorded: what has the child said, shown or "
                "experienced? If they could not be heard yet, say why.",
            )
        )
    if _thin(rationale.get("consent_and_information_sharing")):
        prompts.append(
            Prompt(
                "consent_and_information_sharing",
                "consent_not_addressed",
                "Consent is not addressed: record whether consent was sought and given, or the "
                "basis for sharing information without it.",
            )
        )
    analysis = str(rationale.get("analysis") or "")
    if repeats_concern(analysis, concern):
        prompts.append(
            Prompt(
                "analysis",
                "analysis_repeats_concern",
                "The analysis repeats the concern word for word: say what the information means "
                "for the child and why this outcome follows.",
            )
        )
    return prompts
