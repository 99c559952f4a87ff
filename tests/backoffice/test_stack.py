"""The embedded stack knows its own processes: `wkp down` stops what `wkp up` started and never a
process that has since taken a recorded pid. Its dev server keeps each task queue in one partition."""

import json
import subprocess
import sys

from temporalio.api.enums.v1 import TaskQueueKind
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import ListTaskQueuePartitionsRequest

from backoffice.stack import (
    DEV_SERVER_PRAGMAS,
    ONE_PARTITION,
    ONE_WRITE_PARTITION,
    dev_server_file,
    ours,
    pid_file,
    stop,
)
from config.settings import Settings
from tests.conftest import dev_server


def sleeper(*marker: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *marker], start_new_session=True)


def test_down_stops_its_own_services_and_leaves_a_process_that_reused_a_pid(tmp_path):
    settings = Settings(home=tmp_path / ".wkp")
    settings.home.mkdir()
    register, stranger = sleeper("-m", "stubs.register"), sleeper("something-else")
    try:
        assert ours("register", register.pid) and not ours("worker", stranger.pid)
        pid_file(settings).write_text(json.dumps({"register": register.pid, "worker": stranger.pid}))
        said: list[str] = []
        stop(settings, say=said.append)
        assert register.wait(timeout=30) is not None  # stopped
        assert stranger.poll() is None  # not ours: still running
        assert said == [f"  register   stopped (pid {register.pid})"] and not pid_file(settings).exists()
    finally:
        for process in (register, stranger):
            process.kill()
            process.wait()


async def test_the_dev_server_keeps_each_task_queue_in_one_partition_in_a_file_it_made(tmp_path):
    store = tmp_path / "temporal.db"
    env = await dev_server(dev_server_extra_args=dev_server_file(store))
    try:
        await env.client.start_workflow("AnyWorkflow", id="any", task_queue="q")
        queue = TaskQueue(name="q", kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL)
        answer = await env.client.workflow_service.list_task_queue_partitions(
            ListTaskQueuePartitionsRequest(namespace="default", task_queue=queue)
        )
        # The server took the setting: it lists the one partition it writes to (by default four)
        assert [partition.key for partition in answer.workflow_task_queue_partitions] == ["q"]
    finally:
        await env.shutdown()
    assert dev_server_file(store)[-len(ONE_PARTITION) :] == ONE_PARTITION  # restarted on it: the same


def test_a_server_file_made_before_one_partition_keeps_reading_the_four_it_may_hold_tasks_in(tmp_path):
    store = tmp_path / "temporal.db"
    store.write_bytes(b"")  # a file from before, with nothing noted beside it
    arguments = dev_server_file(store)
    assert arguments[-len(ONE_WRITE_PARTITION) :] == ONE_WRITE_PARTITION
    assert not any("ReadPartitions" in argument for argument in arguments)
    assert arguments[:2] == ["--db-filename", str(store)] and set(DEV_SERVER_PRAGMAS) <= set(arguments)
