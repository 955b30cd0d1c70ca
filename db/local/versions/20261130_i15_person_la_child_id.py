"""people: the authority's own child id (census LAchildID, Annex A Child Unique ID) and the
date of death

Revision ID: 20261130_i15_identity
Revises: 20261130_i14_answers

Rows already in the store get the values when their events carry them: people imported
before this revision have no ``la_child_id`` in their events, so re-import the census or
Annex A file (it adds a ``person.updated`` with the id, nothing else changes).
"""

import sqlalchemy as sa
from alembic import op

revision = "20261130_i15_identity"
down_revision = "20261130_i14_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("la_child_id", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("date_of_death", sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f("ix_people_la_child_id"), ["la_child_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_la_child_id"))
        batch_op.drop_column("date_of_death")
        batch_op.drop_column("la_child_id")
