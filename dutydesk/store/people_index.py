"""Finding match candidates among known people, fast.

Two ways in. ``load_index`` reads the people projection once into the pure
``BlockingIndex`` (for imports: thousands of children against 100,000 people).
``lookup`` asks SQL directly for one child (the desk): people sharing the NHS number, the
date of birth or its day/month swap, the same year and month, or the family name, each an
indexed query, then scores them with the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Engine, or_, select

from ..domain.matching import BlockingIndex, Candidate, Subject, rank, swapped
from ..domain.projection import PersonRow
from .readmodel import PEOPLE, db_to_row


def load_index(engine: Engine) -> BlockingIndex:
    with engine.connect() as conn:
        rows = conn.execute(select(PEOPLE)).mappings()
        return BlockingIndex.build(db_to_row(PersonRow, m) for m in rows)


def _month_range(dob: str) -> tuple[str, str] | None:
    try:
        d = date.fromisoformat(dob)
    except ValueError:
        return None
    first = d.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first.isoformat(), nxt.isoformat()


def lookup(engine: Engine, subject: Subject, limit: int = 10) -> list[Candidate]:
    """Candidates for one child, best first (at most ``limit``)."""
    clauses = []
    if subject.nhs_number:
        clauses.append(PEOPLE.c.nhs_number == subject.nhs_number)
    if subject.la_child_id:
        clauses.append(PEOPLE.c.la_child_id == subject.la_child_id)
    if subject.date_of_birth:
        dobs = [subject.date_of_birth] + ([s] if (s := swapped(subject.date_of_birth)) else [])
        clauses.append(PEOPLE.c.date_of_birth.in_(dobs))
        month = _month_range(subject.date_of_birth)
        if month:
            clauses.append(PEOPLE.c.date_of_birth.between(month[0], month[1]))
    if subject.family_name:
        variants = {
            subject.family_name,
            subject.family_name.title(),
            subject.family_name.upper(),
            subject.family_name.lower(),
        }
        variants |= set(subject.family_name.replace("-", " ").split())
        clauses.append(PEOPLE.c.family_name.in_(sorted(variants)))
    if not clauses:
        return []
    with engine.connect() as conn:
        people: Iterable[PersonRow] = [
            db_to_row(PersonRow, m)
            for m in conn.execute(select(PEOPLE).where(or_(*clauses))).mappings()
        ]
    return rank(subject, people)[:limit]
