"""contacts.immediate_danger may be NULL: "not stated" (imported history), never "no"

Revision ID: 20261201_i14_danger
Revises: 20261201_i13_withheld
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_i14_danger"
down_revision = "20261201_i13_withheld"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("immediate_danger", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    # The older schema cannot say "not stated"; the rows are a projection of the event log
    # (which keeps the distinction), so they are written as false until rebuilt.
    op.execute("UPDATE contacts SET immediate_danger = 0 WHERE immediate_danger IS NULL")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("immediate_danger", existing_type=sa.Boolean(), nullable=False)
