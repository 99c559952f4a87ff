"""`wkp wave`: start, watch and steer back-office waves on the Temporal cluster."""

import asyncio
import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from backoffice.errors import fail, user_errors
from backoffice.options import optional_date, parse_date, parse_month
from backoffice.wave_report import build_report, write_report
from config.settings import Settings, get_settings
from engine import legal_settings, temporal_client
from models.ids import wave_workflow_id
from models.ledger import AuditStep, CaseProjection
from models.spreadsheet import SafeWriter
from models.wave import WaveInput, WaveProgress
from rules.plan import PhasedPlan, phased_plan
from rules.regime import Regime, regime_period
from rules.scenario import read_json
from store.database import migrate
from store.factory import administration
from workflows.wave import WaveWorkflow

app = typer.Typer(
    help="Back-office waves: start a batch of cases, watch it, pause, resume or cancel it.", no_args_is_help=True
)


def read_case_ids(path: Path) -> list[str]:
    """A CSV with a `case_id` column, or one case id a line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise fail(f"{path}: cannot be read ({error.strerror.lower()})") from None
    if lines and "case_id" in lines[0].split(","):
        return [row["case_id"].strip() for row in csv.DictReader(lines) if row.get("case_id", "").strip()]
    return [line.strip() for line in lines if line.strip()]


COHORTS = {
    "17e": "new small pensions (participation ended from 2019-01-01)",
    "56": "the transitional cohort of Besluit 56 (ended 2017-01-01 to 2018-12-31)",
    "17f": "existing small pensions (ended before 2017-01-01): need the plan's --date",
}


async def cohort_case_ids(settings: Settings, cohort: str, ended_in: str | None) -> list[str]:
    """The administration's selection: every case of a regime, optionally only those whose
    participation ended in one month (the month's new former participants)."""
    start, before = regime_period(Regime(cohort))
    if ended_in is not None:
        month_start, month_end = parse_month(ended_in, "--ended-in")
        start = max(start or month_start, month_start)
        before = min(before or month_end, month_end)
    async with administration(settings) as admin:
        return await admin.case_ids(ended_from=start, ended_before=before)


async def start_wave(
    settings: Settings,
    wave_id: str,
    case_ids: list[str],
    wave_date: date | None,
    window: int,
    legal_date: date | None = None,
) -> str:
    """Record the wave in the administration and start its workflow (a no-op when started before)."""
    async with administration(settings) as admin:
        members = await admin.define_wave(wave_id, case_ids, wave_date)
        legal = await legal_settings(settings, admin, legal_date)
    async with temporal_client(settings) as client:
        try:
            await client.start_workflow(
                WaveWorkflow.run,
                WaveInput(
                    provider=settings.provider,
                    wave_id=wave_id,
                    legal=legal,
                    window=window,
                    max_busy=settings.wave_max_busy,
                ),
                id=wave_workflow_id(settings.provider, wave_id),
                task_queue=settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return f"wave {wave_id} was started before: nothing new started ({members} cases)"
    return f"wave {wave_id} started: {members} cases, {window} at a time, {settings.wave_max_busy} busy at most" + (
        f", register query on {wave_date}" if wave_date else ""
    )


@app.command()
@user_errors
def start(
    wave_id: Annotated[str | None, typer.Argument(help="the wave's id, unique per provider")] = None,
    cases: Annotated[Path | None, typer.Option("--cases", help="CSV with a case_id column (or one id a line)")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="every case in the administration")] = False,
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", help="every case of a regime: " + "; ".join(f"{k}: {v}" for k, v in COHORTS.items())),
    ] = None,
    ended_in: Annotated[
        str | None,
        typer.Option("--ended-in", help="with --cohort: only cases whose participation ended in this month (YYYY-MM)"),
    ] = None,
    plan: Annotated[
        Path | None, typer.Option("--plan", help="a plan from `wkp wave plan`: start all its waves")
    ] = None,
    wave_date: Annotated[str | None, typer.Option("--date", help="Besluit 17f: the plan's date for this wave")] = None,
    window: Annotated[int, typer.Option(min=1, max=1000, help="case starts in flight at once")] = 50,
    legal_date: Annotated[
        str | None,
        typer.Option("--legal-date", help="test environments only: run the cases' legal clock from this date"),
    ] = None,
) -> None:
    """Start a wave, or every wave of a plan. Starting the same wave again starts nothing; a
    case already running elsewhere is not started twice."""
    if plan is not None:
        if wave_id or cases or all_cases or cohort:
            raise fail("--plan starts the plan's own waves: give no ID, --cases, --all or --cohort with it")
        phased = PhasedPlan.model_validate(read_json(plan))
        settings = get_settings()

        async def run_plan() -> list[str]:
            migrate(settings.administration_url())
            legal_on = optional_date(legal_date, "--legal-date")
            return [await start_wave(settings, w.wave_id, w.case_ids, w.date, window, legal_on) for w in phased.waves]

        print("\n".join(asyncio.run(run_plan())))
        return
    if not wave_id or [bool(cases), all_cases, bool(cohort)].count(True) != 1:
        raise fail("give a wave ID and exactly one of --cases FILE, --all, --cohort REGIME (or --plan FILE)")
    if cohort is not None and cohort not in COHORTS:
        raise fail(f"--cohort: {cohort!r} is not a regime; choose one of {', '.join(COHORTS)}")
    if ended_in is not None and cohort is None:
        raise fail("--ended-in: selects within a --cohort; give --cohort too")
    if cohort == "17f" and wave_date is None:
        raise fail(
            "--date: existing small pensions (Besluit 17f.3) are queried on the plan's date; "
            "give --date or use `wkp wave plan`"
        )
    settings = get_settings()
    on = optional_date(wave_date, "--date")
    legal_on = optional_date(legal_date, "--legal-date")

    async def main() -> str:
        migrate(settings.administration_url())
        if cases:
            case_ids = read_case_ids(cases)
        elif cohort:
            case_ids = await cohort_case_ids(settings, cohort, ended_in)
            if not case_ids:
                raise fail(
                    f"--cohort: no case of regime {cohort}"
                    + (f" ended in {ended_in}" if ended_in else "")
                    + " in the administration"
                )
        else:
            async with administration(settings) as admin:
                case_ids = await admin.case_ids()
        return await start_wave(settings, wave_id, case_ids, on, window, legal_on)

    print(asyncio.run(main()))


