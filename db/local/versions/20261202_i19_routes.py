"""routes: each route's state, a projection kept at append time (issue 19e)

Revision ID: 20261202_i19_routes
Revises: 20261201_i21_allocated

The route lifecycle events (``domain.routes.LIFECYCLE_TYPES``) folded by
``domain.routes.apply_route_event`` into one row per route, as ``contacts`` and
``decisions`` are kept: MI reads these rows instead of folding the route events at paint
time. The rows of a store made before this revision are folded here from its log, in the
order a rebuild folds (server order, then this desk's unsent events as made, leaving out
events the server rejected). Only the four columns the fold reads are selected, so this
runs against the events table as it stood at this revision.
"""

import json

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


def _fill(conn: sa.Connection) -> None:
    from dutydesk.domain import projection, routes
    from dutydesk.store import bulkwrite

    types = ", ".join(f"'{t}'" for t in routes.LIFECYCLE_TYPES)
    rows = conn.exec_driver_sql(
        "SELECT type, actor, client_time, payload FROM events"
        f" WHERE type IN ({types})"
        " AND id NOT IN (SELECT event_id FROM outbox WHERE state = 'rejected')"
        " ORDER BY server_seq IS NULL, server_seq, local_seq"
    )
    model = projection.ReadModel()
    for kind, actor, at, payload in rows:
        projection.apply(model, routes.FoldEvent(kind, actor, at, json.loads(payload)))  # type: ignore[arg-type]
    bulkwrite.insert_rows(conn, routes.RouteRow, model.routes.values())


def downgrade() -> None:
    op.drop_index(op.f("ix_routes_contact_id"), table_name="routes")
    op.drop_table("routes")
