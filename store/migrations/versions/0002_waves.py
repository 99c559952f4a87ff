"""Waves: batches of cases started together.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waves",
        sa.Column("wave_id", sa.String(64), primary_key=True),
        sa.Column("wave_date", sa.Date, nullable=True, comment="Besluit 17f: the plan's date"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "wave_members",
        sa.Column("wave_id", sa.String(64), sa.ForeignKey("waves.wave_id"), primary_key=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("entitlements.case_id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("wave_members")
    op.drop_table("waves")
