"""The provider's administration (SQLAlchemy 2 typed ORM). Alembic migrations mirror this."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.columns import ExactDecimal, Money


class Base(DeclarativeBase):
    pass


class Participant(Base):
    """A (former) participant. The BSN is never stored in clear text."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    bsn_lookup: Mapped[str] = mapped_column(String(64), unique=True, comment="HMAC-SHA256 of the BSN")
    bsn_cipher: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM encrypted BSN")
    birth_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Entitlement(Base):
    """A small old-age pension of a former participant: one case under automatic transfer."""

    __tablename__ = "entitlements"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    participation_end: Mapped[date] = mapped_column(Date, index=True)
    pension_date: Mapped[date] = mapped_column(Date)
    old_age_pension: Mapped[Decimal] = mapped_column(Money())
    net_pension: Mapped[bool] = mapped_column(default=False)
    emigrated_eu_notified: Mapped[bool] = mapped_column(default=False)
    consent_to_buyout: Mapped[bool | None] = mapped_column(nullable=True)
    death_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Provider(Base):
    __tablename__ = "providers"
    __table_args__ = (CheckConstraint("kind IN ('fund', 'insurer', 'ppi')", name="provider_kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    bank_account: Mapped[str | None] = mapped_column(String(34), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)


class FundingRatio(Base):
    """A fund's month-end policy funding ratio (beleidsdekkingsgraad, PW 72 / Besluit 23a)."""

    __tablename__ = "funding_ratios"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True, comment="YYYY-MM")
    ratio: Mapped[Decimal] = mapped_column(ExactDecimal(8, 4))
    source: Mapped[str | None] = mapped_column(Text, nullable=True, comment="where the operator read it")


class Threshold(Base):
    """A small-pension threshold (PW 66) an operator recorded for a year the engine does not ship."""

    __tablename__ = "thresholds"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount: Mapped[Decimal] = mapped_column(Money())
    source: Mapped[str] = mapped_column(Text)
    known_from: Mapped[date] = mapped_column(Date, comment="the legal date it was recorded")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DecreeDay(Base):
    """A day a Royal decree made equal to a holiday (Atw 3.3), recorded by an operator."""

    __tablename__ = "decree_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TransferCase(Base):
    """Reporting projection of a case; the process state itself lives in Temporal."""

    __tablename__ = "transfer_cases"
    # The cases not settled, which a wave counts as busy: a few hundred among a wave's
    # thousands, so the count reads this small index, not every case the wave handled.
    __table_args__ = (
        Index(
            "ix_transfer_cases_busy", "case_id", sqlite_where=text("NOT settled"), postgresql_where=text("NOT settled")
        ),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("entitlements.case_id"), primary_key=True)
    regime: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32), index=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    next_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    next_due_article: Mapped[str | None] = mapped_column(String(16), nullable=True)
    receiving_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    waiting_for: Mapped[str | None] = mapped_column(
        String(200), nullable=True, comment="what an operator must record before the case goes on"
    )
    settled: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="in a long wait or closed: a wave's back-pressure no longer counts it as busy",
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Payment(Base):
    """Money out: a transfer value to a receiving provider, or a buy-out to the participant."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("kind IN ('transfer', 'buyout')", name="payment_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("entitlements.case_id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    counterparty: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Money())
    transfer_date: Mapped[date] = mapped_column(Date)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Receipt(Base):
    """Money in: a transfer value another provider paid us (receiving role, Besluit 17e.5)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    transfer_id: Mapped[str] = mapped_column(String(64), index=True)
    from_provider: Mapped[str] = mapped_column(String(32))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    received: Mapped[date] = mapped_column(Date)
    applied_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    rights_annual_pension: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Letter(Base):
    """Outbox of letters to participants."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True, comment="case_id or transfer_id")
    kind: Mapped[str] = mapped_column(String(40))
    article: Mapped[str] = mapped_column(String(16))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class AuditEntry(Base):
    """Append-only log of statutory steps: what was due under which article, and when it happened."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(40))
    article: Mapped[str] = mapped_column(String(16))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual: Mapped[date] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Wave(Base):
    """A batch of cases the back-office starts together (a 17f plan wave, the art. 56 cohort, a
    month's new former participants)."""

    __tablename__ = "waves"

    wave_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_date: Mapped[date | None] = mapped_column(Date, nullable=True, comment="Besluit 17f: the plan's date")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WaveMember(Base):
    __tablename__ = "wave_members"

    wave_id: Mapped[str] = mapped_column(ForeignKey("waves.wave_id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("entitlements.case_id"), primary_key=True)


class RegisterUsage(Base):
    """Register queries sent per calendar day (Europe/Amsterdam), shared by every worker, so that
    all waves together stay within the queries a day agreed with the pension register."""

    __tablename__ = "register_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    queries: Mapped[int] = mapped_column(default=0)


class AfkoopvoetRecord(Base):
    """A period of the provider's afkoopvoet (Besluit 16), recorded by an operator with its source."""

    __tablename__ = "afkoopvoet_periods"

    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    factors: Mapped[dict[str, Any]] = mapped_column(JSON, comment='{"flat": "10.0"} or {"by_age": {"45": "11.2"}}')
    source: Mapped[str] = mapped_column(Text)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalculationStatement(Base):
    """Every transfer-value calculation a case made (Besluit 17e.7), kept beyond Temporal's retention."""

    __tablename__ = "calculation_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, comment="case and transfer date")
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    transfer_date: Mapped[date] = mapped_column(Date)
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseReportRecord(Base):
    """A report to a running case from the administration's batch (`wkp admin events`): stored
    once per case and report, so a re-import changes nothing."""

    __tablename__ = "case_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, comment="case id and report key")
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))
    learned_on: Mapped[date] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(80))
    answer: Mapped[str | None] = mapped_column(Text, nullable=True, comment="the case's answer once delivered")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InboundDelivery(Base):
    """A transfer another provider delivered at the inbound door (Besluit 17e.5): once per
    sender and idempotency key, with the first answer, which a repeat gets again."""

    __tablename__ = "inbound_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(240), unique=True, comment="sender and their key")
    from_provider: Mapped[str] = mapped_column(String(32))
    transfer_id: Mapped[str] = mapped_column(String(64), index=True, comment="follows from the key")
    fingerprint: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the delivered fields")
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
