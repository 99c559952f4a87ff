"""Whether a case is settled (in a long wait, or closed), for a wave's back-pressure: a wave keeps
the cases it started and that are still busy under a bound (README, Waves and throughput).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfer_cases") as table:
        table.add_column(
            sa.Column(
                "settled",
                sa.Boolean,
                nullable=False,
                server_default=sa.false(),
                comment="in a long wait or closed: a wave's back-pressure no longer counts it as busy",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("transfer_cases") as table:
        table.drop_column("settled")
