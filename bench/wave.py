"""Benchmark: a wave of N cases (default 10,000) on the embedded dev server, against a bare
baseline on a dev server of its own, as fresh as the wave's.

The cases: imported into a fresh administration, the register stub names a receiving provider
for each (answer immediate), and one wave starts them all (`wkp wave start` does the same). Each
case runs query -> funding check -> transfer value -> payment -> acknowledged -> closed. The
engine's worker runs as its own process (as in production) under the configured register rate.
The baseline: N bare workflows, each running as many no-op activities as one case runs (with the
engine's step timeout), on as many worker processes of the same kind, with the same workflow
cache, activity slots, pollers and payload codec, started the same way (no more open at once than
the wave keeps busy). Prints cases/s, baseline workflows/s, their ratio, the workers' peak memory
(VmHWM), the register rate observed at the stub vs the limit, and why: the most cases open at once,
workflow cache hits and misses, and the mean schedule-to-start of workflow tasks and activities
(from the workers' Prometheus metrics), each run's rate and dev server CPU per case over its
second and its ninth tenth (does it slow as it grows, and is the dev server why), and what the
dev server did per case (its own metrics).

Run: .venv/bin/python bench/wave.py [N] [--database sqlite|postgresql] [--workers K]
     [--register-rate PER_SECOND] [--layout split|combined] [--wave-only] [--baseline-unbounded]
     [--pairs P] [--against M [--baseline-only]]
With --against M it runs the wave alone at M cases, at N, and at M again, and prints the N-case rate
against the mean of the two M-case rates: a wave's rate as it grows, measured within the same
stretch of time (this machine's speed swings too much between runs half an hour apart); with
--baseline-only the same for the bare baseline, to see what the dev server filling costs bare Temporal.
With --pairs P it runs P wave-and-baseline pairs, alternating which goes first, and prints the
full report of the pair with the median ratio, every pair's rates and the range of the ratio.
"""

import argparse
import asyncio
import base64
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from backoffice.stack import ONE_PARTITION, dev_server_file
from codec.converter import encrypted_converter
from codec.encryption import KeyRing
from config.binaries import temporal_cli
from config.logging import configure_logging
from config.temporal_runtime import quiet_runtime
from models.bsn import bsn_problem
from models.ids import case_workflow_id, wave_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.transfer import LegalSettings
from models.wave import DEFAULT_MAX_BUSY, WaveInput
from rules.legal_time import amsterdam_midnight
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.intake import import_entitlements
from store.repository import Administration
from store.throwaway_postgres import ThrowawayPostgres, free_port
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES
from workflows.wave import WaveWorkflow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the bench's own modules, when it runs as a script

from bench.processes import (  # noqa: E402
    cluster_cpu_seconds,
    cpu_seconds,
    dev_server_pid,
    machine_ticks,
    peak_rss_mib,
)

KEYS = KeyRing({"bench": secrets.token_bytes(32)}, "bench")  # payloads encrypted, as in production
LEGAL_DATE = __import__("datetime").date(2022, 4, 4)  # a Monday; participation ended 2022-03-31


def bench_bsn(n: int) -> str:
    prefix = 50_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


