"""The simulation harness behind `wkp simulate` and the workflow tests: a scenario
(scenarios/FORMAT.md) through the real workflows and activities, against the stubs over HTTP and
a temporary administration, on Temporal's time-skipping test server. Years pass in seconds.

    run = await simulate(scenario, basis, SimulationOptions(keep_histories=True))
    run.lines       # one FORMAT.md line per case and incoming transfer
    run.histories   # every recorded workflow history (for replay and golden files)
"""

from sim.harness import SimulationOptions, SimulationRun, simulate
from sim.shards import shard_scenarios, simulate_sharded

__all__ = ["SimulationOptions", "SimulationRun", "shard_scenarios", "simulate", "simulate_sharded"]
