"""One simulation run: the stubs, a time-skipping server, a worker with the real activities, the
scenario's cases and incoming transfers started, legal time advanced to `until`, the results read."""

import base64
import secrets
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.common import WorkflowIDReusePolicy
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from activities.transfer import TransferActivities
from codec.converter import throwaway_converter
from config.binaries import temporal_test_server
from config.temporal_runtime import quiet_runtime
from engine import ReportRefused, register_search_attributes, report_to_case
from models.ids import case_workflow_id
from models.scenario import IncomingTransfer, Scenario, ScenarioReport
from models.transfer import CASE_CODE_VERSION, LegalSettings, OutgoingTransferInput
from register_client.client import RegisterClient
from rules.afkoopvoet import load_periods
from rules.basis import ActuarialBasis
from rules.calendar import DECREE_DAYS, add_months
from rules.legal_time import amsterdam_midnight
from sim.door import Senders, inbound_door
from sim.results import Subject, read_line, run_histories
from sim.world import Participants, load_world, temporary_administration
from store.repository import Administration
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, RegisterStats, create_register_app
from stubs.serve import serving
from worker import build_worker
from workflows.outgoing import OutgoingTransferWorkflow

TASK_QUEUE = "wkp-simulation"
DEFAULT_FUNDING_RATIO = Decimal("1.10")  # FORMAT.md: months not listed
# Operator days are reached a few minutes into the day, after the cases' own midnight wake-ups.
WAKE_AFTER = timedelta(minutes=5)


def no_progress(_day: date) -> None:
    return None


@dataclass
class SimulationOptions:
    """How to run a scenario; the defaults are what `wkp simulate` does."""

    register: RegisterConfig | None = None  # register faults, latency or a capacity limit
    converter: DataConverter | None = None  # default: payloads encrypted with a key for this run only
    administration: Administration | None = None  # default: a throwaway one; a given one is kept
    keep_histories: bool = False  # return every recorded workflow history (replay, golden files)
    progress: Callable[[date], None] = no_progress  # called with each legal month reached
    activities: type[TransferActivities] = TransferActivities  # a test may wrap a step (a crash)


@dataclass
class SimulationRun:
    lines: list[dict[str, Any]]  # one FORMAT.md line per case, then per incoming transfer
    register: RegisterStats  # the register stub's counters
    histories: list[WorkflowHistory] = field(default_factory=list)
    refused_reports: list[str] = field(default_factory=list)  # "case_id on: reason", for reports a case refused


async def simulate(
    scenario: Scenario, basis: ActuarialBasis, options: SimulationOptions | None = None
) -> SimulationRun:
    """Run `scenario` through the real workflows and activities."""
    options = options or SimulationOptions()
    token = base64.b64encode(secrets.token_bytes(12)).decode()
    register_config = (options.register or RegisterConfig()).model_copy(
        update={"token": token, "down": list(scenario.register_down)}
    )
    register_app = create_register_app(scenario.accrual_spells, register_config)
    participants = Participants(scenario)
    async with (
        temporary_administration(options.administration) as admin,
        serving(register_app) as register_url,
        serving(create_providers_app(dict(scenario.providers))) as providers_url,
        RegisterClient(register_url, token) as register,
        await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server(),
            data_converter=options.converter or throwaway_converter(),
            runtime=quiet_runtime(),
        ) as env,
    ):
        await load_world(admin, scenario)
        await register_search_attributes(env.client)
        participants.client = env.client
        activities = options.activities(
            admin,
            register,
            providers_url,
            basis,
            DEFAULT_FUNDING_RATIO,
            after_letter=participants.reply_hook(),
            # The scenario's afkoopvoet is recorded in the administration; none given: the shipped one.
            configured_afkoopvoet=[] if scenario.afkoopvoet is not None else load_periods(),
        )
        offset = amsterdam_midnight(scenario.start) - await env.get_current_time()
        legal = LegalSettings(
            clock_offset_s=offset.total_seconds(),
            thresholds=scenario.known_thresholds(),
            # The shipped Royal-decree days always apply (they are law); a scenario may add more.
            extra_holidays=sorted({*DECREE_DAYS, *scenario.extra_holidays}),
        )
        # Every case stays in the worker's cache: an evicted case is replayed from its history
        # at each wake-up, which made 1,000 cases cost far more than ten times 100.
        cache = max(1000, 2 * (len(scenario.cases) + len(scenario.incoming)))
        clock = LegalDay(scenario.start)
        async with (
            aclosing(activities),
            build_worker(env.client, TASK_QUEUE, activities, max_cached_workflows=cache),
            inbound_door(env.client, admin, scenario, TASK_QUEUE, legal, clock.today) as senders,
        ):
            started = await start_cases(env.client, scenario, legal)
            delivered: dict[str, WorkflowHandle[Any, Any]] = {}
            days = Days(operator_days(scenario), reports_by_day(scenario), transfers_by_day(scenario))
            refused = await advance(env, scenario, offset, options.progress, days, clock, started, senders, delivered)
            lines = [await read_line(subject, handle, scenario.until) for subject, handle in started]
            for transfer in scenario.incoming:
                lines.append(await incoming_line(transfer.transfer_id, delivered.get(transfer.transfer_id), scenario))
            run = SimulationRun(lines=lines, register=register_app.state.stats, refused_reports=refused)
            if options.keep_histories:
                for handle in [handle for _, handle in started] + list(delivered.values()):
                    first_run = (await handle.describe()).run_id if handle.first_execution_run_id is None else None
                    run_id = handle.first_execution_run_id or first_run
                    assert run_id is not None
                    run.histories += await run_histories(env.client, handle.id, run_id)
            return run