@app.command("plan")
@user_errors
def make_plan(
    start_on: Annotated[str, typer.Option("--start", help="the first wave's date (from 2020-01-01)")],
    wave_size: Annotated[int, typer.Option("--wave-size", min=1, help="cases per wave")] = 1000,
    per_day: Annotated[
        int, typer.Option("--per-day", min=1, help="register queries a day agreed with the register")
    ] = 5000,
    out: Annotated[Path, typer.Option("--out", help="the plan (JSON); a CSV for review is written beside it")] = Path(
        "plan-17f.json"
    ),
) -> None:
    """Build the phased plan for existing small pensions (Besluit 17f.2) from the administration,
    for the back-office to review before `wkp wave start --plan FILE`."""
    settings = get_settings()
    first = parse_date(start_on, "--start")

    async def cases_and_ends() -> list[tuple[str, date]]:
        migrate(settings.administration_url())
        async with administration(settings) as admin:
            return await admin.participation_ends()

    phased = phased_plan(
        settings.provider, asyncio.run(cases_and_ends()), first, wave_size, per_day, settings.legal_calendar()
    )
    out.write_text(phased.model_dump_json(indent=1))
    review = out.with_suffix(".csv")
    with open(review, "w", newline="") as handle:
        writer = SafeWriter(handle)
        writer.writerow(["wave_id", "date", "case_id"])
        for wave in phased.waves:
            writer.writerows([wave.wave_id, wave.date.isoformat(), case_id] for case_id in wave.case_ids)
    count = sum(len(w.case_ids) for w in phased.waves)
    last = phased.waves[-1].date if phased.waves else "-"
    print(f"plan: {count} existing small pensions in {len(phased.waves)} waves, {first} to {last}; {out} and {review}")


