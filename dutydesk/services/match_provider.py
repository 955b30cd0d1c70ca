"""Fuzzy, scored match suggestions for the contact entry form.

``match_provider(store, clock)`` returns the callable ``ContactForm.set_match_provider``
expects: ``provider(query) -> list[MatchSuggestion]`` where ``query`` has ``nhs_number``,
``given_name``, ``family_name`` and ``date_of_birth`` as typed. It asks
``store.people_index.lookup`` (indexed SQL for the candidates: NHS number, date of birth
and its day/month swap, the same year and month, the family name) and scores them with
``domain.matching`` — the same rules imports use — so the form shows the confidence and
the fields that agreed (Siobhán = Siobhan, O'Brien = OBrien, a swapped day and month).

Restricted records: a new contact about a restricted child must still get in, and its
link is never refused, so a restricted person is offered, but only as "Restricted
record" with the confidence: no name, date of birth, NHS number, postcode, or which
fields agreed (that would tell the typist what the record holds), except an NHS number
match, which only repeats what they typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..domain.clock import Clock
from ..domain.matching import Candidate, Subject
from ..domain.nhs import is_valid_nhs_number, normalise_nhs_number
from ..domain.people import age_text
from ..store.people_index import lookup
from ..store.queries import Queries
from .guard import GuardedStore
from .redaction import RESTRICTED_TEXT
from .snapshots import MatchSuggestion

MatchProvider = Callable[[Mapping[str, Any]], list[MatchSuggestion]]
LIMIT = 8


def subject_of(query: Mapping[str, Any]) -> Subject | None:
    """The form's query as a matching subject; None when there is nothing to match on.
    A half-typed or mistyped NHS number is left out rather than ruling people out."""

    def text(key: str) -> str | None:
        value = query.get(key)
        return value.strip() or None if isinstance(value, str) else None

    nhs = normalise_nhs_number(text("nhs_number") or "")
    subject = Subject(
        given_name=text("given_name"),
        family_name=text("family_name"),
        date_of_birth=text("date_of_birth"),
        nhs_number=nhs if is_valid_nhs_number(nhs) else None,
    )
    if not (subject.nhs_number or subject.date_of_birth or subject.family_name):
        return None
    return subject


def evidence_words(candidate: Candidate) -> tuple[str, ...]:
    """'likely match, confidence 85' then each agreeing field as a person would say it."""
    head = f"{candidate.level} match, confidence {candidate.confidence}"
    fields = tuple(m.replace("_", " ") for m in candidate.matched)
    conflicts = tuple(f"{c.replace('_', ' ')} differs" for c in candidate.conflicts)
    return (head, *fields, *conflicts)


def match_provider(store: GuardedStore, clock: Clock, *, limit: int = LIMIT) -> MatchProvider:
    """Suggestions for the entry form, best first, as the signed-in actor of ``store`` may
    see them: restricted records are shown as such."""

    def provide(query: Mapping[str, Any]) -> list[MatchSuggestion]:
        subject = subject_of(query)
        if subject is None:
            return []
        found = lookup(store.engine, subject, limit)
        if not found:
            return []
        people = Queries(store.engine).people(c.person_id for c in found)
        hidden = store.hidden_people(people)
        today = clock.now().date()
        out = []
        for c in found:
            person = people.get(c.person_id)
            if person is None:
                continue
            if c.person_id in hidden:
                evidence = (f"{c.level} match, confidence {c.confidence}",) + (
                    ("nhs number",) if "nhs_number" in c.matched else ()
                )
                out.append(
                    MatchSuggestion(
                        c.person_id, RESTRICTED_TEXT, None, None, None, evidence, c.confidence
                    )
                )
                continue
            age = age_text(person.date_of_birth, person.expected_date_of_birth, today)
            out.append(
                MatchSuggestion(
                    c.person_id,
                    f"{person.display_name} ({age})",
                    person.date_of_birth,
                    person.nhs_number,
                    person.postcode,
                    evidence_words(c),
                    c.confidence,
                )
            )
        return out

    return provide
