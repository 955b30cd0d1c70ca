"""Signing in to the shared PostgreSQL server and building this desk's sync engine.

Part of the composition root (it names both the Qt login dialog and the PostgreSQL
transport, which no other layer may): the person's identity in shared mode is their
database login, and their role is the server's group role for it (``whoami``), never a
choice made on the desk.
"""

from __future__ import annotations

import hmac
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from .config.checkpoint_key import desk_key
from .config.credentials import Credentials
from .config.settings import Settings
from .config.tls import TlsSettingError
from .domain.checkpoints import CheckpointError
from .domain.clock import Clock
from .domain.directory import PeopleDirectory
from .domain.events import Actor
from .services.directory import LiveDirectory
from .store.eventstore import EventStore
from .sync.engine import SyncEngine
from .sync.identity import shared_actor
from .sync.pg.replica import ReplicaPullTransport
from .sync.pg.transport import PgTransport, conninfo
from .sync.transport import SyncError


@dataclass
class SharedSession:
    actor: Actor
    engine: SyncEngine
    verify_password: Callable[[str, str], bool]
    # Read from the server at sign-in and kept current by sync (``LiveDirectory``).
    people: LiveDirectory = field(default_factory=lambda: LiveDirectory([]))

    @property
    def directory(self) -> PeopleDirectory:
        """The people directory as this desk knows it now."""
        return self.people()


class SharedSignInError(Exception):
    """Why the desk could not sign in to the shared server, in words for the person."""


def sign_in_shared(
    settings: Settings,
    store: EventStore,
    clock: Clock,
    *,
    role: str | None = None,
    locked: frozenset[str] = frozenset(),
) -> SharedSession | None:
    """Ask for the server password (login dialog), learn the role from the server, and
    return the actor and engine; None if the person cancelled. ``locked`` settings were
    fixed by the administrator: the dialog shows them read-only."""
    from .ui.login_dialog import LoginDialog

    credentials = Credentials()
    dialog = LoginDialog(settings, credentials, locked=locked)
    if dialog.exec() != LoginDialog.DialogCode.Accepted:
        return None
    details = dialog.sign_in
    if details is None:
        return None
    password = credentials.get(details.user, details.server)
    if password is None:
        raise SharedSignInError("the password could not be kept for this session")
    try:
        dsn = conninfo(
            host=details.host,
            port=details.port,
            database=details.database,
            user=details.user,
            sslmode=details.sslmode,
            sslrootcert=settings.server_sslrootcert,
        )
        replica_dsn = (
            conninfo(
                host=settings.server_replica_host,
                port=settings.server_replica_port or details.port,
                database=details.database,
                user=details.user,
                sslmode=details.sslmode,
                sslrootcert=settings.server_sslrootcert,
            )
            if settings.server_replica_host
            else ""
        )
    except TlsSettingError as err:
        raise SharedSignInError(str(err)) from err
    return connect_shared(
        dsn,
        password,
        store,
        clock,
        role=role,
        checkpoint_key=settings.server_checkpoint_key,
        replica_dsn=replica_dsn,
    )


def connect_shared(
    dsn: str,
    password: str | None,
    store: EventStore,
    clock: Clock,
    *,
    role: str | None = None,
    checkpoint_key: str = "",
    replica_dsn: str = "",
) -> SharedSession:
    """The session for a login whose details are already known (``dsn`` without the
    password; the password goes to libpq separately and is never written anywhere).
    ``checkpoint_key`` is the settings' ``server_checkpoint_key`` (a PEM file or empty);
    ``replica_dsn`` a read replica for catch-up pulls (``server_replica_host``, or empty)."""
    try:
        trusted = desk_key(checkpoint_key)
    except CheckpointError as err:
        raise SharedSignInError(str(err)) from err
    transport = (
        ReplicaPullTransport(dsn, replica_dsn, password)
        if replica_dsn
        else PgTransport(dsn, password)
    )
    try:
        identity = transport.whoami(role)
    except SyncError as err:
        transport.close()
        raise SharedSignInError(str(err)) from err
    try:
        people = LiveDirectory(transport.directory())
    except SyncError as err:
        transport.close()
        raise SharedSignInError(str(err)) from err
    actor = shared_actor(identity, socket.gethostname(), people().name_of(identity.login))
    # Sync reads the directory again whenever it changed on the server.
    engine = SyncEngine(
        store,
        transport,
        clock,
        login=actor.login,
        on_directory=people.replace,
        checkpoint_key=trusted,
    )

    def verify(login: str, typed: str) -> bool:
        """The screen lock asks for the same password the server accepted."""
        return login == actor.login and hmac.compare_digest(
            typed.encode(), (password or "").encode()
        )

    return SharedSession(actor, engine, verify, people)
