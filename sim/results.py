"""Reading a simulation's results: a FORMAT.md line per case or incoming transfer, and the
recorded histories of every run of a workflow."""

import json
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from models.events import Outcome
from models.transfer import CaseResult, CaseStatus, IncomingResult

RPC_TIMEOUT = timedelta(seconds=60)

# The time-skipping test server now and then loses a query that reaches a case just as the case's
# first workflow task completes (a case started on the scenario's last day: its query waited the
# full minute, a second query was answered at once; some 1 in 6 runs of the golden recording).
# So a status query is asked again after a short wait, up to a minute in all.
T = TypeVar("T")
QUERY_TRY = timedelta(seconds=10)
QUERY_TRIES = 6
LOST_QUERY = {
    RPCStatusCode.CANCELLED,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.UNKNOWN,
}


class Subject(StrEnum):
    CASE = "case"  # an outgoing transfer, by case_id
    INCOMING = "incoming"  # an incoming transfer, by transfer_id


async def read_line(subject: Subject, handle: WorkflowHandle[Any, Any], until: date) -> dict[str, Any]:
    """A case's record as of `until`: the server's clock runs on while results are read, so
    anything dated later is cut off, and a case closed after `until` is still open."""
    # Generous timeouts: right after a long skip the worker may still be busy with the last tasks.
    description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    finished = description.status == WorkflowExecutionStatus.COMPLETED
    result: CaseResult | IncomingResult
    if subject is Subject.CASE:
        if finished:
            result = CaseResult.model_validate(await handle.result(rpc_timeout=RPC_TIMEOUT))
        else:
            status = await query_status(handle, CaseStatus)
            result = CaseResult(case_id=status.case_id, outcome=Outcome.OPEN, events=status.events)
        key = {"case_id": result.case_id}
    else:
        if finished:
            incoming = IncomingResult.model_validate(await handle.result(rpc_timeout=RPC_TIMEOUT))
        else:
            incoming = await query_status(handle, IncomingResult)
        result, key = incoming, {"transfer_id": incoming.transfer_id}
    kept = [event for event in result.events if event.date <= until]
    outcome = result.outcome if len(kept) == len(result.events) else Outcome.OPEN
    events = [event.model_dump(mode="json", exclude_none=True) for event in kept]
    return {**key, "outcome": outcome.value, "events": events}


async def query_status(handle: WorkflowHandle[Any, Any], result_type: type[T]) -> T:
    """The `status` query of an open workflow, asked again when the test server lost it."""
    for attempt in range(1, QUERY_TRIES + 1):
        try:
            return await handle.query("status", result_type=result_type, rpc_timeout=QUERY_TRY)
        except RPCError as error:
            if attempt == QUERY_TRIES or error.status not in LOST_QUERY:
                raise
    raise AssertionError("unreachable")


async def run_histories(client: Client, workflow_id: str, first_run_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow, following continue-as-new from the first run."""
    histories: list[WorkflowHistory] = []
    run_id: str | None = first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        continued = last.HasField("workflow_execution_continued_as_new_event_attributes")
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id if continued else None
    return histories


def print_lines(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))
