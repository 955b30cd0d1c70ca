"""Administering the shared PostgreSQL database: roles, schema migrations, logins.

Run by an administrator with a superuser (or CREATEROLE + database owner) connection,
never by a desk. ``init`` creates the NOLOGIN owner and the group roles, the ``dutydesk``
schema owned by the owner, and applies ``db/server/NNNN_*.sql`` in order as that owner,
recording each in ``dutydesk.schema_migrations`` with a checksum. ``upgrade`` applies the
ones not yet applied and refuses if an applied file has since changed. ``add_user`` makes a
person's LOGIN role in one group; the password travels as a SCRAM verifier computed here
(libpq ``PQencryptPasswordConn``), so the clear text reaches neither the server's
statement log nor any file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ...config.tls import TlsSettingError, explain_connection_failure
from ...domain.codes import Role
from ...domain.errors import ValidationError
from ...domain.event_permissions import ALLOWED
from ...paths import SERVER_MIGRATIONS
from .rules_sql import RuleError, catalogue_rules, type_function
from .transport import tls_required

OWNER = "dutydesk_owner"
GROUPS = tuple(r.value for r in Role)
_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOGIN = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
_RESERVED = {OWNER, "postgres", "public", *GROUPS}

# Every client session: no statement, lock wait or idle open transaction lasts for ever.
# PostgreSQL applies ALTER ROLE ... SET from the login role only (not from its groups), so
# these go on the groups (for the record) and on every login in them (add_user, upgrade).
SESSION_LIMITS = {
    "statement_timeout": "120s",
    "lock_timeout": "30s",
    "idle_in_transaction_session_timeout": "60s",
}


class AdminError(Exception):
    """The administrative action cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations(folder: Path = SERVER_MIGRATIONS) -> list[Migration]:
    """The numbered migration files, in order; a malformed name or a gap is an error."""
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            raise AdminError(f"{path}: migration files are named NNNN_words.sql")
        found.append(Migration(int(m.group(1)), path.name, path.read_text(encoding="utf-8")))
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise AdminError(f"{folder}: migration {expected:04d} is missing before {mig.name}")
    if not found:
        raise AdminError(f"no server migrations found in {folder}")
    return found


