"""`wkp admin`: the provider's administration database."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backoffice import case_events, operator_data
from backoffice.errors import user_errors
from backoffice.options import optional_date, parse_date
from config.logging import configure_logging, get_logger
from config.settings import get_settings
from store.database import migrate, sync_url
from store.factory import open_administration
from store.intake import import_entitlements

app = typer.Typer(
    help="The provider's administration: create it, load small pensions and the data cases wait for.",
    no_args_is_help=True,
)

EXIT_SOME_REJECTED = 3


def shown_url(url: str) -> str:
    return sync_url(url).render_as_string(hide_password=True)


@app.command()
@user_errors
def init() -> None:
    """Create the administration database, or migrate it to the current schema."""
    url = get_settings().administration_url()
    migrate(url)
    print(f"administration ready at {shown_url(url)}")


def count_records(path: Path) -> int:
    with open(path, "rb") as source:
        return max(sum(1 for _ in source) - 1, 0)


async def run_import(path: Path, rejects: Path, show_progress: bool):
    settings = get_settings()
    migrate(settings.administration_url())
    admin = open_administration(settings)
    try:
        with Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=not show_progress,
            transient=True,
        ) as progress:
            task = progress.add_task(path.name, total=count_records(path) if path.is_file() else None)
            return await import_entitlements(
                admin, path, rejects, progress=lambda rows: progress.update(task, completed=rows)
            )
    finally:
        await admin.close()


@app.command("import")
@user_errors
def import_csv(
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="the provider's export; columns in the README")],
    rejects: Annotated[Path | None, typer.Option(help="where bad rows are reported (default FILE.rejects.csv)")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="show a progress bar")] = True,
) -> None:
    """Load former participants' small pensions. Bad rows go to the reject file with line,
    field and reason; good rows are loaded; importing the same file again changes nothing.
    Exit code 0: all rows good; 3: some rows rejected; 2: the file itself is unusable."""
    configure_logging()
    reject_path = rejects or csv_file.with_name(csv_file.stem + ".rejects.csv")
    report = asyncio.run(run_import(csv_file, reject_path, progress))
    get_logger(step="intake").info(
        "import finished",
        file=csv_file.name,
        rows=report.rows,
        loaded=report.loaded,
        unchanged=report.unchanged,
        rejected=report.rejected_rows,
    )
    print(report.summary())
    if report.rejected_rows:
        raise typer.Exit(EXIT_SOME_REJECTED)


@app.command("events")
@user_errors
def events_csv(
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="columns case_id,on,kind,value")],
    rejects: Annotated[Path | None, typer.Option(help="where bad rows are reported (default FILE.rejects.csv)")] = None,
) -> None:
    """Deliver the administration's daily batch to the running cases (RULES.md §8): kind
    death_date or pension_date with a date as value, or request with individual_transfer (PW 71)
    or calculation_statement (17e.7); `on` is the day it was learned. Bad or refused rows go to
    the reject file; importing again delivers nothing twice.
    Exit code 0: all rows good; 3: some rows rejected; 2: the file itself is unusable."""
    configure_logging()
    reject_path = rejects or csv_file.with_name(csv_file.stem + ".rejects.csv")
    report = asyncio.run(case_events.import_events_file(get_settings(), csv_file, reject_path, operator_data.today()))
    get_logger(step="events").info(
        "events delivered", file=csv_file.name, rows=report.rows, delivered=report.delivered, rejected=report.rejected
    )
    print(report.summary())
    if report.rejected:
        raise typer.Exit(EXIT_SOME_REJECTED)


# -- operator data: what cases wait for when nobody has recorded it --------------------------

threshold_app = typer.Typer(help="Small-pension thresholds (PW 66) for years the engine does not ship.")
provider_app = typer.Typer(help="The other providers cases transfer to (fund, insurer, ppi).")
ratio_app = typer.Typer(help="Funds' month-end policy funding ratios (beleidsdekkingsgraad, PW 72).")
holiday_app = typer.Typer(help="Days a Royal decree made equal to a holiday (Atw 3.3).")
afkoopvoet_app = typer.Typer(help="The provider's buy-out factors (afkoopvoet, Besluit 16), period by period.")
app.add_typer(threshold_app, name="threshold")
app.add_typer(provider_app, name="provider")
app.add_typer(ratio_app, name="funding-ratio")
app.add_typer(holiday_app, name="holiday")
app.add_typer(afkoopvoet_app, name="afkoopvoet")


@threshold_app.command("set")
@user_errors
def threshold_set(
    year: Annotated[int, typer.Argument(min=1900, max=2150, help="the year participation ended")],
    amount: Annotated[str, typer.Argument(help="the published threshold in euros, e.g. 640.00")],
    source: Annotated[str, typer.Option("--source", help="where it was published (Staatscourant …)")],
) -> None:
    """Record a year's threshold; cases waiting for it go on at once. Never below a statutory one."""
    record = operator_data.threshold_record(year, amount, source)
    print(asyncio.run(operator_data.record_threshold(get_settings(), record)))


