"""models/ and rules/ import nothing that does I/O: they run inside Temporal's workflow sandbox."""

import uuid
from datetime import date

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config.binaries import temporal_test_server
from tests.conftest import TEST_CONVERTER, make_case
from tests.workflows.rules_probe import ProbeInput, ProbeResult, RulesProbeWorkflow, probe


async def test_rulebook_runs_inside_the_workflow_sandbox(basis):
    data = ProbeInput(case=make_case(), basis=basis, on=date(2022, 4, 1))
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server(), data_converter=TEST_CONVERTER
    ) as env:
        client: Client = env.client
        async with Worker(client, task_queue="probe", workflows=[RulesProbeWorkflow]):
            result = await client.execute_workflow(
                RulesProbeWorkflow.run, data, id=f"probe-{uuid.uuid4()}", task_queue="probe", result_type=ProbeResult
            )
    assert result == probe(data)
    assert result.regime == "17e" and result.verdict == "eligible"
    assert result.first_query_due == date(2022, 3, 31)
    assert result.payment_due == date(2022, 4, 19)
    assert result.buyout_allowed and result.suspended
