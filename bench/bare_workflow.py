"""The baseline's workflow: K no-op activities one after the other (bench/bare.py serves it)."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def no_op() -> None:
    return None


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, activities: int) -> None:
        for _ in range(activities):
            await workflow.execute_activity(no_op, start_to_close_timeout=timedelta(seconds=30))
