"""A register that fails often delays cases and loses none: the same scenario gives the same
outcomes and dates with half of all register calls failing."""

from backoffice.simulate import simulate
from rules.scenario import validate_scenario
from stubs.register import RegisterConfig
from tests.workflows.test_paths import SCENARIO


async def test_register_faults_delay_nothing_that_matters_and_lose_no_case(basis):
    scenario = validate_scenario({**SCENARIO, "incoming": []})
    calm = await simulate(scenario, basis)
    stats: list = []
    stormy = await simulate(
        scenario, basis, register_config=RegisterConfig(error_rate=0.5, seed=7), register_stats=stats
    )
    assert stats[0].failed > 10 and stats[0].answered > 10  # the storm was real
    # Retries happen within the same legal day, so even the dates agree.
    assert stormy == calm
    assert {line["outcome"] for line in stormy} >= {"transferred", "bought_off", "open"}
