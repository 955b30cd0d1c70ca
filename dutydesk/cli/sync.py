"""``dutydesk sync``: one sync round (push then pull) with the shared server, then exit.

The server address comes from the settings file (``--settings``, default the platform
config folder's ``settings.json``) or the options below; the password from the
DUTYDESK_PASSWORD environment variable or the keyring (saved by the window's sign-in with
"remember password"). Prints counts only, never personal data.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..config import settings as settings_mod
from ..config.credentials import Credentials
from ..domain.clock import SystemClock
from ..paths import default_config_dir
from .common import add_store_argument, fail
from .secure import open_secure_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)
    parser.add_argument(
        "--settings",
        type=Path,
        default=None,
        help="settings file (default: settings.json in the config folder)",
    )
    parser.add_argument("--host", help="server host (overrides settings)")
    parser.add_argument("--port", type=int, help="server port")
    parser.add_argument("--database", help="database name")
    parser.add_argument("--user", help="your login on the server")
    parser.add_argument(
        "--sslmode", help="libpq sslmode (disable, prefer, require, verify-ca, verify-full)"
    )
    parser.add_argument(
        "--show-rejected",
        action="store_true",
        help="list events the server rejected, with its reasons",
    )
    parser.add_argument(
        "--quarantine",
        action="store_true",
        help="list events received from the server that this desk could not "
        "validate or apply (kept aside; sync carries on without them)",
    )


def run(args: argparse.Namespace) -> int:
    path = args.settings or default_config_dir() / "settings.json"
    try:  # an explicit file as it is; else the person's, under the machine-wide settings
        cfg = settings_mod.load(path) if args.settings else settings_mod.load_desk(path)
    except settings_mod.SettingsError as err:
        return fail(str(err), 2)
    host = args.host or cfg.server_host
    user = args.user or cfg.server_user
    if not host or not user:
        return fail(
            "no server configured: set server_host and server_user in "
            f"{path} or pass --host and --user",
            2,
        )
    port = args.port or cfg.server_port
    password = os.environ.get("DUTYDESK_PASSWORD") or Credentials().get(user, f"{host}:{port}")

    from ..config.checkpoint_key import desk_key
    from ..config.tls import TlsSettingError
    from ..domain.checkpoints import CheckpointError
    from ..store import quarantine
    from ..sync.engine import SyncEngine
    from ..sync.pg.replica import ReplicaPullTransport
    from ..sync.pg.transport import PgTransport, conninfo
    from ..sync.transport import SyncError

    try:
        dsn = conninfo(
            host=host,
            port=port,
            database=args.database or cfg.server_database,
            user=user,
            sslmode=args.sslmode or cfg.server_sslmode,
            sslrootcert=cfg.server_sslrootcert,
        )
        replica_dsn = (
            conninfo(
                host=cfg.server_replica_host,
                port=cfg.server_replica_port or port,
                database=args.database or cfg.server_database,
                user=user,
                sslmode=args.sslmode or cfg.server_sslmode,
                sslrootcert=cfg.server_sslrootcert,
            )
            if cfg.server_replica_host
            else ""
        )
        trusted = desk_key(cfg.server_checkpoint_key)
    except (TlsSettingError, CheckpointError) as err:
        return fail(str(err), 2)
    # The chained (and, for real records, encrypted) store: pulled events extend the local
    # audit chain like every other write.
    store = open_secure_store(args)
    try:
        with (
            ReplicaPullTransport(dsn, replica_dsn, password)
            if replica_dsn
            else PgTransport(dsn, password)
        ) as transport:
            engine = SyncEngine(store, transport, SystemClock(), login=user, checkpoint_key=trusted)
            try:
                report = engine.sync(force=True)
            except SyncError as err:
                return fail(str(err), 1)
            print(report.summary())
            if args.show_rejected:
                for r in engine.state.rejected():
                    print(f"rejected {r.type} {r.event_id} ({r.client_time}): {r.reason}")
            if args.quarantine:
                held = quarantine.listing(store.engine)
                print(f"{len(held)} event(s) in quarantine")
                for q in held:
                    print(
                        f"quarantined seq {q.server_seq} {q.type} {q.event_id} "
                        f"({q.quarantined_at}): {q.reason}"
                    )
    finally:
        store.close()
    return 0 if report.online else 1
