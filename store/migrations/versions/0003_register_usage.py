"""Register queries per day, shared by every worker (the per-day capacity agreed with the register).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_usage",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("queries", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("register_usage")
