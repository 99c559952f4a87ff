"""Cases that listen: the afkoopvoet (Besluit 16), every 17e.7 calculation kept, the
administration's reports to running cases, and deliveries at the inbound door (17e.5).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "afkoopvoet_periods",
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("factors", sa.JSON, nullable=False, comment='{"flat": "10.0"} or {"by_age": {"45": "11.2"}}'),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "calculation_statements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True, comment="case and transfer date"),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("transfer_date", sa.Date, nullable=False),
        sa.Column("statement", sa.JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "case_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True, comment="case id and report key"),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("learned_on", sa.Date, nullable=False),
        sa.Column("reported_by", sa.String(80), nullable=False),
        sa.Column("answer", sa.Text, nullable=True, comment="the case's answer once delivered"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "inbound_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(240), nullable=False, unique=True, comment="sender and their key"),
        sa.Column("from_provider", sa.String(32), nullable=False),
        # Follows from the key (sender and key): unique through it. A second unique index would
        # escape ON CONFLICT (idempotency_key) when deliveries race on PostgreSQL.
        sa.Column("transfer_id", sa.String(64), nullable=False, index=True, comment="follows from the key"),
        sa.Column("fingerprint", sa.String(64), nullable=False, comment="SHA-256 of the delivered fields"),
        sa.Column("answer", sa.JSON, nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_deliveries")
    op.drop_table("case_reports")
    op.drop_table("calculation_statements")
    op.drop_table("afkoopvoet_periods")