class CpuMeter:
    """CPU seconds used by the dev server, the workers, this process (stubs, starts, polling) and
    the PostgreSQL cluster over one phase: what each case costs where, beside the wall-clock rate.
    The cluster shares the machine's cores with the rest, so its CPU slows both."""

    def __init__(self, workers: list[subprocess.Popen], postgres: ThrowawayPostgres | None = None) -> None:
        self.server = dev_server_pid()
        self.postgres = postgres
        self.start = (cpu_seconds(self.server), cpu_seconds(os.getpid()), cluster_cpu_seconds(postgres))
        # The workers' time counts from their start (their imports are part of a run); only what
        # the machine did outside the run is measured from here.
        self.machine = machine_ticks()
        self.workers_before = sum(cpu_seconds(worker.pid) for worker in workers)

    def stop(self, workers: list[subprocess.Popen]) -> dict[str, Any]:
        """`workers` as `fleet` started them: each role's processes together, in ROLES order."""
        used = [cpu_seconds(worker.pid) for worker in workers]
        per_role = len(workers) // len(ROLES)
        busy, steal, total = (now - then for now, then in zip(machine_ticks(), self.machine, strict=True))
        measured = {
            "server_cpu": cpu_seconds(self.server) - self.start[0],
            "bench_cpu": cpu_seconds(os.getpid()) - self.start[1],
            "database_cpu": cluster_cpu_seconds(self.postgres) - self.start[2],
            "workers_cpu": sum(used),
        }
        tick = os.sysconf("SC_CLK_TCK")
        return {
            **measured,
            # The dev server holds every workflow it has run (it is fresh for each run).
            "server_memory": peak_rss_mib(self.server),
            "role_cpu": {role: sum(used[i * per_role : (i + 1) * per_role]) for i, role in enumerate(ROLES)},
            # What else the machine did meanwhile: CPU of processes outside the run (another job,
            # the system) and time the hypervisor took, both in cores over the run. A pair whose
            # runs differ in either was not measured on the same machine.
            "outside_cores": max(0.0, busy / tick - sum(measured.values()) + self.workers_before)
            / (total / tick / (os.cpu_count() or 1)),
            "steal_share": steal / total if total else 0.0,
        }


