"""The bare baseline of bench/wave.py: a workflow that runs K no-op activities one after the
other, and a worker for it (run as its own process, like the engine's worker), as the engine's
is built: the same workflow cache, activity slots and pollers, the same sandbox, payloads
encrypted with WKP_PAYLOAD_KEYS, metrics on WKP_METRICS_PORT. Run as `python -m bench.bare` (the
sandbox imports the workflow's module by its name, which a script's `__main__` does not have)."""

import asyncio
import os
import signal
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_workflow import BareWorkflow, no_op
from codec.converter import encrypted_converter
from codec.encryption import KeyRing
from config.bytecode import keep_workflow_bytecode
from config.temporal_runtime import metrics_runtime
from worker import MAX_CACHED_WORKFLOWS, MAX_CONCURRENT_ACTIVITIES, POLLERS, SANDBOX

TASK_QUEUE = "bench-bare"


async def serve(address: str) -> None:
    keep_workflow_bytecode()  # as the engine's worker does
    runtime = metrics_runtime("127.0.0.1", int(os.environ["WKP_METRICS_PORT"]))
    converter = encrypted_converter(KeyRing.from_json(os.environ["WKP_PAYLOAD_KEYS"], None))
    client = await Client.connect(address, data_converter=converter, runtime=runtime)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    role = os.environ.get("WKP_WORKER_ROLE", "all")  # as the engine's worker.py serves it
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[BareWorkflow] if role != "activities" else [],
        activities=[no_op] if role != "workflows" else [],
        workflow_runner=SANDBOX,
        workflow_task_poller_behavior=POLLERS,
        activity_task_poller_behavior=POLLERS,
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
        max_cached_workflows=MAX_CACHED_WORKFLOWS,
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else os.environ["WKP_TEMPORAL_ADDRESS"]))
