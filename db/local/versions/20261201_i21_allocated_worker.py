"""people: who holds an open case (allocated worker and team)

Revision ID: 20261201_i21_allocated
Revises: 20261201_i14_danger

``person.registered`` / ``person.updated`` carry ``allocated_worker`` and
``allocated_team`` (set in the window, or imported from Annex A's "Allocated Worker" and
"Allocated Team"); the same-day notice to an open case's allocated worker names them.
No event before this revision carries them, so existing rows start empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_i21_allocated"
down_revision = "20261201_i14_danger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allocated_worker", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("allocated_team", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("allocated_team")
        batch_op.drop_column("allocated_worker")
