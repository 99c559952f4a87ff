"""Alembic environment: runs migrations with a synchronous engine built from the configured URL."""

from alembic import context
from sqlalchemy import create_engine, pool

from store.database import sqlite_pragmas_for_sync
from store.schema import Base

config = context.config


def run() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "alembic: sqlalchemy.url is set by store.migrate"
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        sqlite_pragmas_for_sync(engine)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
