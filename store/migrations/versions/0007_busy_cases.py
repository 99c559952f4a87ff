"""The cases not settled, in an index of their own: a wave counts its busy cases from it, in
time that grows with the busy cases (a few hundred), not with every case the wave handled.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BUSY = sa.text("NOT settled")


def upgrade() -> None:
    op.create_index("ix_transfer_cases_busy", "transfer_cases", ["case_id"], sqlite_where=BUSY, postgresql_where=BUSY)


def downgrade() -> None:
    op.drop_index("ix_transfer_cases_busy", table_name="transfer_cases")
