"""Auditing a case: its recorded histories (every run, across continue-as-new) with its audit
rows as one export file, replay of those histories against the current code, and a timeline of
every statutory step for a person to read.

Exported histories stay as Temporal stores them: payloads encrypted. Replaying or reporting them
needs the payload keys (WKP_PAYLOAD_KEYS), as reading them in the UI does.
"""

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from backoffice.html import REPORTS, file_name
from codec.encryption import KEY_ID
from models.ledger import AuditStep
from models.problems import InvalidInput, Problem
from models.steps import COMPUTE_TRANSFER_VALUE
from rules.transfer_value import TransferValueStatement

EXPORT_FORMAT = "wkp-audit-export/1"


async def case_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow, oldest first: from the latest run back along continue-as-new."""
    runs = [await client.get_workflow_handle(workflow_id).fetch_history()]
    while previous := runs[0].events[0].workflow_execution_started_event_attributes.continued_execution_run_id:
        runs.insert(0, await client.get_workflow_handle(workflow_id, run_id=previous).fetch_history())
    return runs


def export_document(workflow_id: str, histories: list[WorkflowHistory], trail: list[AuditStep]) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "workflow_id": workflow_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": [json.loads(history.to_json()) for history in histories],
        "audit": [step.model_dump(mode="json") for step in trail],
    }


@dataclass
class Export:
    workflow_id: str
    histories: list[WorkflowHistory]
    trail: list[AuditStep] | None


def read_export(path: Path) -> Export:
    """An export of `wkp audit export`, or one history as `temporal workflow show --output json`
    writes it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(
            [Problem(path="", reason=f"cannot be read ({error.strerror.lower()})")], source=str(path)
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            [Problem(path="", reason=f"not JSON (line {error.lineno}: {error.msg})")], source=str(path)
        ) from None
    except (RecursionError, UnicodeDecodeError):
        raise InvalidInput(
            [Problem(path="", reason="not JSON (nested too deeply, or not UTF-8)")], source=str(path)
        ) from None
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        workflow_id, runs = data.get("workflow_id"), data.get("runs")
        if not isinstance(workflow_id, str) or not isinstance(runs, list) or not runs:
            raise InvalidInput(
                [Problem(path="runs", reason="an export names its workflow_id and holds at least one run")],
                source=str(path),
            )
        histories = [parsed_history(workflow_id, run, f"runs[{n}]", path) for n, run in enumerate(runs)]
        try:
            trail = [AuditStep.model_validate(step) for step in data.get("audit", [])]
        except (ValueError, TypeError):
            raise InvalidInput(
                [Problem(path="audit", reason="is not a list of audit rows")], source=str(path)
            ) from None
        return Export(workflow_id, histories, trail)
    if isinstance(data, dict) and isinstance(data.get("events"), list) and data["events"]:
        return Export(path.stem, [parsed_history(path.stem, data, "events", path)], None)
    raise InvalidInput(
        [Problem(path="format", reason=f"neither a {EXPORT_FORMAT} file nor a Temporal history (no 'events')")],
        source=str(path),
    )


def parsed_history(workflow_id: str, run: Any, where: str, path: Path) -> WorkflowHistory:
    """One recorded run, checked before it is replayed: the SDK's core panics, and a replay
    then hangs, on a history that does not start with its start event or skips events."""

    def refuse(reason: str) -> InvalidInput:
        return InvalidInput([Problem(path=where, reason=reason)], source=str(path))

    try:
        history = WorkflowHistory.from_json(workflow_id, run)
    except Exception:  # noqa: BLE001 - any shape the protobuf parser refuses
        raise refuse("is not a Temporal history") from None
    events = history.events
    if not events or events[0].event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise refuse("does not begin with its WorkflowExecutionStarted event")
    if [event.event_id for event in events] != list(range(1, len(events) + 1)):
        raise refuse("its event ids are not 1, 2, 3, … without gaps")
    if any(event.event_type == EventType.EVENT_TYPE_UNSPECIFIED for event in events):
        raise refuse("holds an event of no known type")
    known = {getattr(definition, "__temporal_workflow_definition").name for definition in known_workflows()}
    started = events[0].workflow_execution_started_event_attributes.workflow_type.name
    if started not in known:
        raise refuse("is the history of a workflow type this engine does not have")
    return history


def foreign_keys(histories: list[WorkflowHistory], known: set[str]) -> list[str]:
    """The payload keys a recorded history was encrypted with that are not configured: its
    replay could not read its inputs (and the reason would be encrypted as well)."""
    used = {
        payload.metadata[KEY_ID].decode()
        for history in histories
        for payload in history.events[0].workflow_execution_started_event_attributes.input.payloads
        if KEY_ID in payload.metadata
    }
    return sorted(used - known)


def known_workflows() -> list:
    from worker import WORKFLOWS

    return WORKFLOWS


# A replay that takes longer than this is stuck (the SDK's core can hang on a history it cannot
# follow): it ends with a clear message instead.
REPLAY_LIMIT_S = 120


class ReplayStuck(RuntimeError):
    pass


