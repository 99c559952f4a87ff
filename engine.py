"""The engine's parts built from configuration: the Temporal client and the activities."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode

from activities.transfer import TransferActivities
from codec.client import connect_client
from config.settings import Settings
from models.ids import case_workflow_id
from models.reports import CaseReport
from models.transfer import LegalSettings
from register_client.client import RegisterClient
from rules.calendar import DECREE_DAYS
from rules.legal_time import amsterdam_midnight
from store.factory import open_administration
from store.repository import Administration


def legal_clock_offset(legal_date: date) -> float:
    """The clock offset that makes the legal clock read 09:00 on `legal_date` now."""
    return (amsterdam_midnight(legal_date) + timedelta(hours=9) - datetime.now(UTC)).total_seconds()


async def legal_settings(settings: Settings, admin: Administration, legal_date: date | None = None) -> LegalSettings:
    """The rulebook's settings for the cases a command starts: the thresholds and Royal-decree
    days operators recorded (and any configured), besides the shipped ones. `legal_date` is for
    test, acceptance and demo runs only: the cases' legal clock then starts at 09:00 that day (one
    fixed offset, as `wkp simulate` uses); production leaves it unset and runs on today's date."""
    offset = 0.0 if legal_date is None else legal_clock_offset(legal_date)
    recorded = {record.year: record.amount for record in await admin.thresholds()}
    decrees = set(DECREE_DAYS) | {record.day for record in await admin.decree_days()} | set(settings.extra_holidays)
    return LegalSettings(
        clock_offset_s=offset, thresholds={**recorded, **settings.thresholds}, extra_holidays=sorted(decrees)
    )


# The phases in which a case waits for data an operator records (threshold, provider, ratio).
WAITING_FOR_OPERATOR = ["awaiting_threshold", "awaiting_funding_ratio", "awaiting_provider", "awaiting_afkoopvoet"]


async def wake_waiting_cases(client: Client) -> int:
    """Tell every case waiting for operator data that something was recorded: it looks again at
    once (without this it looks again within a week by itself). Returns how many were told."""
    phases = ", ".join(f'"{phase}"' for phase in WAITING_FOR_OPERATOR)
    told = 0
    async for execution in client.list_workflows(f'WkpPhase IN ({phases}) AND ExecutionStatus = "Running"'):
        await client.get_workflow_handle(execution.id).signal("operator_data_recorded")
        told += 1
    return told


def make_activities(settings: Settings) -> TransferActivities:
    return TransferActivities(
        admin=open_administration(settings),
        register=RegisterClient(
            settings.register_url, settings.register_token, max_per_second=settings.register_rate_per_second
        ),
        providers_url=settings.providers_url,
        basis=settings.actuarial_basis(),
        default_funding_ratio=settings.default_funding_ratio,
        register_queries_per_day=settings.register_queries_per_day,
        configured_afkoopvoet=settings.configured_afkoopvoet(),
    )


@asynccontextmanager
async def temporal_client(settings: Settings) -> AsyncIterator[Client]:
    """A client whose native half is released while the interpreter is still running: left to
    interpreter shutdown, its runtime thread dropped Python objects while Python was finalizing
    (a fatal PyGILState_Release) in short-lived commands."""
    client = await connect_client(settings)
    try:
        yield client
    finally:
        del client
        gc.collect()
        await asyncio.sleep(0)


async def register_search_attributes(client: Client, namespace: str = "default") -> list[str]:
    """Register the engine's search attributes that a cluster lacks (idempotent): the one-off
    setup of a real cluster, and the time-skipping server of simulations. Returns the names
    it added. (The time-skipping server cannot list attributes, only add them.)"""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.search_attributes import ALL

    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        known = set(listed.custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    added = []
    for key in ALL:
        if key.name in known:
            continue
        request = AddSearchAttributesRequest(
            namespace=namespace, search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type.value)}
        )
        try:
            await client.operator_service.add_search_attributes(request)
            added.append(key.name)
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
    return added


class ReportRefused(Exception):
    """A running case refused a report, or there is no running case: the reason names the field."""


async def report_to_case(
    client: Client, provider: str, case_id: str, report: CaseReport, answer_within: timedelta | None = None
) -> str:
    """Deliver what the administration learned to a running case: the one path of `wkp case
    report`, `wkp admin events` and `wkp simulate`. Returns the case's answer; a repeat of the
    same report is answered without changing anything. With `answer_within`, a case that
    accepted the report but is still at work on it (a letter being sent) is not waited for
    longer: the answer says so, and the case finishes by itself."""
    handle = client.get_workflow_handle(case_workflow_id(provider, case_id))
    try:
        update = await handle.start_update(
            "report",
            report,
            # A retried command is one update; a report without a day learned, once a day.
            id=f"report-{report.key(None if report.learned_on else datetime.now(UTC).date())}",
            result_type=str,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        if answer_within is None:
            return await update.result()
        try:
            return await asyncio.wait_for(update.result(), answer_within.total_seconds())
        except TimeoutError:
            return "accepted: the case is still acting on it (see `wkp case show`)"
    except WorkflowUpdateFailedError as error:
        raise ReportRefused(str(error.cause) if error.cause else "refused by the case") from None
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            if "completed" in error.message:
                raise ReportRefused("case: is closed; a report no longer applies") from None
            raise ReportRefused("case_id: no case under automatic transfer has this id") from None
        raise
