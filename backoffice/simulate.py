"""`wkp simulate`: run a scenario (scenarios/FORMAT.md) through the real workflows and activities,
against the register and provider stubs over HTTP and a temporary administration, on Temporal's
time-skipping test server. Years pass in seconds."""

import asyncio
import base64
import json
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.common import WorkflowIDReusePolicy
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from activities.transfer import TransferActivities
from codec.converter import throwaway_converter
from config.binaries import temporal_test_server
from config.temporal_runtime import quiet_runtime
from engine import register_search_attributes
from models.events import Outcome
from models.ledger import LetterKind, LetterRequest, ProviderRecord
from models.scenario import Scenario
from models.transfer import (
    CaseResult,
    CaseStatus,
    ConsentAnswer,
    IncomingResult,
    IncomingTransferInput,
    LegalSettings,
    OutgoingTransferInput,
)
from register_client.client import RegisterClient
from rules.basis import ActuarialBasis
from rules.calendar import add_months
from rules.legal_time import amsterdam_midnight
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, bank_account, create_register_app
from stubs.serve import serving
from worker import build_worker
from workflows.incoming import IncomingTransferWorkflow
from workflows.outgoing import OutgoingTransferWorkflow

TASK_QUEUE = "wkp-simulation"
RPC_TIMEOUT = timedelta(seconds=60)
DEFAULT_FUNDING_RATIO = Decimal("1.10")  # FORMAT.md: months not listed


def outgoing_id(provider: str, case_id: str) -> str:
    return f"wkp-out-{provider}-{case_id}"


def incoming_id(provider: str, transfer_id: str) -> str:
    return f"wkp-in-{provider}-{transfer_id}"


async def load_world(admin: Administration, scenario: Scenario) -> None:
    """The scenario's providers, funding ratios and cases, as the administration holds them."""
    await admin.upsert_provider(
        ProviderRecord(id=scenario.provider, kind="fund", bank_account=bank_account(scenario.provider))
    )
    for provider_id, profile in scenario.providers.items():
        await admin.upsert_provider(
            ProviderRecord(id=provider_id, kind=profile.kind.value, bank_account=bank_account(provider_id))
        )
    for provider_id, months in scenario.funding_ratios.items():
        for month, ratio in months.items():
            await admin.set_funding_ratio(provider_id, month, ratio)
    for case in scenario.cases:
        await admin.add_case(case)


@asynccontextmanager
async def temporary_administration(given: Administration | None = None) -> AsyncIterator[Administration]:
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="wkp-sim-") as folder:
        url = f"sqlite:///{Path(folder) / 'administration.db'}"
        await asyncio.to_thread(migrate, url)
        admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
        try:
            yield admin
        finally:
            await admin.engine.dispose()


def participant_replies(client_box: list[Client], scenario: Scenario):
    """The scenario's participants answer a buy-out offer as `consent_to_buyout` says: true or
    false through the workflow's `consent` update, null never."""

    async def reply(letter: LetterRequest) -> None:
        if letter.kind is not LetterKind.BUYOUT_OFFER:
            return
        answer = scenario.case(letter.subject_id).consent_to_buyout
        if answer is not None:
            handle = client_box[0].get_workflow_handle(outgoing_id(scenario.provider, letter.subject_id))
            await handle.execute_update("consent", ConsentAnswer(consent=answer))

    return reply


async def run_histories(client: Client, workflow_id: str, first_run_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow, following continue-as-new from the first run."""
    histories, run_id = [], first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        continued = last.HasField("workflow_execution_continued_as_new_event_attributes")
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id if continued else None
    return histories


async def advance(
    env: WorkflowEnvironment, scenario: Scenario, offset: timedelta, progress: Callable[[date], None]
) -> None:
    """Let legal time pass until the end of `until`, a month at a time: one long skip can
    outlast the test server's call timeout, and a month is a readable unit of progress."""
    month = scenario.start
    while month <= scenario.until:
        month = min(add_months(month.replace(day=1), 1), scenario.until + timedelta(days=1))
        remaining = amsterdam_midnight(month) - offset - await env.get_current_time()
        if remaining > timedelta(0):
            await env.sleep(remaining)
        progress(month)


def no_progress(_day: date) -> None:
    return None


async def simulate(
    scenario: Scenario,
    basis: ActuarialBasis,
    histories: list[WorkflowHistory] | None = None,
    progress: Callable[[date], None] = no_progress,
    register_config: RegisterConfig | None = None,
    register_stats: list | None = None,
    converter: DataConverter | None = None,
    administration: Administration | None = None,
) -> list[dict]:
    """Run `scenario`; one result line per case and incoming transfer. Pass a list as
    `histories` to receive every recorded workflow history too (for replay tests);
    `register_config` injects register faults, latency or a capacity limit, and a list passed
    as `register_stats` receives the register's counters. Payloads are encrypted as in
    production (`converter`, by default with a key that lives only for this run). An
    `administration` given is used (and kept) instead of a throwaway one, e.g. for audit tests."""
    token = base64.b64encode(secrets.token_bytes(12)).decode()
    register_config = (register_config or RegisterConfig()).model_copy(update={"token": token})
    register_app = create_register_app(scenario.accrual_spells, register_config)
    if register_stats is not None:
        register_stats.append(register_app.state.stats)
    providers_app = create_providers_app(dict(scenario.providers))
    client_box: list[Client] = []
    async with (
        temporary_administration(administration) as admin,
        serving(register_app) as register_url,
        serving(providers_app) as providers_url,
        RegisterClient(register_url, token) as register,
        await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server(),
            data_converter=converter or throwaway_converter(),
            runtime=quiet_runtime(),
        ) as env,
    ):
        await load_world(admin, scenario)
        await register_search_attributes(env.client)
        client_box.append(env.client)
        activities = TransferActivities(
            admin,
            register,
            providers_url,
            basis,
            DEFAULT_FUNDING_RATIO,
            after_letter=participant_replies(client_box, scenario),
        )
        offset = amsterdam_midnight(scenario.start) - await env.get_current_time()
        legal = LegalSettings(
            clock_offset_s=offset.total_seconds(),
            thresholds={int(year): amount for year, amount in scenario.thresholds.items()},
            extra_holidays=scenario.extra_holidays,
        )
        # Every case stays in the worker's cache: an evicted case is replayed from its history
        # at each wake-up, which made 1,000 cases cost far more than ten times 100.
        cache = max(1000, 2 * (len(scenario.cases) + len(scenario.incoming)))
        async with build_worker(env.client, TASK_QUEUE, activities, max_cached_workflows=cache):
            handles = await start_all(env.client, scenario, legal)
            await advance(env, scenario, offset, progress)
            lines = [await report(kind, handle, scenario.until) for kind, handle in handles]
            if histories is not None:
                for _, handle in handles:
                    histories.extend(await run_histories(env.client, handle.id, handle.first_execution_run_id))
            return lines


