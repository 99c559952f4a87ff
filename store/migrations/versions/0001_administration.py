"""The administration: participants, entitlements, providers, funding ratios, cases, money,
letters and the audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from store.columns import ExactDecimal, Money

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bsn_lookup", sa.String(64), nullable=False, unique=True, comment="HMAC-SHA256 of the BSN"),
        sa.Column("bsn_cipher", sa.LargeBinary, nullable=False, comment="AES-GCM encrypted BSN"),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "entitlements",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False, index=True),
        sa.Column("participation_end", sa.Date, nullable=False, index=True),
        sa.Column("pension_date", sa.Date, nullable=False),
        sa.Column("old_age_pension", Money(), nullable=False),
        sa.Column("net_pension", sa.Boolean, nullable=False),
        sa.Column("emigrated_eu_notified", sa.Boolean, nullable=False),
        sa.Column("consent_to_buyout", sa.Boolean, nullable=True),
        sa.Column("death_date", sa.Date, nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("bank_account", sa.String(34), nullable=True),
        sa.CheckConstraint("kind IN ('fund', 'insurer', 'ppi')", name="provider_kind"),
    )
    op.create_table(
        "funding_ratios",
        sa.Column("provider_id", sa.String(32), sa.ForeignKey("providers.id"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True, comment="YYYY-MM"),
        sa.Column("ratio", ExactDecimal(8, 4), nullable=False),
    )
    op.create_table(
        "transfer_cases",
        sa.Column("case_id", sa.String(64), sa.ForeignKey("entitlements.case_id"), primary_key=True),
        sa.Column("regime", sa.String(8), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("next_due", sa.Date, nullable=True, index=True),
        sa.Column("next_due_article", sa.String(16), nullable=True),
        sa.Column("receiving_provider", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("entitlements.case_id"), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("counterparty", sa.String(32), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("transfer_date", sa.Date, nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('transfer', 'buyout')", name="payment_kind"),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("transfer_id", sa.String(64), nullable=False, index=True),
        sa.Column("from_provider", sa.String(32), nullable=False),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False, index=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("received", sa.Date, nullable=False),
        sa.Column("applied_on", sa.Date, nullable=True),
        sa.Column("rights_annual_pension", Money(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("subject_id", sa.String(64), nullable=False, index=True, comment="case_id or transfer_id"),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("article", sa.String(16), nullable=False),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("sent_on", sa.Date, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("subject_id", sa.String(64), nullable=False, index=True),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("article", sa.String(16), nullable=False),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("actual", sa.Date, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    make_audit_log_append_only()


def make_audit_log_append_only() -> None:
    """The database itself refuses to change or delete an audit row."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in (
        "audit_log",
        "letters",
        "receipts",
        "payments",
        "transfer_cases",
        "funding_ratios",
        "providers",
        "entitlements",
        "participants",
    ):
        op.drop_table(table)
