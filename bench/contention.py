"""Benchmark: the bare baseline of bench/wave.py alone, and beside a process that only burns CPU,
taking the share of a core that the engine's own work takes in a wave (its workers' CPU beyond
the baseline's, and the register and provider stubs).

What it answers (issue 14): on this 2-core machine the dev server spends 4-10 ms more CPU per case
on a wave than on its baseline, with the same requests of every kind. Is that work the engine
gives it (bigger payloads, search attributes), or the cost of sharing two cores with more CPU
work of any kind (more context switches, caches shared, the Go runtime's idle spinning)? A burner
does no Temporal work at all: whatever it adds to the dev server's and the workers' CPU per
workflow is contention.

Runs alternate (none, burner, none, burner, ...) on a fresh dev server each; each prints the
rate, the dev server's and the workers' CPU per workflow, and the burner's CPU per workflow.

Run: .venv/bin/python bench/contention.py [N] [--share CORES] [--runs R]
"""

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import cpu_seconds  # noqa: E402
from bench.wave import DEFAULT_MAX_BUSY, ROLES, dev_server, run_baseline  # noqa: E402
from config.logging import configure_logging  # noqa: E402
from store.throwaway_postgres import free_port  # noqa: E402

PERIOD_S = 0.01  # the burner's duty cycle: busy for share x PERIOD_S, then asleep for the rest


def burn(share: float, stop) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        while time.perf_counter() - began < share * PERIOD_S:
            pass
        time.sleep((1 - share) * PERIOD_S)


async def baseline(n: int, activities: int, share: float) -> dict:
    stop = multiprocessing.Event()
    burner = multiprocessing.Process(target=burn, args=(share, stop), daemon=True) if share else None
    if burner:
        burner.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            async with await dev_server(free_port(), Path(folder) / "temporal.db") as env:
                result = await run_baseline(env, Path(folder), n, activities, 1, DEFAULT_MAX_BUSY)
            result["burner_cpu"] = cpu_seconds(burner.pid) if burner and burner.pid else 0.0
    finally:
        if burner:
            stop.set()
            burner.join()
    print()
    return result


def line(share: float, result: dict, n: int) -> str:
    per = 1000 / n
    return (
        f"burner {share:.2f} core: {n / result['elapsed']:.1f} workflows/s; CPU per workflow: dev server "
        f"{result['server_cpu'] * per:.0f} ms, workers {result['workers_cpu'] * per:.0f} ms, "
        f"burner {result['burner_cpu'] * per:.0f} ms; outside the run {result['outside_cores']:.2f} cores "
        f"(the burner among them), {result['steal_share'] * 100:.1f} % stolen"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument(
        "--share",
        type=float,
        default=0.5,
        help="share of a core the burner takes (default 0.5: about 12 ms per workflow, the CPU per case the "
        "engine's workers and stubs spend beyond the baseline's, 2026-12-05)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind, alternating (default 3)")
    parser.add_argument("--activities", type=int, default=5, help="no-op activities per workflow, as a case's steps")
    args = parser.parse_args()
    if not 0 < args.share < 1:
        parser.error("--share: a share of one core, between 0 and 1")
    ROLES[:] = ["workflows", "activities"]  # as bench/wave.py's default layout
    configure_logging(level="WARNING")
    runs: dict[float, list[dict]] = {0.0: [], args.share: []}
    for _ in range(args.runs):
        for share in runs:
            runs[share].append(await baseline(args.n, args.activities, share))
    for share, results in runs.items():
        for result in results:
            print(line(share, result, args.n))
    alone, beside = (median(args.n / r["elapsed"] for r in runs[s]) for s in runs)
    print(
        f"median rate beside the burner against alone: {beside / alone:.2f}; dev server CPU per workflow, "
        f"median: {median(r['server_cpu'] for r in runs[0.0]) * 1000 / args.n:.0f} ms alone, "
        f"{median(r['server_cpu'] for r in runs[args.share]) * 1000 / args.n:.0f} ms beside the burner"
    )


if __name__ == "__main__":
    asyncio.run(main())