@threshold_app.command("list")
@user_errors
def threshold_list() -> None:
    """Every threshold the engine knows: shipped (with their source) and recorded by operators."""
    for line in asyncio.run(operator_data.threshold_lines(get_settings())):
        print(line)


@provider_app.command("add")
@user_errors
def provider_add(
    provider_id: Annotated[str, typer.Argument(help="the provider's id, as the register names it")],
    kind: Annotated[str, typer.Option("--kind", help="fund, insurer or ppi")],
    name: Annotated[str | None, typer.Option("--name", help="the provider's name")] = None,
) -> None:
    """Record (or correct) a provider; cases waiting for it go on at once."""
    record = operator_data.provider_record(provider_id, kind, name)
    print(asyncio.run(operator_data.record_provider(get_settings(), record)))


@provider_app.command("list")
@user_errors
def provider_list() -> None:
    for line in asyncio.run(operator_data.provider_lines(get_settings())):
        print(line)


@ratio_app.command("set")
@user_errors
def ratio_set(
    provider_id: Annotated[str, typer.Argument(help="the fund")],
    month: Annotated[str, typer.Argument(help="the month whose last day the ratio is of (YYYY-MM)")],
    ratio: Annotated[str, typer.Argument(help="the policy funding ratio as a fraction, e.g. 1.054")],
    source: Annotated[str, typer.Option("--source", help="where it was published (DNB, the fund's site …)")],
) -> None:
    """Record a fund's month-end policy funding ratio; cases waiting for it go on at once."""
    record = operator_data.ratio_record(provider_id, month, ratio, source)
    print(asyncio.run(operator_data.record_ratios(get_settings(), [record])))


@ratio_app.command("import")
@user_errors
def ratio_import(
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="columns provider_id,month,ratio,source")],
    rejects: Annotated[Path | None, typer.Option(help="where bad rows are reported (default FILE.rejects.csv)")] = None,
) -> None:
    """Load a month's published ratios. Bad rows go to the reject file; importing again changes
    nothing. Exit code 0: all rows good; 3: some rows rejected; 2: the file is unusable."""
    reject_path = rejects or csv_file.with_name(csv_file.stem + ".rejects.csv")
    records, rejected = operator_data.read_ratio_csv(csv_file, reject_path)
    print(asyncio.run(operator_data.record_ratios(get_settings(), records)))
    if rejected:
        print(f"{rejected} row(s) rejected: {reject_path}")
        raise typer.Exit(EXIT_SOME_REJECTED)


@holiday_app.command("add")
@user_errors
def holiday_add(
    day: Annotated[str, typer.Argument(help="the day (YYYY-MM-DD)")],
    source: Annotated[str, typer.Option("--source", help="the decree (Besluit gelijkstelling …)")],
) -> None:
    """Record a Royal-decree day: every case started from now on counts it as a holiday."""
    record = operator_data.decree_record(parse_date(day, "day"), source)
    print(asyncio.run(operator_data.record_decree_day(get_settings(), record)))


@holiday_app.command("list")
@user_errors
def holiday_list() -> None:
    for line in asyncio.run(operator_data.decree_lines(get_settings())):
        print(line)


@afkoopvoet_app.command("set")
@user_errors
def afkoopvoet_set(
    valid_from: Annotated[str, typer.Argument(help="the first day it is in force (YYYY-MM-DD)")],
    source: Annotated[str, typer.Option("--source", help="the board decision or actuarial report it comes from")],
    factor: Annotated[str | None, typer.Option("--factor", help="one factor for every age, e.g. 11.85")] = None,
    by_age: Annotated[
        Path | None, typer.Option("--by-age", metavar="FILE.csv", help="a factor per age: columns age,factor")
    ] = None,
    valid_to: Annotated[str | None, typer.Option("--valid-to", help="its last day (default: the next begins)")] = None,
) -> None:
    """Record the afkoopvoet in force from a day: every buy-out paid in its period pays factor x
    the annual pension; buy-outs waiting for one go on at once. Recorded periods win over the
    configured table (WKP_AFKOOPVOET_FILE) for the days they cover."""
    period = operator_data.afkoopvoet_record(
        parse_date(valid_from, "valid_from"), optional_date(valid_to, "--valid-to"), factor, by_age, source
    )
    print(asyncio.run(operator_data.record_afkoopvoet(get_settings(), period)))


@afkoopvoet_app.command("list")
@user_errors
def afkoopvoet_list() -> None:
    """Every afkoopvoet period the engine knows: recorded by operators, then configured."""
    for line in asyncio.run(operator_data.afkoopvoet_lines(get_settings())):
        print(line)