async def progress_of(settings: Settings, wave_id: str) -> tuple[WaveProgress, dict[str, int], dict[str, int]]:
    async with temporal_client(settings) as client:
        try:
            progress = await client.get_workflow_handle(wave_workflow_id(settings.provider, wave_id)).query(
                WaveWorkflow.progress
            )
        except RPCError as error:
            raise fail(f"wave_id: no wave {wave_id!r} on the cluster ({error.message})") from None
    async with administration(settings) as admin:
        states = await admin.wave_case_states(wave_id)
        waiting = await admin.wave_waiting_reasons(wave_id)
    return progress, states, waiting


def describe(wave_id: str, progress: WaveProgress, states: dict[str, int], waiting: dict[str, int]) -> str:
    flag = (
        "cancelled"
        if progress.cancelled
        else "paused"
        if progress.paused
        else "done"
        if progress.done
        else "starting cases"
    )
    lines = [
        f"wave {wave_id}: {flag}; started {progress.counts.started}, already running {progress.counts.already_running}"
    ]
    lines += [f"  {state:<22} {count:>6}" for state, count in sorted(states.items(), key=lambda item: -item[1])]
    lines += [f"  waiting for {reason}: {count}" for reason, count in sorted(waiting.items())]
    return "\n".join(lines)


@app.command()
@user_errors
def status(
    wave_id: Annotated[str, typer.Argument()],
    watch: Annotated[bool, typer.Option("--watch", help="refresh every 2 s until Ctrl-C")] = False,
) -> None:
    """How far a wave is: cases started, and the cases' states (waiting, paid, failed, open …)
    in the administration."""
    settings = get_settings()
    if not watch:
        print(describe(wave_id, *asyncio.run(progress_of(settings, wave_id))))
        return

    async def follow() -> None:
        with Live(refresh_per_second=1) as live:
            while True:
                live.update(Text(describe(wave_id, *await progress_of(settings, wave_id))))
                await asyncio.sleep(2)  # the display's refresh interval

    try:
        asyncio.run(follow())
    except KeyboardInterrupt:
        pass


def steer(wave_id: str, update) -> None:
    settings = get_settings()

    async def main() -> WaveProgress:
        async with temporal_client(settings) as client:
            try:
                handle = client.get_workflow_handle(wave_workflow_id(settings.provider, wave_id))
                return await handle.execute_update(update)
            except RPCError as error:
                raise fail(f"wave_id: {wave_id!r}: {error.message}") from None
            except Exception as error:  # the validator's refusal: finished or cancelled
                raise fail(f"wave_id: {wave_id!r}: {error.__cause__ or error}") from None

    progress = asyncio.run(main())
    print(f"wave {wave_id}: paused={progress.paused} cancelled={progress.cancelled} started={progress.counts.started}")


@app.command()
def pause(wave_id: Annotated[str, typer.Argument()]) -> None:
    """Stop starting cases until resumed."""
    steer(wave_id, WaveWorkflow.pause)


@app.command()
def resume(wave_id: Annotated[str, typer.Argument()]) -> None:
    """Go on starting cases."""
    steer(wave_id, WaveWorkflow.resume)


@app.command()
def cancel(wave_id: Annotated[str, typer.Argument()]) -> None:
    """Start no further cases; the cases already started go on."""
    steer(wave_id, WaveWorkflow.cancel)


@app.command()
@user_errors
def report(
    wave_id: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="folder for wave-ID.html and wave-ID.csv")] = Path("."),
) -> None:
    """Write the wave report: HTML (counts by state, terms met and breached per article, a chart,
    the breaches) and a CSV of every case."""
    settings = get_settings()

    async def gather() -> tuple[int, list[CaseProjection], list[AuditStep]]:
        async with administration(settings) as admin:
            members = await admin.wave_size(wave_id)
            if not members:
                raise fail(f"wave_id: no wave {wave_id!r} in the administration")
            return members, *(await admin.wave_report_rows(wave_id))

    members, cases, trail = asyncio.run(gather())
    html, table = write_report(build_report(wave_id, date.today(), members, cases, trail), out)
    print(f"wave {wave_id}: {html} and {table}")
