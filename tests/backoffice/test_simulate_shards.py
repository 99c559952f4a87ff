"""A scenario run as parallel shards gives exactly the records of one run, in scenario order."""

import asyncio

from rules.scenario import validate_scenario
from sim import shard_scenarios, simulate, simulate_sharded
from tests.workflows.test_paths import SCENARIO


def test_shards_split_cases_and_their_waves():
    scenario = validate_scenario(SCENARIO)
    first, second = shard_scenarios(scenario, 2)
    assert {c.case_id for c in first.cases} | {c.case_id for c in second.cases} == {c.case_id for c in scenario.cases}
    assert not {c.case_id for c in first.cases} & {c.case_id for c in second.cases}
    for part in (first, second):
        planned = {case_id for wave in part.plan.waves for case_id in wave.case_ids}
        assert planned <= {c.case_id for c in part.cases}
        validate_scenario(part.model_dump(mode="json", by_alias=True))  # each shard is a valid scenario


def test_sharded_run_equals_a_single_run(basis):
    scenario = validate_scenario(SCENARIO)
    single = asyncio.run(simulate(scenario, basis)).lines
    sharded = simulate_sharded(scenario, basis, shards=2)
    assert sharded == single
