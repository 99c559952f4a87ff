"""`wkp up`, `wkp down`, `wkp worker` and `wkp demo`: the embedded stack and the main job."""

import asyncio
import signal
from datetime import UTC, datetime
from typing import Annotated

import typer

from backoffice import demo as job
from backoffice.errors import fail, user_errors
from backoffice.options import optional_date
from backoffice.stack import start, stop
from config.settings import get_settings
from models.ids import case_workflow_id
from rules.legal_time import amsterdam_date


def ui(settings) -> str:
    return f"http://localhost:{settings.ui_port}"


@user_errors
def up(detach: Annotated[bool, typer.Option("--detach", help="leave the stack running and return")] = False) -> None:
    """Start Temporal's dev server (UI on http://localhost:8233), the register and provider
    stubs, and the worker; the administration is created or migrated first."""
    settings = get_settings()
    print("starting the embedded stack:")
    try:
        start(settings)
    except RuntimeError as error:
        stop(settings, say=lambda _line: None)
        raise fail(str(error)) from None
    print(
        f"Temporal UI: {ui(settings)}/namespaces/{settings.namespace}/workflows (payloads decoded by the codec server)"
    )
    print(
        f"CLI: temporal workflow show -w ID --address {settings.temporal_address} "
        f"--codec-endpoint http://127.0.0.1:{settings.codec_port} "
        f'--codec-auth "Bearer $(cat {settings.home / "codec-token"})"'
    )
    if detach:
        print("stop it with: wkp down")
        return
    print("Ctrl-C stops everything")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    stop(settings)


def down() -> None:
    """Stop the stack that `wkp up --detach` (or `wkp demo`) left running."""
    stop(get_settings())


def worker(
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="all (default), workflows or activities: what this process serves (WKP_WORKER_ROLE)",
        ),
    ] = None,
) -> None:
    """Run the Temporal worker in the foreground (as `python worker.py`)."""
    from worker import run_worker

    if role is not None:
        if role not in ("all", "workflows", "activities"):
            raise typer.BadParameter("must be all, workflows or activities", param_hint="--role")
    asyncio.run(run_worker(role))


@user_errors
def demo(
    cases: Annotated[int, typer.Option("--cases", min=1, max=5000, help="former participants to generate")] = 300,
    legal_date: Annotated[str | None, typer.Option("--legal-date", help="the legal date the demo runs on")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Load a generated portfolio into the administration and the register, start every case on
    the embedded stack, and report what happened and where to look in the Temporal UI."""
    settings = get_settings()
    given = optional_date(legal_date, "--legal-date")
    today, calendar = amsterdam_date(datetime.now(UTC)), settings.legal_calendar()
    if given is None and not calendar.is_working_day(today):
        # Payments are made on working days only (Atw 1; Besluit 17e.4): on a weekend or a public
        # holiday the demo's cases would all wait for the next working day and show nothing paid,
        # so the demo runs its cases' clock from that day instead, and says so.
        given = calendar.next_working_day(today)
        print(f"wkp demo: today ({today:%A} {today}) is not a working day; the cases' clock starts on {given}")
    on = given or today
    generated, spells = job.portfolio(cases, on)
    job.write_world(settings, spells)
    print(f"wkp demo: {cases} former participants of {settings.provider}, legal date {on} ({on:%A})")
    stop(settings, say=lambda _line: None)  # the stubs read the world at start
    try:
        start(settings, say=lambda line: print(line))
    except RuntimeError as error:
        raise fail(str(error)) from None
    case_ids = [case.case_id for case in generated]

    async def main() -> dict:
        await job.load_administration(settings, generated, on)
        started = await job.start_cases(settings, generated, given)
        print(f"started {started} cases ({cases - started} were running already)")
        done = await job.wait_for_first_steps(settings, case_ids, progress)
        print(f"{done} of {cases} cases took their first step")
        return await job.summary(settings, case_ids)

    print_report(asyncio.run(main()), ui(settings), settings.namespace, case_ids[0], settings.provider)


def print_report(report: dict, ui_url: str, namespace: str, example: str, provider: str) -> None:
    print("\nWhat happened:")
    for state, count in sorted(report["states"].items(), key=lambda item: -item[1]):
        print(f"  {state:<18} {count:>5}")
    for reason, count in sorted(report["reasons"].items(), key=lambda item: -item[1]):
        print(f"    reason {reason:<20} {count:>5}")
    to = ", ".join(f"{who} {n}" for who, n in sorted(report["to"].items()))
    print(f"  payments booked    {report['payments']:>5}   EUR {report['paid']:,.2f}  ({to or 'none yet'})")
    if report["next_queries"]:
        print(f"  next yearly register query (17e.2) from {report['next_queries'][0]}")
    for reason, count in sorted(report["waiting"].items()):
        print(f"  {count} case(s) waiting for {reason}")
    print("\nWhere to look:")
    print(f"  Temporal UI:   {ui_url}/namespaces/{namespace}/workflows")
    print(f"  one case:      {ui_url}/namespaces/{namespace}/workflows/{case_workflow_id(provider, example)}")
    print("  logs:          .wkp/logs/   administration: .wkp/administration.db")
    print("  stop the stack: .venv/bin/wkp down")