async def start_all(client: Client, scenario: Scenario, legal: LegalSettings) -> list[tuple[str, object]]:
    wave_dates = {case_id: wave.date for wave in scenario.plan.waves for case_id in wave.case_ids}
    handles = []
    for case in scenario.cases:
        handle = await client.start_workflow(
            OutgoingTransferWorkflow.run,
            OutgoingTransferInput(
                provider=scenario.provider, case=case, legal=legal, wave_date=wave_dates.get(case.case_id)
            ),
            id=outgoing_id(scenario.provider, case.case_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        handles.append(("case", handle))
    for transfer in scenario.incoming:
        handle = await client.start_workflow(
            IncomingTransferWorkflow.run,
            IncomingTransferInput(provider=scenario.provider, transfer=transfer, legal=legal),
            id=incoming_id(scenario.provider, transfer.transfer_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        handles.append(("incoming", handle))
    return handles


async def report(kind: str, handle, until) -> dict:
    """A case's record as of `until`: the server's clock runs on while results are read, so
    anything dated later is cut off, and a case closed after `until` is still open."""
    # Generous timeouts: right after a long skip the worker may still be busy with the last tasks.
    description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    finished = description.status == WorkflowExecutionStatus.COMPLETED
    if kind == "case":
        if finished:
            result = await handle.result(rpc_timeout=RPC_TIMEOUT)
        else:
            status = await handle.query("status", result_type=CaseStatus, rpc_timeout=RPC_TIMEOUT)
            result = CaseResult(case_id=status.case_id, outcome=Outcome.OPEN, events=status.events)
        subject = {"case_id": result.case_id}
    else:
        result = (
            await handle.result(rpc_timeout=RPC_TIMEOUT)
            if finished
            else await handle.query("status", result_type=IncomingResult, rpc_timeout=RPC_TIMEOUT)
        )
        subject = {"transfer_id": result.transfer_id}
    kept = [event for event in result.events if event.date <= until]
    outcome = result.outcome if len(kept) == len(result.events) else Outcome.OPEN
    events = [event.model_dump(mode="json", exclude_none=True) for event in kept]
    return {**subject, "outcome": outcome.value, "events": events}


def print_lines(lines: list[dict]) -> None:
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))


# -- large scenarios: independent shards in parallel processes ------------------------------

SHARD_FROM_CASES = 400  # below this, one process is faster than starting several


def shard_scenarios(scenario: Scenario, shards: int) -> list[Scenario]:
    """Split the cases and incoming transfers round-robin; each shard keeps the whole world
    (providers, ratios, register) and the plan's waves restricted to its own cases."""
    parts = []
    for index in range(shards):
        cases = scenario.cases[index::shards]
        own = {case.case_id for case in cases}
        waves = [
            wave.model_copy(update={"case_ids": [c for c in wave.case_ids if c in own]}) for wave in scenario.plan.waves
        ]
        parts.append(
            scenario.model_copy(
                update={
                    "cases": cases,
                    "incoming": scenario.incoming[index::shards],
                    "plan": scenario.plan.model_copy(update={"waves": [w for w in waves if w.case_ids]}),
                }
            )
        )
    return parts


def simulate_in_process(scenario_json: str, basis_json: str) -> list[dict]:
    """Entry point of one shard's process."""
    from config.logging import configure_logging

    configure_logging(level="WARNING")
    scenario = Scenario.model_validate_json(scenario_json)
    return asyncio.run(simulate(scenario, ActuarialBasis.model_validate_json(basis_json)))


def simulate_sharded(scenario: Scenario, basis: ActuarialBasis, shards: int | None = None) -> list[dict]:
    """Run a large scenario as independent shards, one time-skipping server each, in parallel
    processes: the test server's cost grows faster than its number of workflows, and cases do
    not affect one another. The lines come back in the scenario's order."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    count = len(scenario.cases) + len(scenario.incoming)
    shards = shards or (1 if count < SHARD_FROM_CASES else max(2, os.cpu_count() or 2))
    if shards == 1:
        return asyncio.run(simulate(scenario, basis))
    parts = shard_scenarios(scenario, shards)
    with ProcessPoolExecutor(max_workers=shards, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(
            pool.map(
                simulate_in_process,
                [p.model_dump_json(by_alias=True) for p in parts],
                [basis.model_dump_json()] * shards,
            )
        )
    by_key = {line.get("case_id") or ("in", line.get("transfer_id")): line for lines in results for line in lines}
    return [by_key[case.case_id] for case in scenario.cases] + [
        by_key[("in", t.transfer_id)] for t in scenario.incoming
    ]
