"""Whole transactions in worker threads, on a synchronous engine beside the async one.

Through an async driver every DB-API call (cursor, execute, fetch, close, commit) is a hop to
another thread or a greenlet and back through the event loop: some thirty for a case's four
transactions, costing more CPU than the SQL. Here a transaction runs whole on a synchronous
engine in one hop. With the Core statements of store.statements, a case's four transactions
took 13.5 -> 3.1 ms CPU on SQLite and 12.8 -> 5.5 ms on PostgreSQL (bench/administration.py,
issue 14). A SQLite file needs one thread: it has one writer, and the administration's turns
take its transactions one at a time within a process anyway.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL

from store.database import SQLITE_BUSY_TIMEOUT_S, sqlite_pragmas_for_sync, sync_url

T = TypeVar("T")

# PostgreSQL transactions run side by side: as many as a worker's activity slots, about.
POSTGRESQL_THREADS = 8


def sync_engine(url: URL) -> tuple[Engine, int]:
    """The synchronous engine for `url` and how many threads it serves."""
    target = sync_url(url)
    if target.get_backend_name() == "sqlite":
        if not target.database or target.database == ":memory:":
            # A second engine on an in-memory database would be another, empty database.
            raise ValueError("WKP_DATABASE_URL: an in-memory SQLite database is not supported (name a file)")
        # check_same_thread off: connections are made in the worker thread, but disposing of
        # the engine closes them from the event loop's thread.
        engine = create_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False})
        sqlite_pragmas_for_sync(engine)
        return engine, 1
    return create_engine(target, pool_size=POSTGRESQL_THREADS, max_overflow=0, pool_pre_ping=True), POSTGRESQL_THREADS


class TransactionThreads:
    def __init__(self, url: URL) -> None:
        self.engine, threads = sync_engine(url)
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wkp-transaction")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work` in one transaction, committed when it returns and rolled back when it raises."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    def dispose(self) -> None:
        """The end of the administration: its threads end, its connections close."""
        self._threads.shutdown(wait=False)
        self.engine.dispose()
