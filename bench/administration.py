"""Benchmark: the administration's work for one case, as a wave's case does it, without Temporal.

Per case, the four transactions of a case that is paid straight away: the bookkeeping riding
along with the register query (two audit steps and the new reporting row), the funding check's
read, the payment's booking (its audit step and 17e.7 calculation with it) and the closing
bookkeeping (an audit step and the reporting row). Prints the CPU and wall time per case, so a
change to the store can be measured in seconds instead of a wave's minutes.

Run: .venv/bin/python bench/administration.py [N] [--database sqlite|postgresql]
"""

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import cluster_cpu_seconds  # noqa: E402
from models.bsn import bsn_problem
from models.case import PensionCase
from models.ledger import AuditStep, CaseProjection, PaymentBooking, PaymentKind, ProviderRecord
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from store.throwaway_postgres import ThrowawayPostgres

TRANSFERRING, RECEIVING = "PF-TRANSFERRING", "PF-RECEIVING"
MONTH = "2022-03"
ON = date(2022, 4, 4)


def bench_bsn(n: int) -> str:
    prefix = 50_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def step(case_id: str, name: str, article: str) -> AuditStep:
    return AuditStep(
        idempotency_key=f"{case_id}/{name}", subject_id=case_id, step=name, article=article, due=ON, actual=ON
    )


def projection(case_id: str, status: str, settled: bool = False) -> CaseProjection:
    return CaseProjection(case_id=case_id, regime="17f", status=status, receiving_provider=RECEIVING, settled=settled)


async def one_case(admin: Administration, case_id: str) -> None:
    await admin.record_progress(
        [step(case_id, "case_opened", "17f"), step(case_id, "register_queried", "17e.1")],
        projection(case_id, "awaiting_answer"),
    )
    await admin.funding_parties((TRANSFERRING, RECEIVING), MONTH)
    statement = {"value": "1234.56", "factor": "12.345678", "basis": "bench"}
    await admin.book_payment(
        PaymentBooking(
            idempotency_key=f"{case_id}/pay/1",
            case_id=case_id,
            kind=PaymentKind.TRANSFER,
            counterparty=RECEIVING,
            amount=Decimal("1234.56"),
            transfer_date=ON + timedelta(days=7),
        ),
        [step(case_id, "transfer_value_computed", "17e.6")],
        [(case_id, ON + timedelta(days=7), statement)],
    )
    await admin.record_progress([step(case_id, "transfer_paid", "17e.4")], projection(case_id, "closed", True))


async def run(n: int, url: str, postgres: ThrowawayPostgres | None = None) -> None:
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
    for provider in (TRANSFERRING, RECEIVING):
        await admin.upsert_provider(ProviderRecord(id=provider, kind="fund"))
        await admin.set_funding_ratio(provider, MONTH, Decimal("1.15"))
    case_ids = [f"bench-{k:06d}" for k in range(n)]
    for k, case_id in enumerate(case_ids):
        await admin.add_case(
            PensionCase(
                case_id=case_id,
                bsn=bench_bsn(k),
                birth_date=date(1970, 1, 1),
                participation_end=date(2022, 3, 31),
                pension_date=date(2037, 1, 1),
                old_age_pension=Decimal("400.00"),
            )
        )
    await one_case(admin, case_ids[0])  # warm the statement caches and the pool
    cpu, wall, cluster = time.process_time(), time.perf_counter(), cluster_cpu_seconds(postgres)
    for case_id in case_ids[1:]:
        await one_case(admin, case_id)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    cluster = cluster_cpu_seconds(postgres) - cluster
    await admin.close()
    per_case = 1000 / (n - 1)
    print(
        f"{n - 1} cases, 4 transactions each: CPU {cpu * per_case:.2f} ms/case"
        + (f" (and the PostgreSQL cluster's {cluster * per_case:.2f})" if postgres else "")
        + f", wall {wall * per_case:.2f} ms/case"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if args.database == "sqlite":
            asyncio.run(run(args.n, f"sqlite:///{Path(workdir) / 'admin.db'}"))
            return
        postgres = ThrowawayPostgres().start()
        try:
            asyncio.run(run(args.n, postgres.create_database("bench"), postgres))
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
