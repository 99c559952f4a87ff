"""The `wkp` command line."""

from pathlib import Path
from typing import Annotated

import typer

from backoffice import admin_cli, audit_cli, case_cli, cluster_cli, rules_cli, stack_cli, wave_cli
from backoffice.errors import user_errors

app = typer.Typer(
    help="wkp: automatic transfer of small pensions (waardeoverdracht klein pensioen).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(rules_cli.app, name="rules")
app.add_typer(admin_cli.app, name="admin")
app.add_typer(wave_cli.app, name="wave")
app.add_typer(case_cli.app, name="case")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(cluster_cli.app, name="cluster")
app.command()(stack_cli.up)
app.command()(stack_cli.down)
app.command()(stack_cli.worker)
app.command()(stack_cli.demo)


@app.command("codec-server")
def codec_server() -> None:
    """Serve the payload codec for the Temporal UI and CLI (decodes only with a valid token;
    WKP_CODEC_TOKENS, WKP_CODEC_PORT, WKP_CODEC_CORS_ORIGINS)."""
    from codec.server import main

    main()


@app.command()
@user_errors
def simulate(
    scenario_file: Annotated[
        Path, typer.Argument(metavar="SCENARIO.json", help="a scenario as in scenarios/FORMAT.md")
    ],
) -> None:
    """Run a scenario through the real workflows on a time-skipping server; one JSON line per
    case and per incoming transfer."""
    from backoffice.simulate import print_lines, simulate_sharded
    from config.logging import configure_logging
    from config.settings import get_settings
    from rules.scenario import load_scenario

    configure_logging(level="WARNING")
    scenario = load_scenario(scenario_file)
    print_lines(simulate_sharded(scenario, get_settings().actuarial_basis()))


if __name__ == "__main__":
    app()
