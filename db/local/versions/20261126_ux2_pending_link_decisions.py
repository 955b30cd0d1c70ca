"""pending links: who confirmed or dismissed a suggestion, when, and why

Revision ID: 20261126_ux2
Revises: 20261126_intake
"""

import sqlalchemy as sa
from alembic import op

revision = "20261126_ux2"
# Alters the table 20261126_intake creates, so it follows it (not 20261126_0001).
down_revision = "20261126_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
