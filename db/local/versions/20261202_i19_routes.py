"""routes: each route's state, a projection kept at append time (issue 19e)

Revision ID: 20261202_i19_routes
Revises: 20261201_i21_allocated

The route lifecycle events folded into one row per route, as ``contacts`` and
``decisions`` are kept: MI reads these rows instead of folding the route events at paint
time. The rows of a store made before this revision are folded here from its log, in the
order a rebuild folds (server order, then this desk's unsent events as made, leaving out
events the server rejected). Only the four columns the fold reads are selected, so this
runs against the events table as it stood at this revision.

Self-contained: the fold, the event types and the columns written are frozen here as they
were at this revision (``domain.routes.apply_route_event``, ``route_row``,
``LIFECYCLE_TYPES`` and ``store.bulkwrite`` of that day), importing nothing of DutyDesk,
so a later change to the live code cannot change what this revision does to an old store
(nor break it: a column added later is not one it writes). The copy is ~60 lines of plain
dict updates, small enough to keep whole. ``tests/integration/test_routes_migration.py``
holds it to the live fold on a generated log and ``test_routes_review.py`` on stores the
server ordered otherwise: when the live fold changes on purpose those fail, and the change
needs a revision of its own that refolds ``routes`` (this one stays as it is).
"""

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "20261202_i19_routes"
down_revision = "20261201_i21_allocated"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routes",
        sa.Column("route_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.String(length=40), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("adult_slot", sa.Integer(), nullable=True),
        sa.Column("sent_to", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("family_consent", sa.String(length=40), nullable=True),
        sa.Column("marac", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("transfer_team", sa.String(length=200), nullable=True),
        sa.Column("transfer_worker", sa.String(length=200), nullable=True),
        sa.Column("transfer_state", sa.String(length=20), nullable=True),
        sa.Column("transfer_reason", sa.Text(), nullable=True),
        sa.Column("transfer_at", sa.String(length=40), nullable=True),
        sa.Column("closed_at", sa.String(length=40), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("route_id"),
    )
    op.create_index(op.f("ix_routes_contact_id"), "routes", ["contact_id"], unique=False)
    _fill(op.get_bind())


# ``domain.routes.LIFECYCLE_TYPES`` at this revision
_LIFECYCLE_TYPES = (
    "route.opened",
    "route.progressed",
    "route.transferred",
    "route.transfer_accepted",
    "route.transfer_returned",
    "route.closed",
)
# the ``routes`` columns at this revision, in the order written
_COLUMNS = (
    "route_id",
    "contact_id",
    "kind",
    "opened_at",
    "opened_by",
    "slot",
    "person_id",
    "adult_slot",
    "sent_to",
    "team",
    "worker",
    "family_consent",
    "marac",
    "notes",
    "steps",
    "transfer_team",
    "transfer_worker",
    "transfer_state",
    "transfer_reason",
    "transfer_at",
    "closed_at",
    "closed_reason",
)


def _iso(value: str) -> str:
    """A time as the fold stores it: parsed, then written in ISO form again."""
    return datetime.fromisoformat(value).isoformat()


def _fold(routes: dict[str, dict[str, Any]], kind: str, actor: str, at: str, p: Any) -> None:
    """One route event folded into ``routes`` (route id -> row as a dict of ``_COLUMNS``),
    as ``domain.projection._route`` and ``routes.apply_route_event`` did at this revision.
    A route belongs to the contact that opened it: an event naming another contact changes
    nothing; opened again on its own contact, it starts afresh. ``at``: client time."""
    rid = p.get("route_id")
    if not isinstance(rid, str):
        return
    if kind == "route.opened":
        held = routes.get(rid)
        if held is not None and held["contact_id"] != p["contact_id"]:
            return
        row = dict.fromkeys(_COLUMNS)
        row.update(
            route_id=rid,
            contact_id=p["contact_id"],
            kind=p["kind"],
            opened_at=_iso(p.get("opened_at") or at),
            opened_by=actor,
            sent_to=p.get("to"),
            steps=[],
        )
        for key in ("slot", "person_id", "adult_slot", "team", "worker", "family_consent"):
            row[key] = p.get(key)
        row["marac"], row["notes"] = p.get("marac"), p.get("notes")
        routes[rid] = row
        return
    route = routes.get(rid)
    if route is None or route["contact_id"] != p.get("contact_id"):
        return
    if kind == "route.progressed":
        step = {"step": p["step"], "at": _iso(p.get("at") or at), "by": actor}
        route["steps"].append({**step, "reason": p.get("reason")})
    elif kind == "route.transferred":
        route.update(transfer_team=p["team"], transfer_worker=p.get("worker"))
        route.update(transfer_state="awaiting", transfer_reason=None, transfer_at=_iso(at))
    elif kind == "route.transfer_accepted":
        route["transfer_state"] = "accepted"
        route["transfer_worker"] = p.get("worker") or route["transfer_worker"]
    elif kind == "route.transfer_returned":
        route.update(transfer_state="returned", transfer_reason=p.get("reason"))
    elif kind == "route.closed":
        route.update(closed_at=_iso(at), closed_reason=p["reason"])


def _fill(conn: sa.Connection) -> None:
    types = ", ".join(f"'{t}'" for t in _LIFECYCLE_TYPES)
    rows = conn.exec_driver_sql(
        "SELECT type, actor, client_time, payload FROM events"
        f" WHERE type IN ({types})"
        " AND id NOT IN (SELECT event_id FROM outbox WHERE state = 'rejected')"
        " ORDER BY server_seq IS NULL, server_seq, local_seq"
    )
    routes: dict[str, dict[str, Any]] = {}
    for kind, actor, at, payload in rows:
        _fold(routes, kind, actor, at, json.loads(payload))
    values = []
    for route in routes.values():
        steps = route["steps"]
        route["steps"] = json.dumps(steps) if steps else "[]"  # as the store writes them
        values.append(tuple(route[c] for c in _COLUMNS))
    if values:
        conn.exec_driver_sql(
            f"INSERT INTO routes ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            values,
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_routes_contact_id"), table_name="routes")
    op.drop_table("routes")
