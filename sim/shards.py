"""Large scenarios as independent shards, one time-skipping server each, in parallel processes:
the test server's cost grows faster than its number of workflows, and cases do not affect one
another. The lines come back in the scenario's order."""

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from models.scenario import Scenario
from rules.basis import ActuarialBasis
from sim.harness import simulate

SHARD_FROM_CASES = 400  # below this, one process is faster than starting several


def shard_scenarios(scenario: Scenario, shards: int) -> list[Scenario]:
    """Split the cases and incoming transfers round-robin; each shard keeps the whole world
    (providers, ratios, register) and the plan's waves restricted to its own cases."""
    parts = []
    for index in range(shards):
        cases = scenario.cases[index::shards]
        own = {case.case_id for case in cases}
        waves = [
            wave.model_copy(update={"case_ids": [c for c in wave.case_ids if c in own]}) for wave in scenario.plan.waves
        ]
        parts.append(
            scenario.model_copy(
                update={
                    "cases": cases,
                    "incoming": scenario.incoming[index::shards],
                    "plan": scenario.plan.model_copy(update={"waves": [w for w in waves if w.case_ids]}),
                }
            )
        )
    return parts


def simulate_in_process(scenario_json: str, basis_json: str) -> list[dict[str, Any]]:
    """Entry point of one shard's process."""
    from config.logging import configure_logging

    configure_logging(level="WARNING")
    scenario = Scenario.model_validate_json(scenario_json)
    return asyncio.run(simulate(scenario, ActuarialBasis.model_validate_json(basis_json))).lines


def simulate_sharded(scenario: Scenario, basis: ActuarialBasis, shards: int | None = None) -> list[dict[str, Any]]:
    count = len(scenario.cases) + len(scenario.incoming)
    shards = shards or (1 if count < SHARD_FROM_CASES else max(2, os.cpu_count() or 2))
    if shards == 1:
        return asyncio.run(simulate(scenario, basis)).lines
    parts = shard_scenarios(scenario, shards)
    with ProcessPoolExecutor(max_workers=shards, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(
            pool.map(
                simulate_in_process,
                [p.model_dump_json(by_alias=True) for p in parts],
                [basis.model_dump_json()] * shards,
            )
        )
    by_key = {line.get("case_id") or ("in", line.get("transfer_id")): line for lines in results for line in lines}
    return [by_key[case.case_id] for case in scenario.cases] + [
        by_key[("in", t.transfer_id)] for t in scenario.incoming
    ]
