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

# PostgreSQL transactions run side by side in this many threads (WKP_DATABASE_THREADS). A case's
# four transactions hold a thread for about 3 ms together on a local cluster, so at 25 cases/s
# two threads are busy a tenth of the time; every thread more only adds GIL handovers and
# context switches on the worker's cores. With 8, a 1,000-case wave alone ran at 23.9-25.2
# cases/s with its activity process at 15-16 ms CPU per case; with 2, at 25.9-26.6/s and 14 ms,
# the cluster at 1 ms per case against 2 (bench/wave.py --wave-only --database postgresql, three
# runs each, 2026-12-05). A database farther away holds a thread longer per transaction: raise it.
POSTGRESQL_THREADS = 2


def sync_engine(url: URL, postgresql_threads: int | None = None) -> tuple[Engine, int]:
    """The synchronous engine for `url` and how many threads it serves: one for a SQLite file
    (one writer at a time), `postgresql_threads` (default POSTGRESQL_THREADS) for PostgreSQL."""
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
    threads = postgresql_threads or POSTGRESQL_THREADS
    return create_engine(target, pool_size=threads, max_overflow=0, pool_pre_ping=True), threads


class TransactionThreads:
    def __init__(self, url: URL, postgresql_threads: int | None = None) -> None:
        self.engine, self.threads = sync_engine(url, postgresql_threads)
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="wkp-transaction")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work` in one transaction, committed when it returns and rolled back when it raises."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    def dispose(self) -> None:
        """The end of the administration: its threads end, its connections close."""
        self._executor.shutdown(wait=False)
        self.engine.dispose()
