"""The people directory: every login that can sign in, with a display name and role.

Pure data: where the entries come from (local accounts, the shared server's
``dutydesk.directory()``, the demo users) is ``services.directory``. Assign picks from it
and refuses anyone not in it; screens and documents show people by name through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .codes import ROLE_LABELS, Role
from .errors import ValidationError
from .permissions import Action, allows


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    login: str
    display_name: str
    role: Role

    @property
    def label(self) -> str:
        """ "Tom Practitioner (sw.practitioner), practitioner": name, login, role."""
        name = self.display_name or self.login
        who = name if name == self.login else f"{name} ({self.login})"
        return f"{who}, {ROLE_LABELS.get(self.role, self.role.value).lower()}"


class PeopleDirectory:
    def __init__(self, entries: Iterable[DirectoryEntry]) -> None:
        self.entries = tuple(
            sorted(entries, key=lambda e: (e.display_name.casefold(), e.login, e.role.value))
        )
        self._by_login: dict[str, list[DirectoryEntry]] = {}
        for e in self.entries:
            self._by_login.setdefault(e.login, []).append(e)

    def __contains__(self, login: object) -> bool:
        return login in self._by_login

    def name_of(self, login: str) -> str:
        """The person's display name, or the login itself when it is not listed (an
        event from a login since removed still shows who it was)."""
        found = self._by_login.get(login)
        return found[0].display_name or login if found else login

    def assignable(self) -> list[DirectoryEntry]:
        """People a contact can be assigned to: those whose role works on contacts."""
        seen: set[str] = set()
        out = []
        for e in self.entries:
            if allows(e.role, Action.TAKE_CONTACT) and e.login not in seen:
                seen.add(e.login)
                out.append(e)
        return out

    def require_assignable(self, login: str) -> DirectoryEntry:
        """The entry for ``login`` if a contact may be assigned to them, else a
        ``ValidationError`` in words (an unknown login, or a role that does not take
        contacts: an auditor or administrator)."""
        wanted = login.strip()
        for e in self.assignable():
            if e.login == wanted:
                return e
        if wanted in self._by_login:
            raise ValidationError(
                f"{self.name_of(wanted)} does not work on contacts (their "
                "role cannot take one); choose someone else",
                "assignee",
            )
        raise ValidationError(
            f"nobody signs in as {wanted!r}; choose a person from the people directory", "assignee"
        )
