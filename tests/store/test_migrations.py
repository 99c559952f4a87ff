from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from store.database import downgrade, migrate, sync_url
from store.schema import Base

TABLES = {
    "participants",
    "entitlements",
    "providers",
    "funding_ratios",
    "thresholds",
    "decree_days",
    "transfer_cases",
    "payments",
    "receipts",
    "letters",
    "audit_log",
    "waves",
    "wave_members",
    "register_usage",
    "afkoopvoet_periods",
    "calculation_statements",
    "case_reports",
    "inbound_deliveries",
}


def tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_on_an_empty_database_and_a_round_trip(database_url):
    migrate(database_url)
    assert tables(database_url) == TABLES
    downgrade(database_url, "base")
    assert tables(database_url) == set()
    migrate(database_url)
    assert tables(database_url) == TABLES
    migrate(database_url)  # upgrading an up-to-date database is a no-op


def test_migration_matches_the_orm_models(database_url):
    migrate(database_url)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