@dataclass
class ReplayVerdict:
    runs: int
    failures: dict[str, str] = field(default_factory=dict)  # run id -> where and how it diverged

    @property
    def replays(self) -> bool:
        return not self.failures

    def text(self, workflow_id: str) -> str:
        if self.replays:
            return (
                f"{workflow_id}: all {self.runs} recorded run(s) replay against the current code: "
                "its decisions follow from this code"
            )
        lines = [
            f"{workflow_id}: does NOT replay against the current code "
            f"({len(self.failures)} of {self.runs} runs diverge)"
        ]
        lines += [f"  run {run_id}: {message}" for run_id, message in self.failures.items()]
        return "\n".join(lines)


async def replay(
    histories: list[WorkflowHistory], converter: DataConverter, workflows: list | None = None
) -> ReplayVerdict:
    from config.temporal_runtime import quiet_runtime

    # The quiet runtime: the core's warnings about the task it fails on a divergence would
    # otherwise go to stdout beside the verdict.
    replayer = Replayer(workflows=workflows or known_workflows(), data_converter=converter, runtime=quiet_runtime())

    async def each():
        for history in histories:
            yield history

    try:
        outcome = await asyncio.wait_for(
            replayer.replay_workflows(each(), raise_on_replay_failure=False), timeout=REPLAY_LIMIT_S
        )
    except TimeoutError:
        raise ReplayStuck(
            f"the replay did not finish within {REPLAY_LIMIT_S} s: the history cannot be followed"
        ) from None
    return ReplayVerdict(
        len(histories), {run_id: divergence(error) for run_id, error in outcome.replay_failures.items()}
    )


def divergence(error: Exception) -> str:
    """The core's own sentence, e.g. "Nondeterminism error: Timer machine does not handle this
    event: HistoryEvent(id: 32, ActivityTaskScheduled)", which names the event where it diverged."""
    import re

    found = re.search(r'\[TMPRL\d+\] ([^"]+)', str(error))
    return found.group(1) if found else str(error)


async def last_statement(histories: list[WorkflowHistory], converter: DataConverter) -> TransferValueStatement | None:
    """The last transfer value the case calculated (Besluit 17e.7), read from its history."""
    found = None
    for history in histories:
        scheduled = {
            event.event_id: event.activity_task_scheduled_event_attributes.activity_type.name
            for event in history.events
            if event.HasField("activity_task_scheduled_event_attributes")
        }
        for event in history.events:
            if event.HasField("activity_task_completed_event_attributes"):
                completed = event.activity_task_completed_event_attributes
                if scheduled.get(completed.scheduled_event_id) == COMPUTE_TRANSFER_VALUE:
                    found = completed.result
    if found is None:
        return None
    [statement] = await converter.decode(found.payloads, [TransferValueStatement])
    return statement


@dataclass
class TimelineRow:
    actual: date
    step: str
    article: str
    due: date | None
    verdict: str  # "met", "breached" or "" (no term)
    detail: str


DETAIL_FIELDS = (
    "answer",
    "provider",
    "reason",
    "letter",
    "amount",
    "transfer_date",
    "failed_attempts",
    "until",
    "outcome",
    "consent",
    "factor",
    "factor_source",
    "factor_period_from",
    "factor_illustrative",
    "value",
    "reported_by",
)


def timeline(trail: list[AuditStep]) -> list[TimelineRow]:
    rows = []
    for step in trail:
        if step.step == "deadline_breached":
            verdict = "breached"
        elif step.due is None:
            verdict = ""
        else:
            verdict = "met" if step.actual <= step.due else "breached"
        detail = ", ".join(
            f"{name.replace('_', ' ')} {step.details[name]}" for name in DETAIL_FIELDS if name in step.details
        )
        rows.append(TimelineRow(step.actual, step.step, step.article, step.due, verdict, detail))
    return rows


@dataclass
class AuditReport:
    case_id: str
    workflow_id: str
    made_on: date
    rows: list[TimelineRow]
    statement: TransferValueStatement | None
    verdict: ReplayVerdict | None

    def text(self) -> str:
        lines = [f"Audit timeline of case {self.case_id} ({self.workflow_id}), made {self.made_on}", ""]
        lines.append(f"{'date':<10}  {'step':<22} {'article':<8} {'due':<10}  {'term':<8} detail")
        for row in self.rows:
            lines.append(
                (
                    f"{row.actual.isoformat():<10}  {row.step:<22} {row.article:<8} "
                    f"{row.due.isoformat() if row.due else '':<10}  {row.verdict:<8} {row.detail}"
                ).rstrip()
            )
        if self.statement:
            lines += [
                "",
                "Transfer value statement (Besluit 17e.7), the last one calculated:",
                *("  " + line for line in self.statement.lines()),
            ]
        if self.verdict:
            lines += ["", "Replay: " + self.verdict.text(self.workflow_id)]
        return "\n".join(lines)


def write_audit_report(report: AuditReport, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"audit-{file_name(report.case_id)}.html"
    html.write_text(REPORTS.get_template("audit_report.html.j2").render(r=report))
    text = folder / f"audit-{file_name(report.case_id)}.txt"
    text.write_text(report.text() + "\n")
    return html, text
