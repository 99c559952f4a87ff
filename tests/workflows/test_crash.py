"""A worker process is killed (SIGKILL) while it pays a batch of cases and then restarted:
every case completes, and each payment exists exactly once in the receiving provider's ledger
and in the administration."""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.transfer import LegalSettings, OutgoingTransferInput
from rules.legal_time import amsterdam_midnight
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from store.schema import Payment
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import dev_server, engine_environment, make_case, nth_bsn
from workflows.outgoing import OutgoingTransferWorkflow

ROOT = Path(__file__).resolve().parents[2]
CASES = 40
LEGAL_TODAY = date(2022, 4, 4)  # a Monday


def start_worker(env_vars: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env={**os.environ, **env_vars}, stderr=sink, stdout=sink
        )


async def test_worker_killed_mid_payment_batch_pays_each_case_exactly_once(tmp_path):
    key = secrets.token_bytes(32)
    url = f"sqlite:///{tmp_path / 'administration.db'}"
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(key))
    await admin.upsert_provider(ProviderRecord(id="PF-A", kind="fund"))
    await admin.upsert_provider(ProviderRecord(id="PF-B", kind="fund"))
    for provider in ("PF-A", "PF-B"):
        await admin.set_funding_ratio(provider, "2022-03", Decimal("1.15"))
    cases = [make_case(case_id=f"K-{i}", bsn=nth_bsn(i), participation_end=date(2022, 3, 31)) for i in range(CASES)]
    for case in cases:
        await admin.add_case(case)

    spells = [AccrualSpell.model_validate({"bsn": c.bsn, "provider": "PF-B", "from": "2020-01-01"}) for c in cases]
    some_paid = asyncio.Event()
    providers_app = create_providers_app(
        {"PF-B": ProviderProfile(kind="fund")},
        latency_ms=400,
        on_entry=lambda entry: some_paid.set() if len(ledger) >= 5 else None,
    )
    ledger = providers_app.state.ledger

    async with (
        serving(create_register_app(spells, RegisterConfig(token="T"))) as register_url,
        serving(providers_app) as providers_url,
        await dev_server() as env,
    ):
        worker_env = engine_environment(env, "crash-test", url, key, tmp_path, register_url, providers_url)
        offset = amsterdam_midnight(LEGAL_TODAY) + timedelta(hours=10) - await env.get_current_time()
        legal = LegalSettings(clock_offset_s=offset.total_seconds())
        log = tmp_path / "worker.log"
        worker = start_worker(worker_env, log)
        handles = [
            await env.client.start_workflow(
                OutgoingTransferWorkflow.run,
                OutgoingTransferInput(provider="PF-A", case=case, legal=legal),
                id=case_workflow_id("PF-A", case.case_id),
                task_queue="crash-test",
            )
            for case in cases
        ]
        try:
            await asyncio.wait_for(some_paid.wait(), timeout=60)
        except TimeoutError:
            raise AssertionError("no payments within a minute; worker log:\n" + log.read_text()[-3000:]) from None
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        paid_before_restart = len(ledger)
        assert paid_before_restart < CASES, "the kill came after the batch: nothing was in flight"

        restarted = start_worker(worker_env, log)
        try:
            results = await asyncio.wait_for(asyncio.gather(*(handle.result() for handle in handles)), timeout=180)
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=30)

    assert [result.outcome.value for result in results] == ["transferred"] * CASES
    accepted = [entry for entry in ledger if entry.status == "accepted"]
    assert sorted(entry.case_reference for entry in accepted) == sorted(case.case_id for case in cases)
    async with admin.transaction() as session:
        booked = [(p.case_id, p.idempotency_key) for p in (await session.execute(select(Payment))).scalars()]
    assert sorted(case_id for case_id, _ in booked) == sorted(case.case_id for case in cases)
    assert len({key for _, key in booked}) == CASES
    await admin.close()
