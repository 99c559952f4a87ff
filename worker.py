"""The Temporal worker: all workflows and activities, the pydantic data converter, the task queue
from configuration, graceful shutdown on SIGINT/SIGTERM. Run: `python worker.py` or `wkp worker`."""

import asyncio
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.transfer import TransferActivities
from workflows.incoming import IncomingTransferWorkflow
from workflows.outgoing import OutgoingTransferWorkflow
from workflows.wave import WaveWorkflow

WORKFLOWS = [OutgoingTransferWorkflow, IncomingTransferWorkflow, WaveWorkflow]

# The rulebook and models are deterministic and free of I/O (tests/test_layering.py), so the
# sandbox may share them instead of re-importing them for every workflow run: a case that
# continues-as-new each year starts many runs.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("models", "rules", "pydantic", "pydantic_core", "annotated_types")
)


def build_worker(client: Client, task_queue: str, activities: TransferActivities, **options) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        workflow_runner=SANDBOX,
        activities=activities.all(),
        graceful_shutdown_timeout=timedelta(seconds=10),
        **options,
    )


async def run_worker() -> None:
    from config.logging import configure_logging
    from config.settings import get_settings
    from engine import connect_client, make_activities

    configure_logging()
    settings = get_settings()
    client = await connect_client(settings)
    activities = make_activities(settings)
    worker = build_worker(client, settings.task_queue, activities)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(run_worker())
