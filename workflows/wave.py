"""A wave: the back-office's durable batch, id `models.ids.wave_workflow_id`.

It goes through the wave's cases in the administration in case_id order and starts each as its
own case workflow, as many at a time as its bound leaves room for (after samples-python's
batch_sliding_window). A case outlives its
wave by years, so cases are started as abandoned children: the wave is done when every case has
started. A case already running (started elsewhere, or by an earlier run of this wave) is counted
and never started twice. Pause, resume and cancel are updates; cancelling stops further starts
and leaves started cases running. Continue-as-new after every page keeps the history small.

Back-pressure: the wave keeps the cases it started that are still busy (not yet settled in a long
wait or closed, as the administration's reporting rows say) under `max_busy`. A wave that started
everything at once left thousands of cases busy together; past the worker's workflow cache every
task of theirs became a full replay and throughput collapsed as the wave grew. A case that reached
its yearly wait, an open buy-out offer or a wait for operator data no longer counts, so a wave of
mostly-waiting cases still flows.
"""

import asyncio
from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.common import WorkflowIDReusePolicy

    import workflows.steps as steps  # not `from workflows import`: see workflows/outgoing.py
    from models.case import PensionCase
    from models.ids import case_workflow_id
    from models.transfer import OutgoingTransferInput, WavePlanned
    from models.wave import WaveInput, WaveProgress
    from workflows.outgoing import OutgoingTransferWorkflow

# How soon a wave at its bound counts its settled cases again: at once when cases settle in
# seconds; when they stay busy (a provider or the register down, the day's quota used) less and
# less often, up to every ten minutes, so that a long stall does not fill the wave's history.
BUSY_RECOUNT = timedelta(seconds=2)

# Waves started from this change on start each window of cases in one step of their own, not as
# child workflows (activities.wave_starts says why); waves recorded before replay the old path.
STARTS_BY_STEP = "wave-starts-by-step"
MAX_BUSY_RECOUNT = timedelta(minutes=10)

# Waves started from this change on count their busy cases and start those that fit in one step
# (`fill_wave`), look again after FILL_RECOUNT when at their bound, and wait longer only once no
# case has settled for STALL_PATIENCE. Counting and starting in two steps, and doubling the wait
# whenever two counts came out alike, left a wave's bound far from full: a 1,000-case bench wave
# had 37-70 of its 200 cases open while its first window closed, and 130-190 later (issue 14).
FILLS_BY_STEP = "wave-fills-by-step"
FILL_RECOUNT = timedelta(seconds=1)
STALL_PATIENCE = timedelta(seconds=30)


