"""drafts: forms being typed, kept inside the encrypted store (not JSON files beside it)

Revision ID: 20261130_i13_drafts
Revises: 20261130_i12_quarantine

Drafts left as files in ``<data dir>/drafts`` by earlier versions are moved into this
table (and the files removed) the first time the window opens the store.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261130_i13_drafts"
down_revision = "20261130_i12_quarantine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("draft_id", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("saved_at", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_owner"))
    op.drop_table("drafts")
