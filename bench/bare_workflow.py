"""The baseline's workflow: K no-op activities one after the other (bench/bare.py serves it),
each with the engine's step timeout. The server arms a timer for every activity's timeout and
handles it when it comes due, done or not: with a longer timeout than the engine's, fewer of the
baseline's timers came due within a run (1.7 against 4.3 per case at 1,000 cases, the dev
server's own metrics, 2026-12-04), which flattered it."""

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows.steps import STEP_TIMEOUT


@activity.defn
async def no_op() -> None:
    return None


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, activities: int) -> None:
        for _ in range(activities):
            await workflow.execute_activity(no_op, start_to_close_timeout=STEP_TIMEOUT)
