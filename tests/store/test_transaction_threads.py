"""What every case writes runs whole in a worker thread (store.transaction_threads): it must
still be one transaction, all or nothing, on both engines."""

import textwrap
from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from config.settings import Settings
from models.ledger import AuditStep
from store.transaction_threads import POSTGRESQL_THREADS, TransactionThreads, sync_engine
from tests.store.test_repository import PAY_KEY, add_case, crash_then_retry_books_once


def audit_step(key: str) -> AuditStep:
    return AuditStep(
        idempotency_key=key, subject_id="C-1", step="register_queried", article="17e.1", actual=date(2022, 4, 4)
    )


async def test_a_transaction_whose_work_fails_writes_nothing(admin):
    await add_case(admin)

    def book_then_fail(connection: Connection) -> None:
        admin._write_progress(connection, [audit_step("C-1/queried")], None, [])
        raise RuntimeError("the work failed after its first statement")

    with pytest.raises(RuntimeError, match="after its first statement"):
        await admin.run_whole(book_then_fail)
    assert await admin.audit_trail("C-1") == []
    await admin.record_progress([audit_step("C-1/queried")], None)  # the try after it writes once
    assert [step.idempotency_key for step in await admin.audit_trail("C-1")] == ["C-1/queried"]


async def test_a_process_dying_inside_a_threaded_booking_books_nothing_and_the_retry_books_once(
    admin, database_url, bsn_key_b64
):
    """The booking's statement ran in the worker thread, then the process died (os._exit)
    before the commit: nothing is booked, and the retry books once."""
    await add_case(admin)
    crash = textwrap.dedent(
        f"""
        import asyncio, base64, os
        from datetime import date
        from store.bsn_protection import BsnProtector
        from store.database import make_async_engine
        from store.repository import Administration
        from store.statements import case_statements

        async def main():
            engine = make_async_engine({database_url!r})
            admin = Administration(engine, BsnProtector(base64.b64decode({bsn_key_b64!r})))
            booking = case_statements(engine.dialect.name).payment_once
            values = dict(idempotency_key={PAY_KEY!r}, case_id="C-1", kind="transfer",
                          counterparty="PF-B", amount="3896.78", transfer_date=date(2022, 4, 1))

            def book_and_die(connection):
                connection.execute(booking, values)
                os._exit(9)  # no commit, no rollback, no clean close

            await admin.run_whole(book_and_die)

        asyncio.run(main())
        """
    )
    await crash_then_retry_books_once(admin, crash)


def test_an_in_memory_sqlite_database_is_refused_by_name():
    """A second engine on an in-memory database would be another, empty database."""
    with pytest.raises(ValueError, match="WKP_DATABASE_URL: an in-memory SQLite database is not supported"):
        sync_engine(make_url("sqlite+aiosqlite://"))
    with pytest.raises(ValueError, match="WKP_DATABASE_URL"):
        TransactionThreads(make_url("sqlite:///:memory:"))


def test_postgresql_transactions_run_in_the_configured_number_of_threads(tmp_path):
    """WKP_DATABASE_THREADS sizes PostgreSQL's threads and their pool alike (2 by default, for 2
    cores); a SQLite file keeps one, whatever is configured: it has one writer at a time."""
    url = make_url("postgresql+psycopg://wkp@127.0.0.1:1/never-connected")  # engines connect lazily
    for configured, expected in ((None, POSTGRESQL_THREADS), (5, 5)):
        threads = TransactionThreads(url, configured)
        try:
            assert threads.threads == expected and threads.engine.pool.size() == expected
        finally:
            threads.dispose()
    assert POSTGRESQL_THREADS == 2
    sqlite = TransactionThreads(make_url(f"sqlite:///{tmp_path / 'never-opened.db'}"), 5)
    try:
        assert sqlite.threads == 1
    finally:
        sqlite.dispose()


def test_a_database_thread_count_below_one_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("WKP_DATABASE_THREADS", "0")
    with pytest.raises(ValidationError, match="database_threads"):
        Settings()
