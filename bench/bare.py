"""The bare baseline of bench/wave.py: a workflow that runs K no-op activities one after the
other, and a worker for it (run as its own process, like the engine's worker)."""

import asyncio
import os
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

TASK_QUEUE = "bench-bare"


@activity.defn
async def no_op() -> None:
    return None


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, activities: int) -> None:
        for _ in range(activities):
            await workflow.execute_activity(no_op, start_to_close_timeout=timedelta(seconds=30))


async def serve(address: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[BareWorkflow], activities=[no_op]):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else os.environ["WKP_TEMPORAL_ADDRESS"]))
