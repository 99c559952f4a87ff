"""The engine's own metrics, beside the SDK's, on the worker's Prometheus endpoint
(WKP_METRICS_PORT; README, Metrics). Counted in the activities that do the work, through the
SDK's metric meter, so they carry the worker's task queue and the activity's name.

A retried activity counts again: these are operators' gauges of flow, not the books (the
administration is). Outside a worker (an activity called directly in a test) nothing is counted.
"""

from temporalio import activity

from models.ledger import AuditStep


def _count(name: str, description: str, attributes: dict[str, str]) -> None:
    try:
        meter = activity.metric_meter()
    except RuntimeError:  # not inside an activity
        return
    meter.create_counter(name, description).add(1, attributes)


def statutory_steps_recorded(steps: list[AuditStep]) -> None:
    """Cases closed by outcome, breaches by article, every statutory step by step and article."""
    for step in steps:
        _count("wkp_statutory_steps", "statutory steps recorded", {"step": step.step, "article": step.article})
        if step.step == "closed":
            outcome = str(step.details.get("outcome", "unknown"))
            _count("wkp_cases_closed", "cases closed, by outcome", {"outcome": outcome})
        elif step.step == "deadline_breached":
            _count(
                "wkp_deadline_breaches", "statutory terms breached (Besluit 24), by article", {"article": step.article}
            )


def register_query(result: str) -> None:
    """`answered`, `unavailable` (429, 5xx, down: tried again later) or `rejected`."""
    _count("wkp_register_queries", "pension register queries, by result", {"result": result})


def payment(kind: str, status: str) -> None:
    _count(
        "wkp_payments", "payments to providers and participants, by kind and status", {"kind": kind, "status": status}
    )
