"""Operator data: thresholds and Royal-decree days recorded by an operator, the source of a
funding ratio, a provider's name, and what a waiting case waits for.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from store.columns import Money

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "thresholds",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("known_from", sa.Date, nullable=False, comment="the legal date it was recorded"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "decree_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    with op.batch_alter_table("funding_ratios") as table:
        table.add_column(sa.Column("source", sa.Text, nullable=True, comment="where the operator read it"))
    with op.batch_alter_table("providers") as table:
        table.add_column(sa.Column("name", sa.String(200), nullable=True))
    with op.batch_alter_table("transfer_cases") as table:
        table.add_column(
            sa.Column(
                "waiting_for",
                sa.String(200),
                nullable=True,
                comment="what an operator must record before the case goes on",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("transfer_cases") as table:
        table.drop_column("waiting_for")
    with op.batch_alter_table("providers") as table:
        table.drop_column("name")
    with op.batch_alter_table("funding_ratios") as table:
        table.drop_column("source")
    op.drop_table("decree_days")
    op.drop_table("thresholds")
