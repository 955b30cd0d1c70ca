"""factor catalogue: a contact's answers (not asked kept apart from no) and a child's
approximate age

Revision ID: 20261130_i14_answers
Revises: 20261126_ux2
"""

import sqlalchemy as sa
from alembic import op

revision = "20261130_i14_answers"
down_revision = "20261126_ux2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))
    with op.batch_alter_table("contact_children", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("date_of_birth_estimated", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_children", schema=None) as batch_op:
        batch_op.drop_column("date_of_birth_estimated")
        batch_op.drop_column("age_years")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("answers")
