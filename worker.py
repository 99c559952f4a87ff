"""The Temporal worker: all workflows and activities, the pydantic data converter, the task queue
from configuration, graceful shutdown on SIGINT/SIGTERM. Run: `python worker.py` or `wkp worker`."""

import asyncio
import os
import signal
from contextlib import AsyncExitStack
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.transfer import TransferActivities
from config.bytecode import keep_workflow_bytecode
from config.sandbox_code import ask_contexts_directly, compile_sandbox_code_once
from models.ids import register_task_queue, wave_task_queue
from register_client.client import RATE_MARGIN
from workflows.incoming import IncomingTransferWorkflow
from workflows.outgoing import OutgoingTransferWorkflow
from workflows.wave import WaveWorkflow

WORKFLOWS = [OutgoingTransferWorkflow, IncomingTransferWorkflow, WaveWorkflow]


# The rulebook and models are deterministic and free of I/O (tests/test_layering.py), so the
# sandbox may share them instead of re-importing them for every workflow run: a case that
# continues-as-new each year starts many runs.
compile_sandbox_code_once()  # every worker built from here, the bench's baseline too
ask_contexts_directly()
# The worker shares the engine's workflow modules too: otherwise the sandbox runs
# workflows/outgoing.py anew for every case it builds (a new case, one taken back into the cache,
# each continue-as-new), some 6 of the workflow process's 42 ms per case in bench/wave.py (issue
# 14). They hold constants only, no state a case could leave for the next. What the sandbox's
# restrictions catch in a workflow (a clock, randomness, I/O) is still caught: an audit replay
# (backoffice.audit.replay) runs the workflows in the SDK's default sandbox, which imports each
# workflow's module anew and restricts it, and every golden history replays there in the test
# suite (tests/workflows/test_golden.py shows a wall-clock read failing it).
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "models", "rules", "workflows", "pydantic", "pydantic_core", "annotated_types"
    )
)


class EngineWorkers:
    """The worker on the engine's task queue (workflows and activities), the one on the
    register's own queue, whose rate limit the Temporal server enforces across all workers, and
    the one on the waves' own queue, so that a wave's page never waits behind its cases' steps."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> "EngineWorkers":
        for worker in self.workers:
            await self._stack.enter_async_context(worker)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._stack.aclose()


# Activities a worker runs at once. The administration's transactions run whole in threads (one
# for SQLite, two for PostgreSQL by default: store/transaction_threads.py), a few milliseconds each, so an
# activity waits for its turn only briefly. With 12 slots a wave's activities waited 0.9-1.8 s in
# Temporal's queue for a slot while the activity process used a third of a core; with 40, 0.4-0.6 s,
# and a 10,000-case wave ran at 20.0 cases/s against 17.0 (SQLite, 2026-12-04, README Benchmarks).
# The 12 dated from before the threads, when activities queued inside the worker for the async
# pool's 15-20 connections and the wait counted against the step's 10 s timeout: on a 10,000-case
# wave that turned into a collapse (timeouts, retries, more waiting).
MAX_CONCURRENT_ACTIVITIES = 40

# Workflows a worker keeps in memory between their tasks (the SDK's default). An evicted case is
# rebuilt from its history in a new sandbox at its next task: cheap for a case that wakes once a
# year, a runaway when busy cases outnumber the cache. Waves keep their busy cases under
# WKP_WAVE_MAX_BUSY, well inside this; a cached case costs some 0.1 MiB.
MAX_CACHED_WORKFLOWS = 1000

# A wave's own steps (a page, a count) are few and short.
WAVE_STEP_SLOTS = 4

# How many polls a worker keeps open for tasks: as many as the tasks waiting call for (Temporal's
# recommended poller autoscaling), not the SDK's fixed 5 per kind, of which a cached worker gives
# its sticky queue 4 and new cases 1. With those, a wave's workflow tasks waited 1.1-1.4 s for a
# poll on a worker using less than half a core; autoscaled, 0.1 s, and a 1,000-case wave ran at
# 19.3-22.9 cases/s against 14.5-18.2 before (bench/wave.py, 2026-12-04, README Benchmarks).
POLLERS = PollerBehaviorAutoscaling()


def build_worker(
    client: Client,
    task_queue: str,
    activities: TransferActivities,
    register_rate_per_second: float | None = None,
    role: str = "all",
    **options,
) -> EngineWorkers:
    """The workers of one process: for `role` "all" everything; "workflows" the workflows only
    (no activity slots, no administration); "activities" every activity, the register's and the
    waves' queues included (README, Benchmarks: why a deployment runs them apart)."""
    options.setdefault("max_concurrent_activities", MAX_CONCURRENT_ACTIVITIES)
    options.setdefault("max_cached_workflows", MAX_CACHED_WORKFLOWS)
    own_queues = [activities.query_pension_register, *activities.wave_steps()]
    engine = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS if role != "activities" else [],
        workflow_runner=SANDBOX,
        workflow_task_poller_behavior=POLLERS,
        activity_task_poller_behavior=POLLERS,
        activities=[a for a in activities.all() if a not in own_queues] if role != "workflows" else [],
        graceful_shutdown_timeout=timedelta(seconds=10),
        **options,
    )
    if role == "workflows":
        return EngineWorkers([engine])
    register = Worker(
        client,
        task_queue=register_task_queue(task_queue),
        activities=[activities.query_pension_register],
        # The server enforces this across all workers; each worker's register client also
        # spaces its requests evenly (register_client.client.RATE_MARGIN).
        max_task_queue_activities_per_second=register_rate_per_second * RATE_MARGIN
        if register_rate_per_second
        else None,
        max_concurrent_activities=options["max_concurrent_activities"],
        activity_task_poller_behavior=POLLERS,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    waves = Worker(
        client,
        task_queue=wave_task_queue(task_queue),
        activities=activities.wave_steps(),
        max_concurrent_activities=WAVE_STEP_SLOTS,
        activity_task_poller_behavior=POLLERS,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    return EngineWorkers([engine, register, waves])


async def run_worker(role: str | None = None) -> None:
    """One worker process; `role` (or WKP_WORKER_ROLE) says what it serves (build_worker)."""
    from config.logging import configure_logging
    from config.settings import get_settings
    from engine import connect_client, make_activities

    os.umask(0o077)  # the administration's SQLite file and anything else it writes: owner only
    keep_workflow_bytecode()
    configure_logging()
    settings = get_settings()
    runtime = None
    if settings.metrics_port is not None:
        from config.temporal_runtime import metrics_runtime

        runtime = metrics_runtime(settings.metrics_host, settings.metrics_port)
    client = await connect_client(settings, runtime)
    activities = make_activities(settings)
    sizing = {
        "max_concurrent_activities": settings.max_concurrent_activities,
        "max_cached_workflows": settings.workflow_cache_size,
    }
    worker = build_worker(
        client,
        settings.task_queue,
        activities,
        settings.register_rate_per_second,
        role or settings.worker_role,
        **{option: value for option, value in sizing.items() if value is not None},
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with worker:
            await stop.wait()
    finally:
        await activities.aclose()
        await activities.register.close()


if __name__ == "__main__":
    asyncio.run(run_worker())
