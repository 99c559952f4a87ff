"""`wkp admin`: the provider's administration database."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backoffice.errors import user_errors
from config.logging import configure_logging, get_logger
from config.settings import get_settings
from store.database import migrate, sync_url
from store.factory import open_administration
from store.intake import import_entitlements

app = typer.Typer(help="The provider's administration: create it, load small pensions into it.", no_args_is_help=True)

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
        await admin.engine.dispose()


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
