"""People matching: which known people might a child on a contact be?

Pure rules, shared by hand entry and imports. A candidate carries a confidence (0-100), a
level and the fields that agreed, so the person confirming a link sees *why*. Nothing here
links anyone: an exact NHS number match, or the authority's own child id (``la_child_id``:
census LAchildID, the case-management id), is the only evidence strong enough to link without
a person confirming (the importer still writes an explicit ``person.linked`` event with the
evidence); everything else is a suggestion.

Why names and dates of birth alone are capped below the suggestion line: twins and
unrelated children share names and birthdays more often than people expect, and a false
merge puts one child's history into another child's record. Agreement on the name and
the date of birth therefore gives at most ``NAME_DOB_CAP``; only other agreeing evidence
(postcode, school, an alias on record) lifts a candidate to "likely". A conflicting NHS
number rules a candidate out whatever else agrees.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from .projection import PersonRow

# Confidence lines (documented in docs/import.md).
CERTAIN = 100  # same valid NHS number
LIKELY = 80  # the auto-suggest line: queued for a person to confirm
POSSIBLE = 50  # shown when someone searches, never queued
NAME_DOB_CAP = 70

# Letters NFKD does not split into base + mark.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "ı": "i",
    }
)
_APOSTROPHES = "'\u2019\u2018`\u00b4"
_SEPARATORS = "-\u2010\u2011\u2013\u2014._,"


@dataclass(frozen=True, slots=True)
class Subject:
    """The child as described on a contact (any field may be missing)."""

    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    nhs_number: str | None = None
    sex: str | None = None
    postcode: str | None = None
    school: str | None = None
    la_child_id: str | None = None  # the authority's id for the child, when known

    @classmethod
    def from_mapping(cls, child: Mapping[str, object]) -> Subject:
        def get(key: str) -> str | None:
            value = child.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            given_name=get("given_name"),
            family_name=get("family_name"),
            date_of_birth=get("date_of_birth"),
            nhs_number=get("nhs_number"),
            sex=get("sex"),
            postcode=get("postcode"),
            school=get("school"),
            la_child_id=get("la_child_id"),
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: str
    confidence: int
    level: str  # certain, likely, possible
    matched: tuple[str, ...]  # evidence, in words: "family_name (diacritics)"
    conflicts: tuple[str, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return self.level != "certain"


# ---- normalisation -----------------------------------------------------------------


@lru_cache(maxsize=65536)  # names repeat: caching makes bulk matching ~10x faster
def fold(text: str) -> str:
    """Lower case, no diacritics, no apostrophes; separators become spaces."""
    bare = "".join(ch for ch in _strip_marks(text) if ch not in _APOSTROPHES)
    for sep in _SEPARATORS:
        bare = bare.replace(sep, " ")
    return " ".join(bare.casefold().replace("\u00a0", " ").split())


def name_key(text: str) -> str:
    """The blocking key: folded, all spaces removed (O'Brien, OBrien, O Brien -> obrien)."""
    return fold(text).replace(" ", "")


@lru_cache(maxsize=65536)
def name_keys(text: str) -> frozenset[str]:
    """Keys for the whole name and for each part of a hyphenated or double name."""
    folded = fold(text)
    keys = {folded.replace(" ", "")}
    parts = folded.split()
    if len(parts) > 1:
        keys.update(p for p in parts if len(p) > 1)
    keys.discard("")
    return frozenset(keys)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment), stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _typo_limit(length: int) -> int:
    return 0 if length < 4 else (1 if length < 8 else 2)


