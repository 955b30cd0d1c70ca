"""Where the people directory comes from.

Standalone desks: the local accounts in the store (active ones), and on a demo store the
demo users. Shared mode: the server's ``dutydesk.directory()`` (every login in a DutyDesk
group role with the display name given at ``dutydesk server add-user --name``), read when
the desk signs in (``shared_mode.connect_shared``) and again by sync whenever it changed
on the server (``LiveDirectory``, fed by ``SyncEngine``), so someone added, renamed or
removed on the server shows on every desk without a restart.
"""

from __future__ import annotations

from ..domain.codes import Role
from ..domain.directory import DirectoryEntry, PeopleDirectory
from ..store.accounts import AccountStore
from ..store.eventstore import EventStore
from .local_store import DEMO_KIND, STORE_KIND


def local_directory(store: EventStore) -> PeopleDirectory:
    """The active local accounts (and the demo users on a store marked as demo data)."""
    entries = [
        DirectoryEntry(a.login, a.display_name or a.login, a.role)
        for a in AccountStore(store.engine).all()
        if a.active
    ]
    if store.get_meta(STORE_KIND) == DEMO_KIND:
        from ..demo.users import DEMO_USERS

        known = {e.login for e in entries}
        entries += [
            DirectoryEntry(u.login, u.name, u.role) for u in DEMO_USERS if u.login not in known
        ]
    return PeopleDirectory(entries)


class LiveDirectory:
    """The server's directory as this desk last read it; calling it gives the current
    ``PeopleDirectory``. Sync replaces it from its own thread; readers take the
    reference they get (an immutable directory), so nobody sees half of a change."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self._rows = _normal(rows)
        self._current = server_directory(rows)

    def __call__(self) -> PeopleDirectory:
        return self._current

    def replace(self, rows: list[tuple[str, str, str]]) -> bool:
        """Take the server's rows; True when the directory is not what it was."""
        normal = _normal(rows)
        if normal == self._rows:
            return False
        self._rows = normal
        self._current = server_directory(rows)
        return True


def _normal(rows: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((str(a), str(b), str(c)) for a, b, c in rows))


def server_directory(rows: list[tuple[str, str, str]]) -> PeopleDirectory:
    """From the server's rows (login, display name, group role); unknown roles skipped."""
    roles = {r.value for r in Role}
    return PeopleDirectory(
        DirectoryEntry(login, name or login, Role(role))
        for login, name, role in rows
        if role in roles
    )
