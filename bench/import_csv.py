"""Benchmark: `wkp admin import` throughput on SQLite and on a real PostgreSQL server.

Generates a CSV of N rows (default 100,000) with about 1% bad rows, imports it into a fresh
database on each engine, and prints rows per second. Run: .venv/bin/python bench/import_csv.py [N]
"""

import asyncio
import secrets
import sys
import tempfile
import time
from pathlib import Path

from models.bsn import bsn_problem
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.intake import import_entitlements
from store.repository import Administration
from store.throwaway_postgres import ThrowawayPostgres

HEADER = (
    "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension,"
    "net_pension,emigrated_eu_notified,consent_to_buyout,death_date\n"
)


def valid_bsn(n: int) -> str:
    prefix = 10_000_000 + n * 7
    return next(f"{prefix + k}{d}" for k in range(7) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def generate(path: Path, rows: int) -> int:
    bad = 0
    with open(path, "w") as out:
        out.write(HEADER)
        for i in range(rows):
            bsn, amount = valid_bsn(i), f"{i % 480}.{i % 100:02d}"
            if i % 100 == 37:
                bad += 1
                if i % 200 == 37:
                    bsn = bsn[:-1] + str((int(bsn[-1]) + 1) % 10)
                else:
                    amount = "12.345"
            year = 2019 + i % 5
            out.write(
                f"C-{i},{bsn},{1960 + i % 40}-0{1 + i % 9}-1{i % 10},{year}-06-30,{2030 + i % 35}-01-01,{amount},,,,\n"
            )
    return bad


async def run(url: str, csv_path: Path, work: Path) -> tuple[float, object]:
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
    started = time.perf_counter()
    report = await import_entitlements(admin, csv_path, work / "rejects.csv")
    elapsed = time.perf_counter() - started
    await admin.close()
    return elapsed, report


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="wkp-bench-"))
    csv_path = work / "export.csv"
    bad = generate(csv_path, rows)
    print(f"import benchmark: {rows} rows, {bad} bad rows, {csv_path.stat().st_size / 1e6:.1f} MB")
    postgres = ThrowawayPostgres().start()
    try:
        for engine, url in (
            ("sqlite", f"sqlite:///{work / 'bench.db'}"),
            ("postgresql", postgres.create_database("bench")),
        ):
            elapsed, report = asyncio.run(run(url, csv_path, work))
            assert report.loaded == rows - bad and report.rejected_rows == bad, report
            print(
                f"{engine:>10}: {elapsed:6.1f} s  {rows / elapsed:8.0f} rows/s  "
                f"(loaded {report.loaded}, rejected {report.rejected_rows})"
            )
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
