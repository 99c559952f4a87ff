"""A wave's starts: the next window of its cases, read from the administration in one query and
started through the Temporal client, each as its own case workflow, with its reporting row.

Started here rather than as the wave's child workflows (issue 14): a child reports its start and
its close back to the wave, so every case cost the wave a workflow task of its own and grew its
history; with a window of 200 the single wave workflow could not start cases as fast as they
closed, and a wave kept at most 81 of its 200 allowed cases busy. A case outlives its wave by
years, so nothing is lost: the cases were abandoned children already.
"""

import asyncio
from collections.abc import Sequence
from datetime import date

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from config.logging import get_logger
from models.case import PensionCase
from models.ids import case_workflow_id
from models.transfer import CASE_CODE_VERSION, OutgoingTransferInput, WavePlanned
from models.wave import WaveStarted, WaveStartInput
from store.repository import Administration
from workflows.bookkeeping import opening_projection, opening_view

# The workflow and its signal, by name (activities reach workflows through the client only).
CASE_WORKFLOW = "OutgoingSmallPensionTransfer"
PLAN_WAVE_SIGNAL = "plan_wave"

# Starts in flight at once: enough to hide the round trip, few enough not to crowd the server.
START_CONCURRENCY = 32


async def start_cases(
    client: Client,
    admin: Administration,
    request: WaveStartInput,
    wave_date: date | None,
    cases: Sequence[PensionCase],
) -> WaveStarted:
    gate = asyncio.Semaphore(START_CONCURRENCY)
    info = activity.info()
    inputs = [
        OutgoingTransferInput(
            provider=request.provider,
            case=case,
            legal=request.legal,
            wave_date=wave_date,
            wave_id=request.wave_id,
            code_version=CASE_CODE_VERSION,
        )
        for case in cases
    ]
    # Before the starts: a case counts as busy for the wave's back-pressure from its start, and
    # the count reads only the busy rows (store.repository.wave_busy). A case with a row keeps it.
    await admin.open_cases([opening_projection(data) for data in inputs])

    async def one(data: OutgoingTransferInput) -> bool:
        """True when this step started the case (now, or in an earlier try of the same step)."""
        workflow_id = case_workflow_id(request.provider, data.case.case_id)
        async with gate:
            try:
                # Findable at once by its wave and phase, and nothing to upsert on its first task.
                search_attributes, summary = opening_view(data)
                await client.start_workflow(
                    CASE_WORKFLOW,
                    data,
                    id=workflow_id,
                    search_attributes=search_attributes,
                    memo={"summary": summary},
                    task_queue=request.task_queue,
                    # A case that failed (for a reason other than missing operator data, which
                    # it waits for) starts again; a running or closed case never does.
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                    static_summary=f"case {data.case.case_id} of wave {request.wave_id}",
                )
                return True
            except WorkflowAlreadyStartedError:
                if info.attempt > 1 and await started_by_earlier_try(client, workflow_id, info):
                    return True
                if wave_date is not None:
                    await tell_plan(client, workflow_id, request.wave_id, wave_date)
                return False

    started = await asyncio.gather(*(one(data) for data in inputs))
    return WaveStarted(
        started=sum(started),
        already_running=len(started) - sum(started),
        cursor=cases[-1].case_id if cases else request.after,
        exhausted=len(cases) < request.limit,
    )


async def started_by_earlier_try(client: Client, workflow_id: str, info: activity.Info) -> bool:
    """A retried step finds the cases its lost try started: counted as started, not as running
    before the wave (the step was first scheduled before they started)."""
    description = await client.get_workflow_handle(workflow_id).describe()
    return description.start_time >= info.scheduled_time


async def tell_plan(client: Client, workflow_id: str, wave_id: str, wave_date: date) -> None:
    """Besluit 17f.3: a plan wave names a case that is already running (started without a wave
    date, or waiting after a failed plan attempt): it is told its new query date."""
    try:
        await client.get_workflow_handle(workflow_id).signal(
            PLAN_WAVE_SIGNAL, WavePlanned(wave_id=wave_id, wave_date=wave_date)
        )
    except RPCError:  # a case that closed meanwhile needs no plan
        get_logger(workflow_id=workflow_id).info("case closed before the plan reached it")