class Stretches:
    """Cases done over time, with the dev server's CPU: the rate and the dev server's CPU per case
    over a run's second and its ninth tenth, so a reader sees whether a run slows as it grows, and
    whether the dev server is why (machine swings between runs do not enter a comparison within one)."""

    def __init__(self, server: int) -> None:
        self.server = server
        self.samples: list[tuple[float, int, float]] = []  # (seconds, done, dev server CPU seconds)

    def add(self, done: int) -> None:
        self.samples.append((time.perf_counter(), done, cpu_seconds(self.server)))

    def between(self, low: int, high: int) -> tuple[float, float] | None:
        """Cases/s and dev server ms per case from the first sample past `low` done to the first at `high`."""
        begin = next((s for s in self.samples if s[1] > low), None)
        end = next((s for s in self.samples if s[1] >= high), None)
        if begin is None or end is None or end[1] <= begin[1] or end[0] <= begin[0]:
            return None
        done = end[1] - begin[1]
        return done / (end[0] - begin[0]), (end[2] - begin[2]) / done * 1000

    def text(self, n: int) -> str:
        tenth = max(n // 10, 1)
        parts = []
        # The second and the ninth tenth: away from the start-up and from the drain at the end,
        # when fewer cases are busy than the bound allows.
        for name, low, high in (("2nd", tenth, 2 * tenth), ("9th", n - 2 * tenth, n - tenth)):
            measured = self.between(low, high)
            if measured:
                parts.append(f"{name} tenth {measured[0]:.1f}/s (dev server {measured[1]:.0f} ms per case)")
        return "; ".join(parts) or "too few samples"


def roles_cpu(role_cpu: dict[str, float], n: int) -> str:
    return ", ".join(f"{role} {seconds / n * 1000:.0f}" for role, seconds in role_cpu.items())


async def until(condition, every: float = 1.0) -> None:
    while not await condition():
        await asyncio.sleep(every)  # polling interval of the progress check


async def running(client: Client, workflow_type: str) -> int:
    return (await client.count_workflows(f'WorkflowType = "{workflow_type}" AND ExecutionStatus = "Running"')).count


def samples(port: int) -> list[tuple[str, str, float]]:
    """A process's Prometheus metrics (a worker's or the dev server's): (name, line, value) per sample."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        lines = response.read().decode().splitlines()
    return [
        (line.split("{")[0].split(" ")[0], line, float(line.rsplit(" ", 1)[-1]))
        for line in lines
        if line and not line.startswith("#")
    ]


def scrape(ports: list[int]) -> dict[str, float]:
    """The workers' Prometheus metrics, each series summed over the workers (labels dropped, but
    for the activity type: `name[type]`, so a reader sees which step takes the time)."""
    totals: Counter = Counter()
    for port in ports:
        for name, line, value in samples(port):
            totals[name] += value
            activity_type = re.search(r'activity_type="([^"]+)"', line)
            if activity_type and "{" in line and not name.endswith("_bucket"):
                totals[f"{name}[{activity_type.group(1)}]"] += value
    return dict(totals)


EXECUTION = "temporal_activity_execution_latency"


def why(metrics: dict[str, float]) -> dict[str, float]:
    def mean(histogram: str) -> float:
        base, _, label = histogram.partition("[")
        label = f"[{label}" if label else ""
        count = metrics.get(f"{base}_count{label}", 0)
        return metrics.get(f"{base}_sum{label}", 0) / count if count else float("nan")

    steps = sorted({name.split("[")[1][:-1] for name in metrics if name.startswith(EXECUTION + "_count[")})
    return {
        "steps_ms": {step: mean(f"{EXECUTION}[{step}]") for step in steps},
        "cache_hits": metrics.get("temporal_sticky_cache_hit_total", metrics.get("temporal_sticky_cache_hit", 0)),
        "cache_misses": metrics.get("temporal_sticky_cache_miss_total", metrics.get("temporal_sticky_cache_miss", 0)),
        "wft_schedule_to_start_ms": mean("temporal_workflow_task_schedule_to_start_latency"),
        "activity_schedule_to_start_ms": mean("temporal_activity_schedule_to_start_latency"),
    }


def worker_processes(count: int, command: list[str], env: dict, log: Path) -> tuple[list[subprocess.Popen], list[int]]:
    ports = [free_port() for _ in range(count)]
    sink = open(log, "ab")
    processes = [
        subprocess.Popen(command, cwd=ROOT, env={**env, "WKP_METRICS_PORT": str(port)}, stdout=sink, stderr=sink)
        for port in ports
    ]
    return processes, ports


ROLES = ["all"]  # set by --layout: ["workflows", "activities"] runs each role in processes of its own


def fleet(count: int, command: list[str], env: dict, log: Path) -> tuple[list[subprocess.Popen], list[int]]:
    """`count` workers of each role in ROLES (WKP_WORKER_ROLE), the engine's and the baseline's alike."""
    processes: list[subprocess.Popen] = []
    ports: list[int] = []
    for role in ROLES:
        more, more_ports = worker_processes(count, command, {**env, "WKP_WORKER_ROLE": role}, log)
        processes, ports = processes + more, ports + more_ports
    return processes, ports


def alive(processes: list[subprocess.Popen], log: Path) -> None:
    """A worker that died makes the run fail at once rather than wait for ever."""
    for process in processes:
        if process.poll() is not None:
            raise RuntimeError(f"a worker process exited (code {process.returncode}); see {log}")


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)


async def run_cases(
    env, workdir: Path, n: int, rate: float, url: str, workers: int, postgres: ThrowawayPostgres | None
) -> dict:
    key = secrets.token_bytes(32)
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(key))
    for provider in ("PF-A", "PF-B"):
        await admin.upsert_provider(ProviderRecord(id=provider, kind="fund"))
        await admin.set_funding_ratio(provider, "2022-03", Decimal("1.15"))
    bsns = [bench_bsn(i) for i in range(n)]
    export = workdir / "export.csv"
    export.write_text(
        "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n"
        + "".join(
            f"B-{i:06d},{bsn},1980-01-01,2022-03-31,2047-01-01,{100 + i % 400}.00\n" for i, bsn in enumerate(bsns)
        )
    )
    await import_entitlements(admin, export, workdir / "rejects.csv")
    await admin.define_wave("BENCH", [f"B-{i:06d}" for i in range(n)])
    spells = [AccrualSpell.model_validate({"bsn": bsn, "provider": "PF-B", "from": "2022-01-01"}) for bsn in bsns]
    register_app = create_register_app(spells, RegisterConfig(token="T"))
    providers_app = create_providers_app({"PF-B": ProviderProfile(kind="fund")})
    client = env.client
    async with serving(register_app) as register_url, serving(providers_app) as providers_url:
        worker_env = {
            **os.environ,
            "WKP_TEMPORAL_ADDRESS": client.service_client.config.target_host,
            "WKP_TASK_QUEUE": "bench",
            "WKP_DATABASE_URL": url,
            "WKP_PAYLOAD_KEYS": KEYS.to_json(),
            "WKP_BSN_KEY": base64.b64encode(key).decode(),
            "WKP_HOME": str(workdir),
            "WKP_REGISTER_URL": register_url,
            "WKP_REGISTER_TOKEN": "T",
            "WKP_PROVIDERS_URL": providers_url,
            "WKP_REGISTER_RATE_PER_SECOND": str(rate),
        }
        processes, ports = fleet(workers, [sys.executable, "worker.py"], worker_env, workdir / "worker.log")
        open_cases = 0
        try:
            offset = (
                amsterdam_midnight(LEGAL_DATE)
                + __import__("datetime").timedelta(hours=9)
                - await env.get_current_time()
            )
            started, meter = time.perf_counter(), CpuMeter(processes, postgres)
            stretches = Stretches(meter.server)
            await client.start_workflow(
                WaveWorkflow.run,
                WaveInput(
                    provider="PF-A",
                    wave_id="BENCH",
                    legal=LegalSettings(clock_offset_s=offset.total_seconds()),
                    window=200,
                    page_size=1000,
                ),
                id=wave_workflow_id("PF-A", "BENCH"),
                task_queue="bench",
            )

            async def all_closed() -> bool:
                nonlocal open_cases
                alive(processes, workdir / "worker.log")
                paid = len(providers_app.state.ledger)
                now_open = await running(client, "OutgoingSmallPensionTransfer")
                open_cases = max(open_cases, now_open)
                stretches.add(paid)
                print(
                    f"\r  cases: {paid}/{n} paid, {now_open} open, {time.perf_counter() - started:.0f} s",
                    end="",
                    flush=True,
                )
                return paid >= n and now_open == 0 and await running(client, "TransferWave") == 0

            await until(all_closed)
            elapsed, cpu = time.perf_counter() - started, meter.stop(processes)
            memory = max(peak_rss_mib(process.pid) for process in processes)
            metrics = why(scrape(ports))
        finally:
            stop_all(processes)
        history = await client.get_workflow_handle(case_workflow_id("PF-A", "B-000000")).fetch_history()
        activities = sum(1 for event in history.events if event.HasField("activity_task_scheduled_event_attributes"))
        kinds = Counter(EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events)
        print("\n  events of one case:", len(history.events), dict(kinds))
        sizes: Counter[str] = Counter()
        for event in history.events:
            sizes[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += event.ByteSize()
        biggest = ", ".join(f"{kind} {size / 1024:.1f}" for kind, size in sizes.most_common(4))
        print(f"  its history: {sum(sizes.values()) / 1024:.1f} KiB (most in KiB: {biggest})")
        answered = register_app.state.stats.answered_at
        per_second = Counter(int(t - answered[0]) for t in answered)
        statuses = Counter(entry.status for entry in providers_app.state.ledger)
    await admin.close()
    return {
        "elapsed": elapsed,
        **cpu,
        "activities": activities,
        "memory": memory,
        "open": open_cases,
        **metrics,
        "stretches": stretches.text(n),
        "accepted": statuses["accepted"],
        "register_mean": len(answered) / max(answered[-1] - answered[0], 1e-9),
        "register_peak": max(per_second.values()),
    }


async def run_baseline(env, workdir: Path, n: int, activities: int, workers: int, max_open: int | None) -> dict:
    """N bare workflows; with `max_open`, started as the wave starts its cases: no more open at
    once than the wave keeps busy, topped up as they close (`until`'s second), so both run the
    same shape. Without it, all are started at once (the baseline before 2026-12-04)."""
    address = env.client.service_client.config.target_host
    bare_env = {**os.environ, "WKP_TEMPORAL_ADDRESS": address, "WKP_PAYLOAD_KEYS": KEYS.to_json()}
    command = [sys.executable, "-m", "bench.bare"]
    processes, ports = fleet(workers, command, bare_env, workdir / "bare.log")
    open_workflows = 0
    try:
        client = env.client  # the same encrypted payloads as the engine's
        started, meter = time.perf_counter(), CpuMeter(processes)
        stretches = Stretches(meter.server)
        gate = asyncio.Semaphore(200)  # starts in flight, as the wave's window
        begun = 0

        async def one(i: int) -> None:
            async with gate:
                await client.start_workflow("BareWorkflow", activities, id=f"bare-{i}", task_queue="bench-bare")

        async def start(count: int) -> None:
            nonlocal begun
            await asyncio.gather(*(one(i) for i in range(begun, begun + count)))
            begun += count

        await start(n if max_open is None else min(n, max_open))

        async def all_done() -> bool:
            nonlocal open_workflows
            alive(processes, workdir / "bare.log")
            left = await running(client, "BareWorkflow")
            open_workflows = max(open_workflows, left)
            done = begun - left
            stretches.add(done)
            print(f"\r  baseline: {done}/{n} done, {time.perf_counter() - started:.0f} s", end="", flush=True)
            if max_open is not None and begun < n and left < max_open:
                await start(min(n - begun, max_open - left))
                return False
            return left == 0 and begun == n

        await until(all_done)
        elapsed = time.perf_counter() - started
        return {
            "elapsed": elapsed,
            **meter.stop(processes),
            "open": open_workflows,
            "stretches": stretches.text(n),
            **why(scrape(ports)),
        }
    finally:
        stop_all(processes)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument(
        "--register-rate", type=float, default=200.0, help="register queries per second agreed (default 200)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each role (default 1)")
    parser.add_argument(
        "--layout",
        choices=["split", "combined"],
        default="split",
        help="split (default): workflows and activities in processes of their own, as deploy/ runs "
        "them; combined: one process serves both",
    )
    parser.add_argument(
        "--server-store",
        choices=["file", "memory"],
        default="file",
        help="file (default): each dev server keeps its state in a SQLite file as `wkp up` does; "
        "memory: in the dev server's in-memory store (the bench before 2026-12-05 16:20); "
        "either way each task queue in one partition, as `wkp up` runs it",
    )
    parser.add_argument("--wave-only", action="store_true", help="the wave alone, without the bare baseline")
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="wave-and-baseline pairs to run, alternating which goes first; reports the median ratio "
        "and its range (this machine's speed swings by a fifth within the hour)",
    )
    parser.add_argument(
        "--against",
        type=int,
        metavar="M",
        help="run the wave alone at M cases just before and just after the N-case wave, and print the "
        "N-case rate against the mean of the two (rates measured at different times do not compare)",
    )
    parser.add_argument(
        "--baseline-only",
        action="store_true",
        help="with --against: the bare baseline alone at M, N and M instead of the wave (does the dev "
        "server slow bare Temporal as much as the wave as it fills?)",
    )
    parser.add_argument(
        "--baseline-unbounded",
        action="store_true",
        help="start all bare workflows at once (before 2026-12-04), not at most as many open as the wave keeps busy",
    )
    args = parser.parse_args()
    if args.against and args.pairs > 1:
        parser.error("--against: runs the wave alone, so it takes no --pairs")
    if args.baseline_only and not args.against:
        parser.error("--baseline-only: only with --against")
    ROLES[:] = ["workflows", "activities"] if args.layout == "split" else ["all"]
    configure_logging(level="WARNING")
    postgres = ThrowawayPostgres().start() if args.database == "postgresql" else None
    try:
        if args.against:
            sizes = (args.against, args.n, args.against)
            alone = [
                await measure_alone(argparse.Namespace(**{**vars(args), "n": size}), postgres, i)
                for i, size in enumerate(sizes)
            ]
        else:
            pairs = [await measure(args, postgres, pair) for pair in range(1 if args.wave_only else args.pairs)]
    finally:
        if postgres:
            postgres.stop()
    if args.against:
        report_sizes(args, sizes, alone)
    elif len(pairs) == 1:
        report(args, *pairs[0])
    else:
        report_pairs(args, pairs)


def report_pairs(args: argparse.Namespace, pairs: list[tuple[dict, dict | None]]) -> None:
    """The full report of the pair with the median ratio, then every pair's rates and the range."""
    ratios = [args.n / cases["elapsed"] / (args.n / baseline["elapsed"]) for cases, baseline in pairs if baseline]
    median = sorted(range(len(pairs)), key=lambda i: ratios[i])[(len(pairs) - 1) // 2]  # the lower one of two
    report(args, *pairs[median])
    for i, (cases, baseline) in enumerate(pairs):
        assert baseline is not None
        first = "baseline" if i % 2 else "wave"
        print(
            f"pair {i + 1} ({first} first): wave {args.n / cases['elapsed']:.1f}/s, "
            f"baseline {args.n / baseline['elapsed']:.1f}/s, ratio {ratios[i]:.2f}; "
            f"CPU per case wave/baseline: dev server {cpu_ms(cases, 'server_cpu', args.n)}/"
            f"{cpu_ms(baseline, 'server_cpu', args.n)} ms, workers {cpu_ms(cases, 'workers_cpu', args.n)}/"
            f"{cpu_ms(baseline, 'workers_cpu', args.n)} ms"
            + (f", PostgreSQL {cpu_ms(cases, 'database_cpu', args.n)} ms" if args.database == "postgresql" else "")
            + f"; outside the runs {cases['outside_cores']:.2f}/{baseline['outside_cores']:.2f} cores, "
            f"stolen {cases['steal_share'] * 100:.1f}/{baseline['steal_share'] * 100:.1f} %"
        )
    print(
        f"ratio over {len(pairs)} pairs: median {ratios[median]:.2f}, from {min(ratios):.2f} to {max(ratios):.2f}; "
        f"worker peak memory over all pairs {max(cases['memory'] for cases, _ in pairs):.0f} MiB; "
        f"register busiest second over all pairs {max(cases['register_peak'] for cases, _ in pairs)}/s"
    )


def report_sizes(args: argparse.Namespace, sizes: tuple[int, int, int], runs: list[dict]) -> None:
    """The N-case wave's full report (or the baseline's figures), then its rate against the M-case
    runs just before and after."""
    if args.baseline_only:
        run = runs[1]
        print(
            f"baseline: CPU per workflow at {sizes[1]:,}: dev server {cpu_ms(run, 'server_cpu', sizes[1])} ms, "
            f"workers {cpu_ms(run, 'workers_cpu', sizes[1])} ms; dev server peak memory "
            f"{run['server_memory']:.0f} MiB; {machine_text(run)}"
        )
        print(f"baseline: as it grows: {run['stretches']}")
    else:
        report(args, runs[1], None)
    rates = [size / run["elapsed"] for size, run in zip(sizes, runs, strict=True)]
    small = (rates[0] + rates[2]) / 2
    print(
        f"{'baseline' if args.baseline_only else 'wave'} alone: {sizes[0]:,} cases {rates[0]:.1f}/s (before), "
        f"{sizes[1]:,} cases {rates[1]:.1f}/s, "
        f"{sizes[2]:,} cases {rates[2]:.1f}/s (after); {sizes[1]:,} against {sizes[0]:,}: {rates[1] / small:.2f} "
        f"(against the mean of before and after, {small:.1f}/s)"
    )


def machine_text(run: dict) -> str:
    return (
        f"the machine meanwhile: {run['outside_cores']:.2f} cores used outside the run, "
        f"{run['steal_share'] * 100:.1f} % of its time stolen by the hypervisor"
    )


def cpu_ms(run: dict, part: str, n: int) -> str:
    return f"{run[part] / n * 1000:.0f}"


async def measure(
    args: argparse.Namespace, postgres: ThrowawayPostgres | None, pair: int = 0
) -> tuple[dict, dict | None]:
    """One pair: the wave and the baseline, each on a fresh dev server. A dev server costs more
    CPU per workflow the more workflows it holds (in memory, 1,000 bare workflows on a fresh
    server: 56-59 ms each; the next 1,000 on the same server: 65-73 ms, 2026-12-04), so a
    baseline run after the wave on the same server was slowed by the wave's cases, which
    flattered the ratio. Odd pairs run the baseline first, so that a machine slowing or speeding
    up during the pairs favours neither side."""
    with tempfile.TemporaryDirectory() as folder:
        url = (
            postgres.create_database(f"bench{pair}") if postgres else f"sqlite:///{Path(folder) / 'administration.db'}"
        )

        async def wave() -> dict:
            metrics_port = free_port()
            async with await dev_server(metrics_port, server_store(args, Path(folder), "wave")) as env:
                cases = await run_cases(env, Path(folder), args.n, args.register_rate, url, args.workers, postgres)
                cases["server"] = server_work(metrics_port, args.n)
                print()
            return cases

        if args.wave_only:
            return await wave(), None
        if pair % 2:
            baseline = await bare(args, Path(folder), CASE_ACTIVITIES)
            cases = await wave()
            if cases["activities"] != CASE_ACTIVITIES:
                raise RuntimeError(f"a case ran {cases['activities']} activities: set CASE_ACTIVITIES to match")
            return cases, baseline
        cases = await wave()
        return cases, await bare(args, Path(folder), cases["activities"])


async def bare(args: argparse.Namespace, folder: Path, activities: int) -> dict:
    """The bare baseline on a fresh dev server of its own."""
    metrics_port = free_port()
    async with await dev_server(metrics_port, server_store(args, folder, "baseline")) as env:
        bound = None if args.baseline_unbounded else DEFAULT_MAX_BUSY
        baseline = await run_baseline(env, folder, args.n, activities, args.workers, bound)
        baseline["server"] = server_work(metrics_port, args.n)
        print()
    return baseline


async def measure_alone(args: argparse.Namespace, postgres: ThrowawayPostgres | None, run: int) -> dict:
    """The wave alone, or with --baseline-only the bare baseline alone (as many activities as a case)."""
    if not args.baseline_only:
        return (await measure(argparse.Namespace(**{**vars(args), "wave_only": True}), postgres, run))[0]
    with tempfile.TemporaryDirectory() as folder:
        return await bare(args, Path(folder), CASE_ACTIVITIES)


# Activities one case of the bench runs (query, funding check, transfer value, payment, closing
# bookkeeping): what the baseline runs when it goes first; checked against the wave's history.
CASE_ACTIVITIES = 5


# The dev server's own work per case, from its Prometheus metrics: (metric, operation) -> what it is.
SERVER_WORK = {
    ("persistence_requests", "UpdateWorkflowExecution"): "execution writes",
    ("task_requests", "TimerActiveTaskActivityTimeout"): "activity timeout timers handled",
    ("task_requests", "TimerActiveTaskWorkflowTaskTimeout"): "workflow task timeout timers handled",
    ("visibility_persistence_requests", "UpsertWorkflowExecution"): "visibility writes",
}


def server_work(port: int, n: int) -> dict[str, float]:
    """What the dev server did per case (or bare workflow), so that a reader sees where its CPU
    per case differs between the wave and the baseline (a longer activity timeout once let fewer
    of the baseline's timers come due within its run)."""
    totals: Counter = Counter()
    for name, line, value in samples(port):
        operation = re.search(r'operation="([^"]+)"', line)
        key = (name, operation.group(1) if operation else "")
        if key in SERVER_WORK:
            totals[SERVER_WORK[key]] += value
    return {name: totals[name] / n for name in SERVER_WORK.values()}


async def dev_server(metrics_port: int, store: Path | None) -> WorkflowEnvironment:
    """A fresh embedded dev server with the engine's search attributes and codec, its own metrics
    on `metrics_port`: its state in the SQLite file `store` as `wkp up` keeps it, or in memory;
    each task queue in one partition, as `wkp up` runs it."""
    stored = dev_server_file(store) if store else ONE_PARTITION
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=encrypted_converter(KEYS),
        runtime=quiet_runtime(),
        ui=False,
        dev_server_extra_args=["--log-level", "error", "--metrics-port", str(metrics_port), *stored],
    )


def server_store(args: argparse.Namespace, folder: Path, run: str) -> Path | None:
    """Where a run's dev server keeps its state: a file of its own in the run's folder (as `wkp up`
    does), or None for the dev server's in-memory store (--server-store memory)."""
    return folder / f"temporal-{run}.db" if args.server_store == "file" else None


def report(args: argparse.Namespace, cases: dict, baseline: dict | None) -> None:
    case_rate = args.n / cases["elapsed"]
    print(
        f"machine: {os.cpu_count()} cores; administration {args.database}; "
        f"{args.workers} worker process(es) of each role {ROLES}"
    )
    print(
        f"wave: {args.n} cases (query -> pay -> acknowledged -> closed) in {cases['elapsed']:.1f} s: "
        f"{case_rate:.1f} cases/s; "
        f"{cases['accepted']} payments accepted"
    )
    runs = [("wave", cases)]
    if baseline is not None:
        bare_rate = args.n / baseline["elapsed"]
        print(
            f"baseline: {args.n} bare workflows x {cases['activities']} no-op activities in "
            f"{baseline['elapsed']:.1f} s: {bare_rate:.1f} workflows/s"
        )
        runs.append(("baseline", baseline))
    for name, run in runs:
        print(
            f"{name}: at most {run['open']} open at once; workflow cache {run['cache_hits']:.0f} hits, "
            f"{run['cache_misses']:.0f} misses; mean schedule-to-start: workflow tasks "
            f"{run['wft_schedule_to_start_ms']:.0f} ms, activities {run['activity_schedule_to_start_ms']:.0f} ms"
        )
    for name, run in runs:
        print(
            f"{name}: CPU per case: dev server {run['server_cpu'] / args.n * 1000:.0f} ms, "
            f"workers {run['workers_cpu'] / args.n * 1000:.0f} ms ({roles_cpu(run['role_cpu'], args.n)}), "
            f"bench process (stubs, starts, polling) {run['bench_cpu'] / args.n * 1000:.0f} ms"
            + (f", PostgreSQL {run['database_cpu'] / args.n * 1000:.0f} ms" if args.database == "postgresql" else "")
        )
    for name, run in runs:
        print(f"{name}: {machine_text(run)}")
    for name, run in runs:
        print(f"{name}: as it grows: {run['stretches']}")
    for name, run in runs:
        work = ", ".join(f"{count:.1f} {what}" for what, count in run["server"].items())
        print(f"{name}: dev server per case: {work}")
    steps = ", ".join(f"{step} {ms:.0f} ms" for step, ms in cases["steps_ms"].items())
    print(f"wave: mean execution per activity: {steps}")
    if baseline is not None:
        print(f"ratio cases/baseline: {case_rate / bare_rate:.2f}")
    print(
        f"engine worker peak memory (VmHWM): {cases['memory']:.0f} MiB; "
        f"dev server peak memory: {cases['server_memory']:.0f} MiB"
    )
    print(
        f"register: mean {cases['register_mean']:.1f}/s, busiest second {cases['register_peak']}/s; "
        f"configured limit {args.register_rate:g}/s (engine aims 10 % under)"
    )


if __name__ == "__main__":
    asyncio.run(main())
