"""`wkp admin events`: the administration's daily batch of what it learned about cases under
automatic transfer (RULES.md §8): deaths (from the BRP), changed pension dates and requests.

Each row is checked, stored once in the administration (its report key: kind, value, day
learned) and delivered to the running case through the same path as `wkp case report`. A bad row,
or one the case refuses (a closed case, a death date after the day learned), goes to the reject
file with line, field and reason. Importing the same file again delivers nothing twice: a row
already answered is counted unchanged (a refused one is rejected again with its first reason),
and a row stored while Temporal was unreachable is delivered by the next import.
"""

import getpass
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.service import RPCError

from backoffice.csv_tables import read_table, write_rejects
from config.settings import Settings
from engine import ReportRefused, report_to_case, temporal_client
from models.problems import InvalidInput, Problem, problems_from
from models.reports import CaseReport, ReportKind, RequestKind
from store.database import migrate
from store.factory import administration
from store.repository import Administration

COLUMNS = ["case_id", "on", "kind", "value"]
REJECT_COLUMNS = ["line", "case_id", "field", "reason"]
REFUSED = "refused: "  # how a case's refusal is kept as the stored answer
MAX_CELL = 100
# How long a command waits for a case's answer; a case still sending its letter then finishes
# by itself (the answer says so), and a batch of thousands is not held up by one slow case.
ANSWER_WITHIN = timedelta(seconds=30)

Deliver = Callable[[str, CaseReport], Awaitable[str]]


@dataclass
class EventsReport:
    rows: int = 0
    delivered: int = 0
    unchanged: int = 0
    rejected: int = 0
    pending: int = 0  # stored, not yet delivered: Temporal was not reachable
    reject_file: Path | None = None

    def summary(self) -> str:
        text = f"{self.rows} rows: {self.delivered} delivered, {self.unchanged} unchanged, {self.rejected} rejected"
        if self.pending:
            text += f", {self.pending} stored but not delivered (Temporal not reachable: import the file again)"
        return text + (f" (see {self.reject_file})" if self.rejected else "")


def report_from_row(row: dict[str, str], today: date, reported_by: str) -> CaseReport:
    """One row as a report, or InvalidInput naming the column and the reason (never the value)."""
    for column in COLUMNS:
        if len(row.get(column) or "") > MAX_CELL:
            raise InvalidInput([Problem(path=column, reason=f"is longer than {MAX_CELL} characters")])
    kind = (row.get("kind") or "").strip()
    value = (row.get("value") or "").strip()
    if kind not in {k.value for k in ReportKind}:
        raise InvalidInput([Problem(path="kind", reason="must be death_date, pension_date or request")])
    if kind == ReportKind.REQUEST:
        value = value.replace("-", "_")
        if value not in {r.value for r in RequestKind}:
            reason = "must be individual_transfer or calculation_statement for kind request"
            raise InvalidInput([Problem(path="value", reason=reason)])
    try:
        report = CaseReport.model_validate(
            {kind: value, "learned_on": (row.get("on") or "").strip(), "reported_by": reported_by}
        )
    except ValidationError as error:
        problems = [
            Problem(path="value" if p.path == kind else "on" if p.path == "learned_on" else p.path, reason=p.reason)
            for p in problems_from(error)
        ]
        raise InvalidInput(problems) from None
    assert report.learned_on is not None
    if report.learned_on > today:
        raise InvalidInput([Problem(path="on", reason=f"is after today ({today}): nothing is learned in advance")])
    return report


def refusal_problem(reason: str) -> Problem:
    """A case's refusal ("field: reason") as a reject-file problem."""
    field, _, text = reason.partition(": ")
    return Problem(path=field, reason=text) if text else Problem(path="case", reason=reason)


async def import_events(
    admin: Administration, path: Path, reject_path: Path, deliver: Deliver, reported_by: str, today: date
) -> EventsReport:
    reader = read_table(path, reject_path, COLUMNS)
    result = EventsReport(reject_file=reject_path)
    rejects: list[list[object]] = []
    reachable = True

    def reject(line: int, case_id: str, problem: Problem) -> None:
        rejects.append([line, case_id, problem.path, problem.reason])

    for line, row in enumerate(reader, start=2):
        result.rows += 1
        case_id = (row.get("case_id") or "").strip()[:MAX_CELL]
        try:
            if not case_id:
                raise InvalidInput([Problem(path="case_id", reason="is required")])
            report = report_from_row(row, today, reported_by)
            if not await admin.has_case(case_id):
                raise InvalidInput([Problem(path="case_id", reason="is not in the administration")])
        except InvalidInput as error:
            reject(line, case_id, error.problems[0])
            continue
        assert report.learned_on is not None
        key = report.key()
        _, answer = await admin.store_report(
            case_id, key, report.kind.value, report.value, report.learned_on, reported_by
        )
        if answer is not None:
            if answer.startswith(REFUSED):
                reject(line, case_id, refusal_problem(answer.removeprefix(REFUSED)))
            else:
                result.unchanged += 1
            continue
        if not reachable:
            result.pending += 1
            continue
        try:
            answer = await deliver(case_id, report)
        except ReportRefused as refusal:
            await admin.report_answered(case_id, key, REFUSED + str(refusal))
            reject(line, case_id, refusal_problem(str(refusal)))
            continue
        except (RPCError, RuntimeError, OSError, TimeoutError):  # stored; the next import delivers it
            reachable = False
            result.pending += 1
            continue
        await admin.report_answered(case_id, key, answer)
        result.delivered += 1
    write_rejects(reject_path, REJECT_COLUMNS, rejects)
    result.rejected = len(rejects)
    return result


def reporter(command: str) -> str:
    """Who reported it, for the audit log: the operator's account and the command."""
    return f"{getpass.getuser()} ({command})"[:80]


async def import_events_file(settings: Settings, path: Path, reject_path: Path, today: date) -> EventsReport:
    """`wkp admin events`: the administration, and Temporal connected on the first delivery
    (unreachable: every good row is stored and waits for the next import)."""
    migrate(settings.administration_url())
    async with administration(settings) as admin, AsyncExitStack() as stack:
        client: Client | None = None

        async def deliver(case_id: str, report: CaseReport) -> str:
            nonlocal client
            if client is None:
                client = await stack.enter_async_context(temporal_client(settings))
            return await report_to_case(client, settings.provider, case_id, report, answer_within=ANSWER_WITHIN)

        return await import_events(admin, path, reject_path, deliver, reporter("wkp admin events"), today)
