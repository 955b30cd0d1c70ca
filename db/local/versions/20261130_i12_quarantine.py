"""quarantine: events pulled from the server that this desk could not validate or apply

Revision ID: 20261130_i12_quarantine
Revises: 20261130_i15_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "20261130_i12_quarantine"
down_revision = "20261130_i15_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_quarantine")),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
