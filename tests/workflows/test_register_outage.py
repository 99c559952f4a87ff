"""A register that fails often delays cases and loses none: the same scenario gives the same
outcomes and dates with half of all register calls failing."""

from rules.scenario import validate_scenario
from sim import SimulationOptions, simulate
from stubs.register import RegisterConfig
from tests.workflows.test_paths import SCENARIO


async def test_register_faults_delay_nothing_that_matters_and_lose_no_case(basis):
    scenario = validate_scenario({**SCENARIO, "incoming": []})
    calm = await simulate(scenario, basis)
    stormy = await simulate(scenario, basis, SimulationOptions(register=RegisterConfig(error_rate=0.5, seed=7)))
    assert stormy.register.failed > 10 and stormy.register.answered > 10  # the storm was real
    # Retries happen within the same legal day, so even the dates agree.
    assert stormy.lines == calm.lines
    assert {line["outcome"] for line in stormy.lines} >= {"transferred", "bought_off", "open"}