def _connect(dsn: str) -> psycopg.Connection:
    try:
        secured = tls_required(dsn)  # TLS unless the server is on this computer
    except TlsSettingError as err:
        raise AdminError(f"refusing to connect: {err}") from err
    try:
        return psycopg.connect(secured, autocommit=True, application_name="dutydesk-admin")
    except psycopg.Error as err:
        why = explain_connection_failure(str(err)) or _first_line(err)
        raise AdminError(f"cannot connect to the server: {why}") from err


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _initialised(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass('dutydesk.schema_migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _role_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def init(admin_dsn: str) -> list[str]:
    """Create roles and schema on an empty database and apply every migration."""
    with _connect(admin_dsn) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
        if version < 140000:
            raise AdminError("DutyDesk needs PostgreSQL 14 or newer")
        encoding = conn.execute("SHOW server_encoding").fetchone()[0]  # type: ignore[index]
        if encoding != "UTF8":
            raise AdminError(f"the database encoding is {encoding}; DutyDesk needs UTF8")
        if _initialised(conn):
            raise AdminError(
                "this database is already initialised; use `dutydesk server "
                "upgrade` to apply newer migrations"
            )
        if conn.execute("SELECT to_regnamespace('dutydesk') IS NOT NULL").fetchone()[0]:  # type: ignore[index]
            raise AdminError(
                "a schema named dutydesk exists but was not made by DutyDesk; "
                "drop it or use another database"
            )
        with conn.transaction():
            for name in (OWNER, *GROUPS):
                if not _role_exists(conn, name):
                    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            me = conn.execute(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            if me is not None and not me[1]:
                conn.execute(
                    sql.SQL("GRANT {} TO {}").format(sql.Identifier(OWNER), sql.Identifier(me[0]))
                )
            conn.execute(
                sql.SQL("CREATE SCHEMA dutydesk AUTHORIZATION {}").format(sql.Identifier(OWNER))
            )
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            conn.execute("""CREATE TABLE dutydesk.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())""")
            conn.execute("ALTER TABLE dutydesk.schema_migrations ENABLE ROW LEVEL SECURITY")
            conn.execute("ALTER TABLE dutydesk.schema_migrations FORCE ROW LEVEL SECURITY")
            conn.execute(
                sql.SQL(
                    "CREATE POLICY owner_all ON dutydesk.schema_migrations TO {} "
                    "USING (true) WITH CHECK (true)"
                ).format(sql.Identifier(OWNER))
            )
        return _apply_pending(conn, fresh=True)


def upgrade(admin_dsn: str) -> list[str]:
    """Apply the migrations not yet applied. Returns their names (empty: up to date)."""
    with _connect(admin_dsn) as conn:
        if not _initialised(conn):
            raise AdminError("this database has no DutyDesk schema; run `dutydesk server init`")
        return _apply_pending(conn, fresh=False)


def _apply_pending(conn: psycopg.Connection, *, fresh: bool) -> list[str]:
    applied = {}
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        for version, name, checksum in conn.execute(
            "SELECT version, name, checksum FROM dutydesk.schema_migrations"
        ):
            applied[version] = (name, checksum)
    done = []
    for mig in migrations():
        if mig.version in applied:
            if applied[mig.version][1] != mig.checksum:
                raise AdminError(
                    f"migration {mig.name} was changed after it was applied; "
                    "write a new migration instead"
                )
            continue
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            try:
                conn.execute(mig.sql.encode("utf-8"))
            except psycopg.Error as err:
                raise AdminError(f"migration {mig.name} failed: {_first_line(err)}") from err
            conn.execute(
                "INSERT INTO dutydesk.schema_migrations (version, name, checksum) "
                "VALUES (%s, %s, %s)",
                (mig.version, mig.name, mig.checksum),
            )
        done.append(mig.name)
    _write_permissions(conn)
    _write_rules(conn)
    _add_partitions(conn)
    if not fresh and CONNECT_MIGRATION in done:
        _grant_connect_to_members(conn)
    _harden(conn)
    return done


# The migration after which a login connects only to databases it was added to (0013).
CONNECT_MIGRATION = "0013_one_database_per_login.sql"


def _grant_connect_to_members(conn: psycopg.Connection) -> None:
    """Once, when an existing database is upgraded to one database per login: CONNECT for
    every login then in a DutyDesk group, so nobody who could sign in before is locked out
    when ``_harden`` takes CONNECT away from PUBLIC."""
    db = sql.Identifier(conn.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    for (login,) in conn.execute(
        "SELECT DISTINCT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
        "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = ANY(%s) AND m.rolcanlogin",
        (list(GROUPS),),
    ).fetchall():
        with conn.transaction():
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, sql.Identifier(login))
            )


def _add_partitions(conn: psycopg.Connection) -> list[str]:
    """The event table's partitions for this year and next (migration 0012), made if
    missing; every ``init`` and ``upgrade`` runs it, so running ``dutydesk server upgrade``
    once a year keeps a partition ahead (``dutydesk.events_default`` catches the rest).
    Returns the partitions made."""
    if not _has_function(conn, "dutydesk.add_event_partitions(integer)"):
        return []
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        return [str(r[0]) for r in conn.execute("SELECT dutydesk.add_event_partitions(1)")]


def _has_function(conn: psycopg.Connection, signature: str) -> bool:
    row = conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", (signature,)).fetchone()
    return bool(row and row[0])


def _write_rules(conn: psycopg.Connection) -> None:
    """Make the server's payload rules and policy equal the one catalogue in the domain
    (``dutydesk.domain.server_rules``), and record their digest (migration 0010) so desks
    of another DutyDesk version refuse this server by name; refuses, naming the field, if
    a check has no twin."""
    try:
        mine = catalogue_rules()
    except (ValidationError, RuleError) as err:
        raise AdminError(f"the event catalogue cannot be checked by the server: {err}") from err
    if not _has_table(conn, "dutydesk.event_rules"):
        return  # a server still at 0001 (only while its migrations are being applied)
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        conn.execute("DELETE FROM dutydesk.event_rules")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO dutydesk.event_rules (event_type, rule) VALUES (%s, %s::jsonb)",
                [(kind, json.dumps(rule)) for kind, rule in mine.rules.items()],
            )
        conn.execute(
            "INSERT INTO dutydesk.server_policy (singleton, policy) "
            "VALUES (true, %s::jsonb) ON CONFLICT (singleton) DO UPDATE "
            "SET policy = EXCLUDED.policy",
            (json.dumps(mine.policy),),
        )
        conn.execute(mine.function.encode("utf-8"))
        conn.execute("REVOKE ALL ON FUNCTION dutydesk.check_payload(text, jsonb, date) FROM PUBLIC")
        # One function per event type (rules_sql.type_function); those of types this
        # catalogue no longer has go, so nothing checks with rules no longer in force.
        wanted = {type_function(k, why=w) for k in mine.rules for w in (False, True)}
        for (name,) in conn.execute(
            "SELECT p.proname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'dutydesk' "
            "AND p.proname LIKE 'check\\_payload\\_%' "
            "AND p.proargtypes = '3802 1082'::pg_catalog.oidvector"
        ).fetchall():
            function = sql.SQL("dutydesk.{}(jsonb, date)").format(sql.Identifier(name))
            if name in wanted:
                conn.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(function))
            else:
                conn.execute(sql.SQL("DROP FUNCTION {}").format(function))
        if _has_table(conn, "dutydesk.rules_installed"):
            # The same transaction: desks never see new rules under the old digest.
            conn.execute(
                "INSERT INTO dutydesk.rules_installed (singleton, digest, installed_at) "
                "VALUES (true, %s, now()) ON CONFLICT (singleton) DO UPDATE "
                "SET digest = EXCLUDED.digest, installed_at = EXCLUDED.installed_at",
                (mine.digest,),
            )


