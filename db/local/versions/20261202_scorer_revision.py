"""contacts: the scoring revision that made each rating

Revision ID: 20261202_scorer_rev
Revises: 20261202_i19_routes

``contact.rated`` now carries ``scorer_revision`` (``domain.triage.scoring``); the contact
row keeps it, and a desk re-rates the open contacts whose rating a lower revision made
(``services.triage.TriageService.recheck_after_scoring_fix``). No event before this
revision carries it, so every row a ``contact.rated`` wrote (``policy_version`` is set by
that event alone) starts at 1, as a rebuild gives. The store-wide mark
``triage_scorer_revision`` it replaces is removed.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261202_scorer_rev"
down_revision = "20261202_i19_routes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scorer_revision", sa.Integer(), nullable=True))
    op.execute("UPDATE contacts SET scorer_revision = 1 WHERE policy_version IS NOT NULL")
    op.create_index("ix_contacts_status_scorer_revision", "contacts", ["status", "scorer_revision"])
    op.execute("DELETE FROM store_meta WHERE key = 'triage_scorer_revision'")


def downgrade() -> None:
    op.drop_index("ix_contacts_status_scorer_revision", table_name="contacts")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("scorer_revision")
