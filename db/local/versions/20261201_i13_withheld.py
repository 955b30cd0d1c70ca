"""withheld_people: people this desk holds whom the shared server withholds from its login

Revision ID: 20261201_i13_withheld
Revises: 20261130_i13_drafts
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_i13_withheld"
down_revision = "20261130_i13_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withheld_people",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_withheld_people")),
    )


def downgrade() -> None:
    op.drop_table("withheld_people")