def _has_table(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def _harden(conn: psycopg.Connection) -> list[str]:
    """What the owner cannot do itself, done as the administrator; idempotent.

    No TEMP or CREATE on the database and no CREATE on schema public for PUBLIC (a login
    has no use for either, and temporary objects were the way into the definer functions);
    session limits on the groups and every login in them; pg_signal_backend and
    pg_read_all_stats for the owner, so submit can end a session idling in an open
    transaction on the counter row. Returns warnings for what this connection may not do.
    """
    warnings = []
    db = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    # The logins of this database are the people its directory names (add-user writes
    # every new login there): they keep CONNECT, also in a database restored from a dump
    # (pg_dump does not carry the database's own grants).
    ours: list[str] = []
    if _has_table(conn, "dutydesk.people_directory"):
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            named = [str(r[0]) for r in conn.execute("SELECT login FROM dutydesk.people_directory")]
        ours = sorted(
            str(r[0])
            for r in conn.execute(
                "SELECT DISTINCT m.rolname FROM pg_auth_members a "
                "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
                "WHERE g.rolname = ANY(%s) AND m.rolname = ANY(%s)",
                (list(GROUPS), named),
            )
        )
    steps: list[sql.SQL | sql.Composed] = [
        sql.SQL("REVOKE TEMPORARY, CREATE ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db)),
        # Roles are cluster-wide: only the logins added to this database may connect to it
        # (migration 0013; add_user grants CONNECT). The administrator keeps it.
        sql.SQL("GRANT CONNECT ON DATABASE {} TO CURRENT_USER").format(sql.Identifier(db)),
        *(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(db), sql.Identifier(login)
            )
            for login in ours
        ),
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db)),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT pg_signal_backend, pg_read_all_stats TO {}").format(sql.Identifier(OWNER)),
    ]
    for group in GROUPS:
        steps.extend(_limits(group))
    for (login,) in conn.execute(
        "SELECT DISTINCT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
        "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = ANY(%s) AND m.rolcanlogin",
        (list(GROUPS),),
    ).fetchall():
        steps.extend(_limits(login))
    for step in steps:
        try:
            with conn.transaction():
                conn.execute(step)
        except psycopg.Error as err:
            warnings.append(f"{step.as_string(conn)}: {_first_line(err)}")
    return warnings