async def incoming_line(
    transfer_id: str, handle: WorkflowHandle[Any, Any] | None, scenario: Scenario
) -> dict[str, Any]:
    """An incoming transfer's line under the scenario's own transfer_id (the door gives each
    delivery an id of the engine's); one not delivered by `until` is open, without events."""
    if handle is None:
        return {"transfer_id": transfer_id, "outcome": "open", "events": []}
    return {**await read_line(Subject.INCOMING, handle, scenario.until), "transfer_id": transfer_id}


async def start_cases(
    client: Client, scenario: Scenario, legal: LegalSettings
) -> list[tuple[Subject, WorkflowHandle[Any, Any]]]:
    wave_dates = {case_id: wave.date for wave in scenario.plan.waves for case_id in wave.case_ids}
    started: list[tuple[Subject, WorkflowHandle[Any, Any]]] = []
    for case in scenario.cases:
        handle = await client.start_workflow(
            OutgoingTransferWorkflow.run,
            OutgoingTransferInput(
                provider=scenario.provider,
                case=case,
                legal=legal,
                wave_date=wave_dates.get(case.case_id),
                code_version=CASE_CODE_VERSION,
            ),
            id=case_workflow_id(scenario.provider, case.case_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        started.append((Subject.CASE, handle))
    return started


@dataclass
class LegalDay:
    """The legal day the simulation has reached: the inbound door dates a receipt by it."""

    day: date

    def today(self) -> date:
        return self.day


@dataclass
class Days:
    """The days the simulation stops on to act as the world outside the engine does."""

    operator: list[date]  # an operator records data cases may wait for
    reports: dict[date, list[ScenarioReport]]  # the administration learns something of a case
    transfers: dict[date, list[IncomingTransfer]]  # another provider delivers a transfer

    def stops(self, until: date) -> list[date]:
        return sorted({*self.operator, *self.reports, *self.transfers, until + timedelta(days=1)})


def reports_by_day(scenario: Scenario) -> dict[date, list[ScenarioReport]]:
    found: dict[date, list[ScenarioReport]] = {}
    for report in scenario.reports:
        found.setdefault(report.on, []).append(report)
    return found


def transfers_by_day(scenario: Scenario) -> dict[date, list[IncomingTransfer]]:
    found: dict[date, list[IncomingTransfer]] = {}
    for transfer in scenario.incoming:
        found.setdefault(transfer.received, []).append(transfer)
    return found


def operator_days(scenario: Scenario) -> list[date]:
    """The days an operator records something the cases may wait for (`known_from`)."""
    return sorted({t.known_from for t in scenario.later_thresholds().values() if t.known_from > scenario.start})


async def advance(
    env: WorkflowEnvironment,
    scenario: Scenario,
    offset: timedelta,
    progress: Callable[[date], None],
    days: Days,
    clock: LegalDay,
    started: list[tuple[Subject, WorkflowHandle[Any, Any]]],
    senders: Senders | None,
    delivered: dict[str, WorkflowHandle[Any, Any]],
) -> list[str]:
    """Let legal time pass until the end of `until`, a month at a time (one long skip can
    outlast the test server's call timeout, and a month is a readable unit of progress), and
    stop a few minutes into each day the world outside acts, to act through the paths production
    uses: tell the waiting cases an operator recorded something (`wkp admin … set` does; the
    time-skipping server has no visibility to find them by), report what the administration
    learned (engine.report_to_case), deliver another provider's transfer at the inbound door.
    Returns the reports a case refused."""
    refused: list[str] = []
    stops = days.stops(scenario.until)
    day = scenario.start
    while day <= scenario.until + timedelta(days=1):  # the day after: all of `until` has happened
        remaining = amsterdam_midnight(day) + WAKE_AFTER - offset - await env.get_current_time()
        if remaining > timedelta(0):
            await env.sleep(remaining)
        clock.day = day
        if day in days.operator:
            await tell_waiting_cases(started)
        for report in days.reports.get(day, []):
            try:
                await report_to_case(env.client, scenario.provider, report.case_id, report.as_report())
            except ReportRefused as refusal:
                refused.append(f"{report.case_id} {report.on}: {refusal}")
        for transfer in days.transfers.get(day, []):
            assert senders is not None  # a scenario with incoming transfers has a door
            delivered[transfer.transfer_id] = await senders.deliver(transfer)
        progress(day)
        next_month = add_months(day.replace(day=1), 1)
        day = min([next_month, *[stop for stop in stops if stop > day]])
    return refused


async def tell_waiting_cases(started: list[tuple[Subject, WorkflowHandle[Any, Any]]]) -> None:
    for subject, handle in started:
        if subject is not Subject.CASE:
            continue
        description = await handle.describe()
        if description.status == WorkflowExecutionStatus.RUNNING:
            await handle.signal("operator_data_recorded")
