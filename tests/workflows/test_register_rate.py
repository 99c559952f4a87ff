"""All register queries together stay within the configured rate, measured at the register.

Runs on the dev server: Temporal's task-queue rate limit is enforced by the server (the
time-skipping test server does not enforce it)."""

import asyncio
from datetime import date, timedelta

from temporalio.testing import WorkflowEnvironment

from activities.transfer import TransferActivities
from config.binaries import temporal_cli
from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.transfer import LegalSettings, OutgoingTransferInput
from register_client.client import RegisterClient
from rules.legal_time import amsterdam_midnight
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import TEST_CONVERTER, make_case, nth_bsn, sqlite_administration
from worker import build_worker
from workflows.outgoing import OutgoingTransferWorkflow
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

CASES, RATE = 30, 4.0


async def run_cases(tmp_path, basis, engine_rate: float | None):
    """30 cases that all query the register at once; the register enforces RATE itself (a token
    bucket of RATE tokens) and counts what it had to refuse with 429."""
    admin = sqlite_administration(tmp_path)
    await admin.upsert_provider(ProviderRecord(id="PF-A", kind="fund"))
    all_answered = asyncio.Event()
    register_app = create_register_app(
        [],
        RegisterConfig(token="T", capacity_rps=RATE),
        on_answer=lambda stats: all_answered.set() if stats.answered >= CASES else None,
    )
    async with (
        serving(register_app) as register_url,
        serving(create_providers_app({})) as providers_url,
        RegisterClient(register_url, "T", max_per_second=engine_rate) as register,
        await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), search_attributes=SEARCH_ATTRIBUTES, data_converter=TEST_CONVERTER
        ) as env,
    ):
        activities = TransferActivities(admin, register, providers_url, basis)
        offset = amsterdam_midnight(date(2022, 4, 4)) + timedelta(hours=10) - await env.get_current_time()
        legal = LegalSettings(clock_offset_s=offset.total_seconds())
        async with build_worker(env.client, "rated", activities, register_rate_per_second=engine_rate):
            for i in range(CASES):
                case = make_case(case_id=f"R-{i}", bsn=nth_bsn(500 + i), participation_end=date(2022, 3, 31))
                await admin.add_case(case)
                await env.client.start_workflow(
                    OutgoingTransferWorkflow.run,
                    OutgoingTransferInput(provider="PF-A", case=case, legal=legal),
                    id=case_workflow_id("PF-A", case.case_id),
                    task_queue="rated",
                )
            await asyncio.wait_for(all_answered.wait(), timeout=120)
    await admin.close()
    return register_app.state.stats


async def test_register_queries_never_exceed_the_configured_rate(tmp_path, basis):
    stats = await run_cases(tmp_path, basis, engine_rate=RATE)
    assert stats.answered == CASES
    assert stats.throttled == 0  # the register never had to refuse a query
    spread = max(stats.answered_at) - min(stats.answered_at)
    assert spread >= (CASES - RATE) / RATE * 0.9, f"{CASES} queries in {spread:.1f} s"


async def test_without_the_limit_the_register_throttles_and_no_case_is_lost(tmp_path, basis):
    stats = await run_cases(tmp_path, basis, engine_rate=None)
    assert stats.throttled > 0  # the register answered 429: the limit above is what prevents it
    assert stats.answered == CASES  # 429s slowed the cases down, none failed