def _limits(role: str) -> list[sql.Composed]:
    return [
        sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(role), sql.Identifier(name), sql.Literal(value)
        )
        for name, value in SESSION_LIMITS.items()
    ]


def _write_permissions(conn: psycopg.Connection) -> None:
    """Make the server's role -> event type rows equal the one table in the domain."""
    rows = sorted((role.value, kind) for kind, roles in ALLOWED.items() for role in roles)
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        conn.execute("DELETE FROM dutydesk.event_permissions")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO dutydesk.event_permissions (role, event_type) VALUES (%s, %s)", rows
            )


def add_user(
    admin_dsn: str, login: str, group: str, password: str | None, display_name: str | None = None
) -> str:
    """Create (or extend) ``login`` as a member of ``group``, with its display name in the
    people directory (``display_name``; kept as it was when not given, the login for a
    new person). Returns what was done."""
    name = (display_name or "").strip()
    if len(name) > 200 or any(ord(ch) < 32 for ch in name):
        raise AdminError("the display name must be at most 200 characters on one line")
    if not _LOGIN.match(login) or login in _RESERVED:
        raise AdminError(
            f"login {login!r} is not allowed: use 2-63 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter, and not a role name"
        )
    if group not in GROUPS:
        raise AdminError(f"unknown group {group!r}; choose one of {', '.join(GROUPS)}")
    if password is not None and len(password) < 12:
        raise AdminError("the password must be at least 12 characters")
    with _connect(admin_dsn) as conn:
        if not _initialised(conn):
            raise AdminError("this database has no DutyDesk schema; run `dutydesk server init`")
        ident = sql.Identifier(login)
        with conn.transaction():
            existed = _role_exists(conn, login)
            if existed:
                row = conn.execute(
                    "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", (login,)
                ).fetchone()
                if row and row[0]:
                    raise AdminError(
                        f"{login} is a superuser or bypasses row-level security; "
                        "a desk must not use such a role"
                    )
                elsewhere = _databases_of(conn, login)
                if elsewhere:
                    raise AdminError(
                        f"{login} is a login of database {elsewhere[0]} in this cluster; a "
                        "login serves one authority (its groups count in every database it "
                        "may connect to): give this person another login here"
                    )
            else:
                conn.execute(
                    sql.SQL(
                        "CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB "
                        "NOCREATEROLE NOBYPASSRLS NOREPLICATION"
                    ).format(ident)
                )
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), ident))
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(conn.execute("SELECT current_database()").fetchone()[0]),  # type: ignore[index]
                    ident,
                )
            )
            for step in _limits(login):
                conn.execute(step)
            if (name or not existed) and _has_table(conn, "dutydesk.people_directory"):
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
                conn.execute(
                    "INSERT INTO dutydesk.people_directory (login, display_name) "
                    "VALUES (%s, %s) ON CONFLICT (login) DO UPDATE SET display_name = "
                    "EXCLUDED.display_name, updated_at = now()",
                    (login, name or login),
                )
                conn.execute("RESET ROLE")
            if password is not None:
                verifier = conn.pgconn.encrypt_password(
                    password.encode("utf-8"), login.encode("utf-8"), b"scram-sha-256"
                )
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        ident, sql.Literal(verifier.decode("ascii"))
                    )
                )
    verb = "added to" if existed else "created in"
    return f"{login} {verb} {group}" + (" (password set)" if password is not None else "")


def _databases_of(conn: psycopg.Connection, login: str) -> list[str]:
    """The other databases of the cluster ``login`` was given CONNECT on by name (as
    ``add_user`` does): where it is already a DutyDesk login."""
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT d.datname FROM pg_database d, aclexplode(d.datacl) x "
            "WHERE x.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s) "
            "AND x.privilege_type = 'CONNECT' AND d.datname <> current_database() ORDER BY 1",
            (login,),
        )
    ]