@lru_cache(maxsize=262144)
def compare_names(a: str | None, b: str | None) -> tuple[float, str] | None:
    """How well two names agree: (strength 0..1, how), or None when they do not."""
    if not a or not b:
        return None
    if a.strip() == b.strip():
        return 1.0, "exact"
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return None
    if ka == kb:
        return 1.0, _how_equal(a, b)
    parts_a, parts_b = name_keys(a), name_keys(b)
    if (len(parts_a) > 1 or len(parts_b) > 1) and (parts_a & parts_b):
        return 0.8, "hyphenated"
    if edit_distance(ka, kb, 2) <= _typo_limit(min(len(ka), len(kb))):
        return 0.75, "typo"
    return None


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _how_equal(a: str, b: str) -> str:
    """Why two names with the same key differ: accents, or punctuation/spacing/case."""
    if _strip_marks(a) != a or _strip_marks(b) != b:
        return "diacritics"
    return "punctuation"


def swapped(dob: str) -> str | None:
    """The date with day and month exchanged, if that is a different valid date."""
    try:
        d = date.fromisoformat(dob)
        if d.day > 12 or d.day == d.month:
            return None
        return date(d.year, d.day, d.month).isoformat()
    except ValueError:
        return None


def compare_dob(a: str | None, b: str | None) -> tuple[float, str] | None:
    if not a or not b:
        return None
    if a == b:
        return 1.0, "exact"
    if swapped(a) == b:
        return 0.6, "day and month swapped"
    if sum(x != y for x, y in zip(a, b, strict=False)) == 1 and len(a) == len(b):
        return 0.5, "one digit differs"
    return None


# ---- scoring -----------------------------------------------------------------------

_FAMILY, _GIVEN, _DOB = 25, 20, 25  # names + dob at best = 70 = NAME_DOB_CAP
_POSTCODE, _SCHOOL, _ALIAS_BONUS = 15, 12, 5
_SEX_CONFLICT = 25


def _best_name(subject: Subject, person: PersonRow) -> tuple[int, list[str]]:
    """Points and evidence for names, trying the recorded name and each alias."""
    options: list[tuple[str | None, str | None, str]] = [
        (person.given_name, person.family_name, "")
    ]
    for alias in person.other_names:
        parts = alias.split()
        if len(parts) >= 2:
            options.append((" ".join(parts[:-1]), parts[-1], " (alias)"))
        elif parts:
            options.append((None, parts[0], " (alias)"))
            options.append((parts[0], None, " (alias)"))
    best: tuple[int, list[str]] = (0, [])
    for given, family, tag in options:
        points, found = 0, []
        fam = compare_names(subject.family_name, family)
        if fam:
            points += round(_FAMILY * fam[0])
            found.append(
                f"family_name ({fam[1]}){tag}" if fam[1] != "exact" else f"family_name{tag}"
            )
        giv = compare_names(subject.given_name, given)
        if giv:
            points += round(_GIVEN * giv[0])
            found.append(f"given_name ({giv[1]}){tag}" if giv[1] != "exact" else f"given_name{tag}")
        if tag and points:
            points = min(points + _ALIAS_BONUS, _FAMILY + _GIVEN)
        if points > best[0]:
            best = (points, found)
    return best


def score(subject: Subject, person: PersonRow) -> Candidate | None:
    """The candidate ``person`` makes for ``subject``, or None when it is not one."""
    if subject.nhs_number and person.nhs_number:
        if subject.nhs_number == person.nhs_number:
            return Candidate(person.person_id, CERTAIN, "certain", ("nhs_number",))
        return None  # two valid, different NHS numbers: different children
    if subject.la_child_id and person.la_child_id:
        if subject.la_child_id == person.la_child_id:  # the authority's own id for them
            return Candidate(person.person_id, CERTAIN, "certain", ("la_child_id",))
        return None  # the authority gave them different ids: different children
    points, matched = _best_name(subject, person)
    conflicts: list[str] = []
    dob = compare_dob(subject.date_of_birth, person.date_of_birth)
    if dob:
        points += round(_DOB * dob[0])
        matched.append("date_of_birth" if dob[1] == "exact" else f"date_of_birth ({dob[1]})")
    elif subject.date_of_birth and person.date_of_birth:
        conflicts.append("date_of_birth")
    points = min(points, NAME_DOB_CAP)
    if not matched or (not dob and len(matched) < 2):
        return None  # one name alone, or names without any date, is not a candidate
    if (
        subject.postcode
        and person.postcode
        and name_key(subject.postcode) == name_key(person.postcode)
    ):
        points += _POSTCODE
        matched.append("postcode")
    if subject.school and person.school and fold(subject.school) == fold(person.school):
        points += _SCHOOL
        matched.append("school")
    if (
        subject.sex
        and person.sex
        and subject.sex != person.sex
        and "c" not in (subject.sex, person.sex)
    ):
        points -= _SEX_CONFLICT
        conflicts.append("sex")
    if conflicts:
        points -= 10 * len([c for c in conflicts if c != "sex"])
    points = max(0, min(points, CERTAIN - 1))
    if points < POSSIBLE:
        return None
    level = "likely" if points >= LIKELY else "possible"
    return Candidate(person.person_id, points, level, tuple(matched), tuple(conflicts))


