"""`wkp simulate`: a scenario (scenarios/FORMAT.md) through the real workflows on a time-skipping
server; one JSON line per case and per incoming transfer on standard output."""

from pathlib import Path
from typing import Annotated

import typer

from backoffice.errors import user_errors
from config.logging import configure_logging
from config.settings import get_settings
from rules.scenario import load_scenario
from sim import simulate_sharded
from sim.results import print_lines


@user_errors
def simulate(
    scenario_file: Annotated[
        Path, typer.Argument(metavar="SCENARIO.json", help="a scenario as in scenarios/FORMAT.md")
    ],
) -> None:
    """Run a scenario through the real workflows on a time-skipping server; one JSON line per
    case and per incoming transfer."""
    configure_logging(level="WARNING")
    scenario = load_scenario(scenario_file)
    print_lines(simulate_sharded(scenario, get_settings().actuarial_basis()))