def remove_user(admin_dsn: str, login: str, group: str | None = None) -> str:
    """Take one group away from ``login`` (``group``), or, without a group, stop the login
    signing in at all: NOLOGIN, no password, its open sessions ended. The role itself is
    kept: events name their actor by login for good, so a login is never dropped or given
    to someone else. Only logins in a DutyDesk group are touched. Returns what was done."""
    if not _LOGIN.match(login) or login in _RESERVED:
        raise AdminError(f"{login!r} is not a DutyDesk login")
    if group is not None and group not in GROUPS:
        raise AdminError(f"unknown group {group!r}; choose one of {', '.join(GROUPS)}")
    with _connect(admin_dsn) as conn:
        held = [
            g
            for (g,) in conn.execute(
                "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
                "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s AND g.rolname = ANY(%s) "
                "ORDER BY 1",
                (login, list(GROUPS)),
            )
        ]
        if not held:
            raise AdminError(f"{login} is not a login in any DutyDesk group; nothing changed")
        here = conn.execute(
            "SELECT has_database_privilege(%s, current_database(), 'CONNECT')", (login,)
        ).fetchone()
        if _databases_of(conn, login) and not (here and here[0]):
            raise AdminError(
                f"{login} is a login of another database in this cluster, not of this one; "
                "nothing changed"
            )
        ident = sql.Identifier(login)
        if group is not None:
            if group not in held:
                raise AdminError(f"{login} is not in {group} (groups: {', '.join(held)})")
            with conn.transaction():
                conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), ident))
            left = [g for g in held if g != group]
            return (
                f"{login} removed from {group}; still in: {', '.join(left)}"
                if left
                else f"{login} removed from {group}; in no DutyDesk group now, so no desk "
                "accepts the login"
            )
        with conn.transaction():
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(ident))
            ended = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = %s",
                (login,),
            ).fetchone()
    return (
        f"{login} can no longer sign in ({ended[0] if ended else 0} open session(s) "
        f"ended); still a member of {', '.join(held)} so the record keeps its name"
    )


def new_epoch(admin_dsn: str) -> str:
    """Give the server a new epoch (after restoring a backup): desks then re-download."""
    with _connect(admin_dsn) as conn, conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        row = conn.execute(
            "UPDATE dutydesk.server_info SET epoch = gen_random_uuid() RETURNING epoch"
        ).fetchone()
        return str(row[0])  # type: ignore[index]


def status(admin_dsn: str) -> dict[str, object]:
    """Epoch, schema version, number of events and pending migrations."""
    with _connect(admin_dsn) as conn:
        if not _initialised(conn):
            return {"initialised": False}
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            epoch, schema, head = conn.execute("SELECT * FROM dutydesk.server_state()").fetchone()  # type: ignore[misc]
            versions = {
                v for (v,) in conn.execute("SELECT version FROM dutydesk.schema_migrations")
            }
        pending = [m.name for m in migrations() if m.version not in versions]
        found: dict[str, object] = {
            "initialised": True,
            "epoch": str(epoch),
            "schema_version": schema,
            "events": head,
            "pending_migrations": pending,
        }
        if _has_table(conn, "dutydesk.desk_alerts"):
            held = alerts(admin_dsn)
            found["quarantine_alerts"] = (
                f"{len(held)} (`dutydesk server alerts` lists them)" if held else 0
            )
        there = conn.execute(
            "SELECT to_regprocedure('dutydesk.may_hold_contacts(text)') IS NOT NULL"
        ).fetchone()
        if there and there[0]:
            stray = stray_assignments(admin_dsn)
            found["contacts_with_someone_who_may_not_hold_them"] = (
                f"{len(stray)} (`dutydesk server assignments` lists them)" if stray else 0
            )
        if _has_table(conn, "dutydesk.rules_installed"):
            found["event_rules"] = _rules_status(conn)
        return found


def _rules_status(conn: psycopg.Connection) -> str:
    """Whether the server's event rules are this DutyDesk's (migration 0010)."""
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
        row = conn.execute("SELECT digest, installed_at FROM dutydesk.rules_installed").fetchone()
    if row is None:
        return "not written: run `dutydesk server upgrade`"
    try:
        mine = catalogue_rules().digest
    except (ValidationError, RuleError) as err:
        return f"this DutyDesk's catalogue cannot be checked by the server: {err}"
    at = row[1].isoformat(timespec="seconds")
    if row[0] == mine:
        return f"this DutyDesk version's (written {at})"
    return (
        f"written {at} by another DutyDesk version; desks of this version will not sync "
        "until `dutydesk server upgrade` is run with it"
    )


