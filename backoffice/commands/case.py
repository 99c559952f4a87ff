"""`wkp case`: one case as an operator sees it, read and steered through the workflow itself
(queries and the consent update). Payloads are decoded by the engine's codec on the way."""

import asyncio
from typing import Annotated

import typer
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from backoffice.case_events import ANSWER_WITHIN, reporter
from backoffice.errors import fail, user_errors
from backoffice.options import parse_date
from config.settings import get_settings
from engine import ReportRefused, report_to_case, temporal_client
from models.ids import case_workflow_id
from models.reports import CaseReport, RequestKind
from models.transfer import CaseStatus, ConsentAnswer
from rules.transfer_value import TransferValueStatement
from store.factory import administration
from workflows.outgoing import OutgoingTransferWorkflow

app = typer.Typer(
    help="One case: its status, its transfer value statement (17e.7), the participant's consent, what was learned.",
    no_args_is_help=True,
)


def call(case_id: str, action):
    """Run `action(handle)` against the case's workflow; a case the cluster does not know, or a
    refusal by the workflow, is a one-line error naming the case."""
    settings = get_settings()

    async def main():
        async with temporal_client(settings) as client:
            handle = client.get_workflow_handle(case_workflow_id(settings.provider, case_id))
            try:
                return await action(handle)
            except RPCError as error:
                raise fail(f"case_id: {case_id!r}: {error.message}") from None
            except WorkflowUpdateFailedError as error:
                raise fail(f"case_id: {case_id!r}: {error.cause.message if error.cause else error}") from None

    return asyncio.run(main())


def status_text(status: CaseStatus) -> str:
    lines = [
        f"case {status.case_id}: {status.phase.value}"
        + (f", outcome {status.outcome.value}" if status.outcome else ""),
        f"  failed attempts (PW 66): {status.failed_attempts}",
        f"  next: {status.next_due_article} due {status.next_due}" if status.next_due else "  next: nothing due",
        *([f"  waiting for {status.waiting_for}"] if status.waiting_for else []),
        "  steps:",
    ]
    for event in status.events:
        extra = {
            k: v
            for k, v in event.model_dump(mode="json", exclude_none=True).items()
            if k not in {"type", "date", "article", "due"}
        }
        lines.append(
            f"    {event.date}  {event.type.value:<20} {event.article or '':<6} "
            f"{('due ' + str(event.due)) if event.due else '':<14} " + " ".join(f"{k}={v}" for k, v in extra.items())
        )
    return "\n".join(line.rstrip() for line in lines)


@app.command()
@user_errors
def show(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    as_json: Annotated[bool, typer.Option("--json", help="the status as JSON")] = False,
) -> None:
    """Where the case stands (the workflow's `status` query): phase, failed attempts, the next
    statutory term and every step so far."""
    status = call(case_id, lambda handle: handle.query(OutgoingTransferWorkflow.status))
    print(status.model_dump_json(indent=1) if as_json else status_text(status))


@app.command()
@user_errors
def statement(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    as_json: Annotated[bool, typer.Option("--json", help="the statement as JSON")] = False,
) -> None:
    """The calculation of the transfer value (Besluit 17e.7) as the case last made it: from the
    running case, or from the administration, which keeps every one (after Temporal's retention)."""
    settings = get_settings()

    async def latest() -> TransferValueStatement | None:
        async with temporal_client(settings) as client:
            handle = client.get_workflow_handle(case_workflow_id(settings.provider, case_id))
            try:
                found = await handle.query(OutgoingTransferWorkflow.transfer_value_statement)
            except RPCError as error:
                if error.status is not RPCStatusCode.NOT_FOUND:
                    raise fail(f"case_id: {case_id!r}: {error.message}") from None
                found = None
        if found is not None:
            return found
        async with administration(settings) as admin:
            kept = await admin.statements_for(case_id)
        return TransferValueStatement.model_validate(kept[-1]) if kept else None

    found = asyncio.run(latest())
    if found is None:
        raise fail(
            f"case_id: {case_id!r}: no transfer value has been calculated yet (it is, on the payment or buy-out date)"
        )
    print(found.model_dump_json(indent=1) if as_json else "\n".join(found.lines()))


@app.command()
@user_errors
def consent(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    yes: Annotated[bool, typer.Option("--yes/--no", help="the participant's answer to the buy-out offer (PW 66)")],
) -> None:
    """Record the participant's answer to an open buy-out offer; refused when no offer is open."""
    answer = call(
        case_id, lambda handle: handle.execute_update(OutgoingTransferWorkflow.give_consent, ConsentAnswer(consent=yes))
    )
    print(f"case {case_id}: {answer}")


@app.command()
@user_errors
def report(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    death_date: Annotated[str | None, typer.Option("--death-date", help="the participant died (YYYY-MM-DD)")] = None,
    pension_date: Annotated[
        str | None, typer.Option("--pension-date", help="the pension now starts on (YYYY-MM-DD)")
    ] = None,
    request: Annotated[
        str | None,
        typer.Option("--request", help="individual-transfer (answered under PW 71) or calculation-statement (17e.7)"),
    ] = None,
    learned_on: Annotated[
        str | None, typer.Option("--learned-on", help="the day it was learned (default: the case's today)")
    ] = None,
) -> None:
    """Tell a running case what the administration learned (RULES.md §8): a death closes it
    today, a changed pension date moves its end, a request is answered with a letter. Refused,
    with the field and the reason, when it does not apply."""
    given = [
        name
        for name, value in (("--death-date", death_date), ("--pension-date", pension_date), ("--request", request))
        if value is not None
    ]
    if len(given) != 1:
        raise fail("report: give exactly one of --death-date, --pension-date or --request")
    fields: dict[str, object] = {"reported_by": reporter("wkp case report")}
    if death_date is not None:
        fields["death_date"] = parse_date(death_date, "--death-date")
    if pension_date is not None:
        fields["pension_date"] = parse_date(pension_date, "--pension-date")
    if request is not None:
        kind = request.replace("-", "_")
        if kind not in {k.value for k in RequestKind}:
            raise fail("--request: must be individual-transfer or calculation-statement")
        fields["request"] = kind
    if learned_on is not None:  # unset: the case's own today (a test cluster's legal date)
        fields["learned_on"] = parse_date(learned_on, "--learned-on")
    case_report = CaseReport.model_validate(fields)
    settings = get_settings()

    async def main() -> str:
        async with temporal_client(settings) as client:
            return await report_to_case(client, settings.provider, case_id, case_report, answer_within=ANSWER_WITHIN)

    try:
        answer = asyncio.run(main())
    except ReportRefused as refusal:
        raise fail(f"case {case_id}: {refusal}") from None
    print(f"case {case_id}: {answer}")
