"""Every workflow id and task-queue name of the engine, defined once (as reference-app-orders-go's
`order/api.go` does). Workflows, the CLI, the simulation and the tests all build them here.

Ids are deterministic, so starting a case again finds the running one instead of a duplicate.
"""

# The receiving side's workflow type, by name: the inbound door starts it without importing
# the workflow code (DESIGN.md: inbound/ reads models, store and temporalio).
INCOMING_WORKFLOW = "IncomingSmallPensionTransfer"


def case_workflow_id(provider: str, case_id: str) -> str:
    """The transferring provider's case (Besluit 17e/17f/56)."""
    return f"wkp-out-{provider}-{case_id}"


def incoming_workflow_id(provider: str, transfer_id: str) -> str:
    """The receiving provider's side of one incoming transfer (Besluit 17e.5)."""
    return f"wkp-in-{provider}-{transfer_id}"


def wave_workflow_id(provider: str, wave_id: str) -> str:
    """A back-office wave starting many cases."""
    return f"wkp-wave-{provider}-{wave_id}"


def register_task_queue(task_queue: str) -> str:
    """Register queries have a task queue of their own, so that Temporal can hold all of them,
    across every worker and wave, to the rate agreed with the register."""
    return f"{task_queue}-register"


def wave_task_queue(task_queue: str) -> str:
    """A wave's own activities (loading a page, counting its busy cases) have a task queue of
    their own, so that they never wait behind the thousands of case activities the wave started."""
    return f"{task_queue}-wave"


# Idempotency keys: derived from the workflow id, so a retry or a replay repeats the same key.


def transfer_key(workflow_id: str, try_number: int) -> str:
    """A payment of the transfer value (17e.4); each try on a new payment day gets its own key."""
    return f"{workflow_id}/transfer/{try_number}"


def buyout_key(workflow_id: str) -> str:
    """The buy-out lump sum (PW 66): one per case."""
    return f"{workflow_id}/buyout"


def letter_key(workflow_id: str, kind: str, occasion: str | None = None) -> str:
    """A letter; one of a kind per case, or per occasion (a request, the 66.1 offer)."""
    return f"{workflow_id}/letter/{kind}" + (f"/{occasion}" if occasion else "")


def report_key(workflow_id: str, key: str) -> str:
    """A report the case received (its audit row): the report's own key (models.reports)."""
    return f"{workflow_id}/report/{key}"


def event_key(workflow_id: str, number: int) -> str:
    """The n-th statutory step a case recorded (its audit row)."""
    return f"{workflow_id}/event/{number}"


def consent_key(workflow_id: str) -> str:
    return f"{workflow_id}/consent"


def receipt_key(workflow_id: str) -> str:
    """An incoming transfer's receipt (booked once, applied once)."""
    return f"{workflow_id}/receipt"


def incoming_letter_key(workflow_id: str) -> str:
    return f"{workflow_id}/letter"
