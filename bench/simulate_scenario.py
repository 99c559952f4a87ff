"""Benchmark: `wkp simulate` on a generated 1,000-case, ten-year scenario (mixed paths: found
early, found late, never found with and without consent, refusals, suspension, lapses, the
transitional and 17f regimes, incoming transfers). Prints wall time and outcome counts.
Run: .venv/bin/python bench/simulate_scenario.py [CASES] [--write FILE]"""

import json
import sys
import time
from collections import Counter

from config.logging import configure_logging
from models.bsn import bsn_problem
from rules.basis import load_basis
from rules.scenario import validate_scenario
from sim import simulate_sharded


def nth_bsn(n: int) -> str:
    prefix = 30_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def generate(cases: int) -> dict:
    scenario = {
        "name": f"bench-{cases}",
        "provider": "PF-A",
        "start": "2021-01-01",
        "until": "2030-12-31",
        "providers": {"PF-B": {"kind": "fund"}, "PF-C": {"kind": "insurer"}, "PF-R": {"kind": "ppi", "accepts": False}},
        "funding_ratios": {"PF-B": {"2023-02": 0.98}},
        "register": [],
        "cases": [],
        "incoming": [],
        "plan": {"waves": [{"id": "W1", "date": "2021-09-01", "case_ids": []}]},
    }
    for i in range(cases):
        bsn, kind = nth_bsn(i), i % 10
        end = ["2021-03-31", "2021-06-30", "2020-11-30", "2018-05-31", "2015-04-30"][i % 5]
        case = {
            "case_id": f"C-{i}",
            "bsn": bsn,
            "birth_date": f"{1960 + i % 30}-0{1 + i % 9}-15",
            "participation_end": end,
            "pension_date": f"{2027 + i % 30}-0{1 + i % 9}-15",
            "old_age_pension": f"{3 + i % 400}.{i % 100:02d}",
            "consent_to_buyout": [True, False, None][i % 3],
        }
        if end.startswith("2015"):
            scenario["plan"]["waves"][0]["case_ids"].append(case["case_id"])
        scenario["cases"].append(case)
        provider = {0: "PF-B", 1: "PF-C", 2: "PF-R", 3: "PF-B"}.get(kind)
        if provider:
            scenario["register"].append({"bsn": bsn, "provider": provider, "from": f"{2021 + i % 6}-02-01", "to": None})
    for j in range(cases // 10):
        scenario["incoming"].append(
            {
                "transfer_id": f"IN-{j}",
                "from_provider": "PF-C",
                "bsn": nth_bsn(cases + j),
                "birth_date": "1985-05-05",
                "amount": f"{100 + j}.00",
                "received": f"202{1 + j % 9}-0{1 + j % 9}-28",
            }
        )
    return scenario


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
    scenario = generate(cases)
    if "--write" in sys.argv:
        with open(sys.argv[sys.argv.index("--write") + 1], "w") as out:
            json.dump(scenario, out)
    configure_logging(level="WARNING")
    started = time.perf_counter()
    lines = simulate_sharded(validate_scenario(scenario), load_basis())
    elapsed = time.perf_counter() - started
    events = sum(len(line["events"]) for line in lines)
    print(
        f"simulate: {cases} cases + {len(scenario['incoming'])} incoming over 10 years in {elapsed:.1f} s "
        f"({events} events, {events / elapsed:.0f} events/s)"
    )
    print("outcomes:", dict(sorted(Counter(line["outcome"] for line in lines).items())))


if __name__ == "__main__":
    main()
