"""Starting the receiving side's case of a delivered transfer (Besluit 17e.5) on Temporal."""

from datetime import date

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from models.ids import INCOMING_WORKFLOW, incoming_workflow_id
from models.scenario import IncomingTransfer
from models.transfer import IncomingResult, IncomingTransferInput, LegalSettings
from rules.calendar import DECREE_DAYS
from store.repository import Administration


async def start_incoming_case(
    client: Client, task_queue: str, provider: str, transfer: IncomingTransfer, legal: LegalSettings
) -> bool:
    """Start the case once: False when it was started before (a repeated delivery starts nothing)."""
    try:
        await client.start_workflow(
            INCOMING_WORKFLOW,
            IncomingTransferInput(provider=provider, transfer=transfer, legal=legal),
            id=incoming_workflow_id(provider, transfer.transfer_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            result_type=IncomingResult,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def holidays(admin: Administration, configured: list[date]) -> list[date]:
    """The Royal-decree days the receiving side's terms skip (Atw 3.3): shipped, recorded, configured."""
    return sorted(set(DECREE_DAYS) | {record.day for record in await admin.decree_days()} | set(configured))
