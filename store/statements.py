"""The statements every case runs, built once per dialect and run on a Core connection.

Built once, a statement's cache key is computed once and its compiled form comes from the
engine's cache; run on a Core connection, it skips the ORM's unit of work (with the one hop per
transaction of store.transaction_threads: bench/administration.py, issue 14). The rarer
operations keep the ORM session, where clarity is worth more than a millisecond.
"""

from dataclasses import dataclass

from sqlalchemy import Insert, Select, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from models.ledger import CaseProjection
from store.schema import AuditEntry, CalculationStatement, FundingRatio, Payment, Provider, TransferCase

AUDIT = AuditEntry.__table__
STATEMENTS = CalculationStatement.__table__
PAYMENTS = Payment.__table__
CASES = TransferCase.__table__
PROVIDERS = Provider.__table__
RATIOS = FundingRatio.__table__


@dataclass(frozen=True)
class CaseStatements:
    audit_once: Insert  # audit rows; a repeated key changes nothing
    statement_once: Insert  # 17e.7 calculations, once per case and transfer date
    projection_upsert: Insert  # the case's reporting row, written whole
    projection_once: Insert  # a reporting row, unless the case has one
    payment_once: Insert  # a payment, returning the row it made (none when the key was booked)
    payment_by_key: Select
    providers_in: Select
    ratios_in: Select


def insert_for(dialect_name: str, table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


def case_statements(dialect_name: str) -> CaseStatements:
    upsert = insert_for(dialect_name, CASES)
    updated = [name for name in CaseProjection.model_fields if name != "case_id"]
    return CaseStatements(
        audit_once=insert_for(dialect_name, AUDIT).on_conflict_do_nothing(index_elements=["idempotency_key"]),
        statement_once=insert_for(dialect_name, STATEMENTS).on_conflict_do_nothing(index_elements=["idempotency_key"]),
        projection_upsert=upsert.on_conflict_do_update(
            index_elements=["case_id"], set_={name: upsert.excluded[name] for name in updated}
        ),
        projection_once=insert_for(dialect_name, CASES).on_conflict_do_nothing(index_elements=["case_id"]),
        payment_once=insert_for(dialect_name, PAYMENTS)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(*PAYMENTS.c),
        payment_by_key=select(PAYMENTS).where(PAYMENTS.c.idempotency_key == bindparam("key")),
        providers_in=select(PROVIDERS).where(PROVIDERS.c.id.in_(bindparam("ids", expanding=True))),
        ratios_in=select(RATIOS.c.provider_id, RATIOS.c.ratio).where(
            RATIOS.c.provider_id.in_(bindparam("ids", expanding=True)), RATIOS.c.month == bindparam("month")
        ),
    )
