"""pending links: likely person matches waiting for a person to confirm

Revision ID: 20261126_intake
Revises: 20261126_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "20261126_intake"
down_revision = "20261126_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_links",
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "slot", "person_id", name=op.f("pk_pending_links")),
    )
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_links_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_links_state"))
    op.drop_table("pending_links")