@dataclass(frozen=True, slots=True)
class Alert:
    """A desk's report that it quarantined the event at ``seq`` (no content)."""

    login: str
    seq: int
    event_type: str
    reported_at: str


def alerts(admin_dsn: str) -> list[Alert]:
    """Every quarantine alert desks have sent, newest first."""
    with _connect(admin_dsn) as conn:
        if not _has_table(conn, "dutydesk.desk_alerts"):
            raise AdminError("the server has no alerts table; run `dutydesk server upgrade`")
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            return [
                Alert(r[0], int(r[1]), r[2], r[3].isoformat(timespec="seconds"))
                for r in conn.execute(
                    "SELECT login, seq, event_type, reported_at FROM dutydesk.desk_alerts "
                    "ORDER BY reported_at DESC, seq DESC"
                )
            ]


# ---- contacts held by someone who may not hold them ----------------------------------


@dataclass(frozen=True, slots=True)
class StrayAssignment:
    """A contact whose latest holder (``contact.assigned`` or ``contact.taken``) is a login
    who may not hold contacts now: no ids but the contact's, no personal data."""

    seq: int  # the server sequence of the assignment
    contact_id: str
    holder: str  # the login the contact is with
    assigned_by: str
    at: str  # when the desk recorded it (client time)
    why: str  # in words: no such login, can no longer sign in, role may not hold contacts

    def line(self) -> str:
        return (
            f"seq {self.seq} contact {self.contact_id}: with {self.holder} ({self.why}), "
            f"assigned by {self.assigned_by} at {self.at}"
        )


_STRAY = """
WITH holders AS (
    SELECT DISTINCT ON (e.contact_id) e.seq, e.contact_id, e.actor, e.client_time,
           CASE WHEN e.type = 'contact.assigned' THEN e.payload->>'assignee' ELSE e.actor END
               AS holder
      FROM dutydesk.events e
     WHERE e.type IN ('contact.assigned', 'contact.taken') AND e.contact_id IS NOT NULL
     ORDER BY e.contact_id, e.seq DESC
)
SELECT h.seq, h.contact_id::text, h.holder, h.actor, h.client_time,
       r.rolname IS NOT NULL, COALESCE(r.rolcanlogin, false)
  FROM holders h
  LEFT JOIN pg_catalog.pg_roles r ON r.rolname = h.holder
 WHERE NOT dutydesk.may_hold_contacts(h.holder)
 ORDER BY h.seq
"""


def stray_assignments(admin_dsn: str) -> list[StrayAssignment]:
    """Every contact still with someone who may not hold one: assignments a server before
    migration 0007 accepted to anyone (a made-up login, an auditor, an administrator), and
    contacts left with a person since removed (``remove-user``) or moved out of every role
    that works on contacts. Oldest first. The same rule ``submit`` applies to a new
    assignment (``dutydesk.may_hold_contacts``); a manager reassigns each contact listed."""
    with _connect(admin_dsn) as conn:
        if not _initialised(conn):
            raise AdminError("this database has no DutyDesk schema; run `dutydesk server init`")
        there = conn.execute(
            "SELECT to_regprocedure('dutydesk.may_hold_contacts(text)') IS NOT NULL"
        ).fetchone()
        if not (there and there[0]):
            raise AdminError(
                "the server predates the assignee check (migration 0007); run "
                "`dutydesk server upgrade` first"
            )
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER)))
            rows = conn.execute(_STRAY).fetchall()
    return [
        StrayAssignment(
            int(seq),
            str(cid),
            str(holder),
            str(by),
            str(at),
            "no such login"
            if not exists
            else "can no longer sign in"
            if not can_login
            else "their role may not hold contacts",
        )
        for seq, cid, holder, by, at, exists, can_login in rows
    ]
