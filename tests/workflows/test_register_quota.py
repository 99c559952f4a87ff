"""The per-day register capacity: once the day's agreed queries are used, further queries wait
for the next day (retries, never failed cases), and the register receives no more than agreed.
Counted in the administration, so it holds across workers. Runs on the dev server."""

import asyncio
from datetime import date, datetime, timedelta

from activities.transfer import TransferActivities
from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.transfer import LegalSettings, OutgoingTransferInput
from register_client.client import RegisterClient
from rules.legal_time import amsterdam_midnight
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import dev_server, make_case, nth_bsn, sqlite_administration
from tests.polling import eventually
from worker import build_worker
from workflows.outgoing import OutgoingTransferWorkflow

CASES, PER_DAY = 15, 10
DAY = date(2026, 11, 23)


class Clock:
    """The register's wall clock as the activities see it; the test turns the day."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def waiting_for_quota(client, handles) -> int:
    """How many cases have a register query held back by the day's quota right now."""
    held = 0
    for handle in handles:
        for pending in (await handle.describe()).raw_description.pending_activities:
            # The failure's message is encrypted in the history; its type is not.
            if pending.last_failure.application_failure_info.type == "RegisterDailyQuotaUsed":
                held += 1
    return held


async def test_queries_beyond_the_days_capacity_wait_for_the_next_day(tmp_path, basis):
    admin = sqlite_administration(tmp_path)
    await admin.upsert_provider(ProviderRecord(id="PF-A", kind="fund"))
    answered = {n: asyncio.Event() for n in (PER_DAY, CASES)}
    register_app = create_register_app(
        [],
        RegisterConfig(token="T"),
        on_answer=lambda stats: answered[stats.answered].set() if stats.answered in answered else None,
    )
    clock = Clock(amsterdam_midnight(DAY) + timedelta(hours=10))
    async with (
        serving(register_app) as register_url,
        serving(create_providers_app({})) as providers_url,
        RegisterClient(register_url, "T") as register,
        await dev_server() as env,
    ):
        activities = TransferActivities(
            admin,
            register,
            providers_url,
            basis,
            register_queries_per_day=PER_DAY,
            clock=clock,
            quota_recheck=timedelta(seconds=1),
        )
        offset = amsterdam_midnight(date(2022, 4, 4)) + timedelta(hours=10) - await env.get_current_time()
        legal = LegalSettings(clock_offset_s=offset.total_seconds())
        async with build_worker(env.client, "quota", activities):
            handles = []
            for i in range(CASES):
                case = make_case(case_id=f"Q-{i:02d}", bsn=nth_bsn(700 + i), participation_end=date(2022, 3, 31))
                await admin.add_case(case)
                handles.append(
                    await env.client.start_workflow(
                        OutgoingTransferWorkflow.run,
                        OutgoingTransferInput(provider="PF-A", case=case, legal=legal),
                        id=case_workflow_id("PF-A", case.case_id),
                        task_queue="quota",
                    )
                )
            await asyncio.wait_for(answered[PER_DAY].wait(), timeout=60)

            held = await eventually(lambda: waiting_for_quota(env.client, handles), lambda n: n == CASES - PER_DAY)
            assert held == CASES - PER_DAY
            assert register_app.state.stats.received == PER_DAY  # measured at the register
            assert await admin.register_queries_on(DAY) == PER_DAY

            clock.now += timedelta(days=1)  # the register's day turns
            await asyncio.wait_for(answered[CASES].wait(), timeout=60)
    assert register_app.state.stats.received == CASES
    assert await admin.register_queries_on(DAY + timedelta(days=1)) == CASES - PER_DAY
    await admin.close()