@workflow.defn(name="TransferWave")
class WaveWorkflow:
    @workflow.init
    def __init__(self, data: WaveInput) -> None:
        self.data = data
        self.paused = data.start_paused
        self.cancelled = False
        self.done = False
        self.busy: int | None = None

    @workflow.query(name="progress")
    def progress(self) -> WaveProgress:
        return WaveProgress(
            wave_id=self.data.wave_id,
            counts=self.data.counts,
            paused=self.paused,
            cancelled=self.cancelled,
            done=self.done,
            cursor=self.data.cursor,
            busy=self.busy,
        )

    @workflow.update(name="pause")
    def pause(self) -> WaveProgress:
        self.paused = True
        return self.progress()

    @workflow.update(name="resume")
    def resume(self) -> WaveProgress:
        self.paused = False
        return self.progress()

    @workflow.update(name="cancel")
    def cancel(self) -> WaveProgress:
        """Stop starting cases; the cases already started go on."""
        self.cancelled = True
        return self.progress()

    @pause.validator
    @resume.validator
    @cancel.validator
    def still_running(self) -> None:
        if self.done or self.cancelled:
            raise ValueError("wave: it has finished or was cancelled")

    @workflow.run
    async def run(self, _data: WaveInput) -> WaveProgress:
        data = self.data  # as given to __init__
        await self.until_allowed()
        if self.cancelled:
            return self.progress()
        if workflow.patched(FILLS_BY_STEP):
            await self.fill_by_step()
            return self.progress()
        if workflow.patched(STARTS_BY_STEP):
            await self.start_by_step()
            return self.progress()
        page = await steps.load_wave_page(data.wave_id, data.cursor, data.page_size)
        if not page.cases:
            self.done = True
            return self.progress()
        back_pressure = workflow.patched("wave-back-pressure")
        position, recount = 0, BUSY_RECOUNT
        last_busy: int | None = None
        while position < len(page.cases):
            await self.until_allowed()
            if self.cancelled:
                return self.progress()
            size = min(data.window, await self.room(rows_at_start=False)) if back_pressure else data.window
            if size == 0:
                if workflow.info().is_continue_as_new_suggested():
                    break  # the next run goes on from the cursor
                await workflow.sleep(recount, summary=f"{self.busy} cases busy: at most {data.max_busy}")
                busy = self.busy or 0
                if workflow.patched("wave-steady-recount") and (last_busy is None or busy < last_busy):
                    # Cases are settling: look again soon. Doubling while they settled drained the
                    # pipeline (a 2-worker bench had at most 90 of 200 busy: issue 14); the wait
                    # grows only while nothing settles (a provider down, say).
                    recount = BUSY_RECOUNT
                else:
                    recount = min(recount * 2, MAX_BUSY_RECOUNT)
                last_busy = busy
                continue
            recount, last_busy = BUSY_RECOUNT, None
            window = page.cases[position : position + size]
            await asyncio.gather(*(self.start_case(case, page.wave_date) for case in window))
            data.cursor = window[-1].case_id
            position += len(window)
        workflow.continue_as_new(data.model_copy(update={"start_paused": self.paused}))

    async def fill_by_step(self) -> None:
        """Keep the wave's busy cases at its bound: each step counts them and starts the next
        cases that fit (at most a window); at the bound, look again soon, and less and less often
        only while no case settles (a provider down, say), so that a long stall does not fill the
        history. Continue-as-new after a page's worth; returns when every case is handled or the
        wave was cancelled."""
        data = self.data
        handled, recount = 0, FILL_RECOUNT
        last_busy: int | None = None
        settled_at = workflow.now()  # when the busy count last fell
        while True:
            await self.until_allowed()
            if self.cancelled:
                return
            filled = await steps.fill_wave(data)
            self.busy = filled.busy + filled.started
            data.counts.started += filled.started
            data.counts.already_running += filled.already_running
            data.cursor = filled.cursor
            if filled.exhausted:
                self.done = True
                return
            handled += filled.started + filled.already_running
            if handled >= data.page_size or workflow.info().is_continue_as_new_suggested():
                break
            if filled.started or filled.already_running:
                recount, last_busy = FILL_RECOUNT, None
                continue
            now = workflow.now()
            if last_busy is None or filled.busy < last_busy:
                settled_at = now
            last_busy = filled.busy
            recount = FILL_RECOUNT if now - settled_at < STALL_PATIENCE else min(recount * 2, MAX_BUSY_RECOUNT)
            await workflow.sleep(recount, summary=f"{filled.busy} cases busy: at most {data.max_busy}")
        workflow.continue_as_new(data.model_copy(update={"start_paused": self.paused}))

    async def start_by_step(self) -> None:
        """Start the wave's cases a window at a time, each window one step that reads and starts
        its cases, while the busy cases leave room; continue-as-new after a page's worth. Returns
        when every case is handled or the wave was cancelled."""
        data = self.data
        handled, recount = 0, BUSY_RECOUNT
        last_busy: int | None = None
        while True:
            await self.until_allowed()
            if self.cancelled:
                return
            size = min(data.window, await self.room(rows_at_start=True))
            if size == 0:
                if workflow.info().is_continue_as_new_suggested():
                    break  # the next run goes on from the cursor
                await workflow.sleep(recount, summary=f"{self.busy} cases busy: at most {data.max_busy}")
                busy = self.busy or 0
                # Cases are settling: look again soon; the wait grows only while none settles
                # (a provider down, say), so that a long stall does not fill the history.
                recount = BUSY_RECOUNT if last_busy is None or busy < last_busy else min(recount * 2, MAX_BUSY_RECOUNT)
                last_busy = busy
                continue
            recount, last_busy = BUSY_RECOUNT, None
            window = await steps.start_wave_cases(data, size)
            data.counts.started += window.started
            data.counts.already_running += window.already_running
            data.cursor = window.cursor
            if window.exhausted:
                self.done = True
                return
            handled += window.started + window.already_running
            if handled >= data.page_size or workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(data.model_copy(update={"start_paused": self.paused}))

    async def room(self, rows_at_start: bool) -> int:
        """How many more cases may start now: the bound less the handled cases not yet settled.
        Cases started by step (`rows_at_start`) have their reporting row from their start, so the
        count reads only the busy ones; children started by an older wave's run are all read."""
        data = self.data
        if data.cursor is None:
            return data.max_busy
        handled = data.counts.started + data.counts.already_running
        settled = await steps.count_settled_cases(data.wave_id, data.cursor, handled if rows_at_start else None)
        self.busy = max(0, handled - settled)
        return max(0, data.max_busy - self.busy)

    async def until_allowed(self) -> None:
        await workflow.wait_condition(lambda: not self.paused or self.cancelled)

    async def start_case(self, case: PensionCase, wave_date: date | None) -> None:
        data = self.data
        try:
            await workflow.start_child_workflow(
                OutgoingTransferWorkflow.run,
                OutgoingTransferInput(
                    provider=data.provider, case=case, legal=data.legal, wave_date=wave_date, wave_id=data.wave_id
                ),
                id=case_workflow_id(data.provider, case.case_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
                # A case that failed (for a reason other than missing operator data, which it
                # waits for) starts again; a running or closed case never does.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                static_summary=f"case {case.case_id} of wave {data.wave_id}",
            )
            data.counts.started += 1
        except WorkflowAlreadyStartedError:
            data.counts.already_running += 1
            if wave_date is not None:
                await self.tell_plan(case.case_id, wave_date)

    async def tell_plan(self, case_id: str, wave_date: date) -> None:
        """Besluit 17f.3: a plan wave names a case that is already running (started without a
        wave date, or waiting after a failed plan attempt): it is told its new query date."""
        handle = workflow.get_external_workflow_handle(case_workflow_id(self.data.provider, case_id))
        try:
            await handle.signal(
                OutgoingTransferWorkflow.plan_wave, WavePlanned(wave_id=self.data.wave_id, wave_date=wave_date)
            )
        except Exception:  # noqa: BLE001 - a case that closed meanwhile needs no plan
            workflow.logger.info("case closed before the plan reached it", extra={"case_id": case_id})