def rank(subject: Subject, people: Iterable[PersonRow]) -> list[Candidate]:
    """Candidates best first; ties broken by person id so the order is stable."""
    found = [c for c in (score(subject, p) for p in people) if c is not None]
    return sorted(found, key=lambda c: (-c.confidence, c.person_id))


# ---- blocking ----------------------------------------------------------------------


def dob_blocks(dob: str) -> set[str]:
    """Keys under which a date of birth is filed: the date and its day/month swap."""
    keys = {"d:" + dob}
    alt = swapped(dob)
    if alt:
        keys.add("d:" + alt)
    return keys


@dataclass
class BlockingIndex:
    """An in-memory index over people so a search scores dozens, not 100,000, rows.

    Blocks: NHS number; date of birth (exact, day/month swapped); year and month with the
    family name's initial (a mistyped day); each name key of the family name and aliases.
    A child is compared with everyone sharing at least one block with them.
    """

    people: dict[str, PersonRow] = field(default_factory=dict)
    blocks: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def build(cls, people: Iterable[PersonRow]) -> BlockingIndex:
        index = cls()
        for person in people:
            index.add(person)
        return index

    def add(self, person: PersonRow) -> None:
        """Add or replace a person (a replaced person's old keys are dropped)."""
        old = self.people.get(person.person_id)
        if old is not None:
            for key in self._keys_of_person(old):
                self.blocks[key].discard(old.person_id)
        self.people[person.person_id] = person
        for key in self._keys_of_person(person):
            self.blocks[key].add(person.person_id)

    @staticmethod
    def _keys(
        nhs: str | None, dob: str | None, family: str | None, la_id: str | None = None
    ) -> set[str]:
        keys: set[str] = set()
        if nhs:
            keys.add("n:" + nhs)
        if la_id:
            keys.add("l:" + la_id)
        if dob:
            keys |= dob_blocks(dob)
        if family:
            names = name_keys(family)
            keys |= {"f:" + k for k in names}
            if dob:  # a mistyped day: same year and month, same initial of the family name
                keys |= {f"m:{dob[:7]}:{k[:1]}" for k in names}
        return keys

    def _keys_of_person(self, person: PersonRow) -> set[str]:
        keys = self._keys(
            person.nhs_number, person.date_of_birth, person.family_name, person.la_child_id
        )
        for alias in person.other_names:
            if alias.split():  # an alias is "Given Family" or one name: file the last part
                keys |= {"f:" + k for k in name_keys(alias.split()[-1])}
        return keys

    def candidate_ids(self, subject: Subject) -> set[str]:
        ids: set[str] = set()
        for key in self._keys(
            subject.nhs_number, subject.date_of_birth, subject.family_name, subject.la_child_id
        ):
            ids |= self.blocks.get(key, set())
        return ids

    def search(self, subject: Subject) -> list[Candidate]:
        return rank(subject, (self.people[i] for i in self.candidate_ids(subject)))
