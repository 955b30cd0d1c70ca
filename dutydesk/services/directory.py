"""Where the people directory comes from.

Standalone desks: the local accounts in the store (active ones), and on a demo store the
demo users. Shared mode: the server's ``dutydesk.directory()`` (every login in a DutyDesk
group role with the display name given at ``dutydesk server add-user --name``), read when
the desk signs in (``shared_mode.connect_shared``).
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
        from ..demo.synthetic import DEMO_USERS

        known = {e.login for e in entries}
        entries += [
            DirectoryEntry(u.login, u.name, u.role) for u in DEMO_USERS if u.login not in known
        ]
    return PeopleDirectory(entries)


def server_directory(rows: list[tuple[str, str, str]]) -> PeopleDirectory:
    """From the server's rows (login, display name, group role); unknown roles skipped."""
    roles = {r.value for r in Role}
    return PeopleDirectory(
        DirectoryEntry(login, name or login, Role(role))
        for login, name, role in rows
        if role in roles
    )
