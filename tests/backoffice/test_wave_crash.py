"""A wave of 2,000 cases on the dev server with a PostgreSQL administration, started and watched
with `wkp wave`. Three faults under load: after 300 payments the database server is restarted
(every connection breaks) while the worker runs on; after 600 the worker and the watching CLI are
killed (SIGKILL) and the Temporal dev server is restarted on its database file; then the worker
is started again. In the end every case was started exactly once (one workflow per case) and
paid exactly once (the receiving provider's ledger and the administration)."""

import asyncio
import secrets
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from backoffice.stack import dev_server_file
from models.ids import wave_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.wave import WaveProgress
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from store.schema import Payment
from store.throwaway_postgres import ThrowawayPostgres, free_port
from stubs.providers import create_providers_app
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import dev_server, engine_environment, nth_bsn

ROOT = Path(__file__).resolve().parents[2]
WKP = str(Path(sys.executable).parent / "wkp")
CASES = 2000
RESTART_DATABASE_AFTER = 300  # payments in the ledger when the database server restarts
KILL_AFTER = 600  # when the worker and the CLI are killed and the Temporal server restarts


def export_csv(path: Path) -> list[str]:
    bsns = [nth_bsn(10_000 + i) for i in range(CASES)]
    rows = "".join(f"M-{i:05d},{bsn},1980-01-01,2022-03-31,2047-01-01,250.00\n" for i, bsn in enumerate(bsns))
    path.write_text("case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n" + rows)
    return bsns


async def test_a_2000_case_wave_survives_a_database_restart_a_killed_worker_and_cli_and_a_server_restart(tmp_path):
    key = secrets.token_bytes(32)
    postgres = ThrowawayPostgres().start()
    url = postgres.create_database("wave_crash")
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(key))
    for provider in ("PF-A", "PF-B"):
        await admin.upsert_provider(ProviderRecord(id=provider, kind="fund"))
        await admin.set_funding_ratio(provider, "2022-03", Decimal("1.15"))
    bsns = export_csv(tmp_path / "export.csv")
    spells = [AccrualSpell.model_validate({"bsn": bsn, "provider": "PF-B", "from": "2022-01-01"}) for bsn in bsns]

    restart_database, kill_now, all_paid = asyncio.Event(), asyncio.Event(), asyncio.Event()

    def on_entry(_entry) -> None:
        if len(ledger) >= RESTART_DATABASE_AFTER:
            restart_database.set()
        if len(ledger) >= KILL_AFTER:
            kill_now.set()
        if len(ledger) >= CASES:
            all_paid.set()

    providers_app = create_providers_app({"PF-B": ProviderProfile(kind="fund")}, latency_ms=50, on_entry=on_entry)
    ledger = providers_app.state.ledger
    # The dev server keeps its state in a file, so that it can be restarted on it mid-wave, as
    # `wkp up` runs it (its pragmas, one partition per task queue).
    server = {"port": free_port(), "dev_server_extra_args": dev_server_file(tmp_path / "temporal.db")}

    try:
        async with (
            serving(create_register_app(spells, RegisterConfig(token="T"))) as register_url,
            serving(providers_app) as providers_url,
        ):
            env = await dev_server(**server)
            env_vars = engine_environment(env, "wave-crash", url, key, tmp_path / ".wkp", register_url, providers_url)
            log = open(tmp_path / "worker.log", "ab")

            def start_worker() -> subprocess.Popen:
                return subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env_vars, stdout=log, stderr=log)

            async def wkp(*args: str) -> str:
                process = await asyncio.create_subprocess_exec(
                    WKP, *args, env=env_vars, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
                out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
                assert process.returncode == 0, out.decode()
                return out.decode()

            assert "2000 rows: 2000 loaded" in await wkp("admin", "import", "export.csv", "--no-progress")
            worker = start_worker()
            watcher = subprocess.Popen(
                [WKP, "wave", "status", "W1", "--watch"],
                env=env_vars,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started = await wkp("wave", "start", "W1", "--all", "--legal-date", "2022-04-04", "--window", "100")
            assert "wave W1 started: 2000 cases" in started

            # A stalled wave fails here with a figure; the time is a safety net, not a speed target.
            await reached(restart_database, ledger, "before the database restart", timeout=600)
            postgres.restart()
            await reached(kill_now, ledger, "before the kill", timeout=600)
            for process in (worker, watcher):
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            paid_at_kill = len(ledger)
            assert paid_at_kill < CASES, "the kill came after the wave: nothing was in flight"
            await env.shutdown()
            env = await dev_server(**server)

            worker = start_worker()
            try:
                await reached(all_paid, ledger, "in all", timeout=900)
                wave = await env.client.get_workflow_handle(
                    wave_workflow_id("PF-A", "W1"), result_type=WaveProgress
                ).result()
                assert (wave.counts.started, wave.counts.already_running, wave.done) == (CASES, 0, True)
                again = await wkp("wave", "start", "W1", "--all", "--legal-date", "2022-04-04")
                assert "was started before: nothing new started (2000 cases)" in again
                runs = Counter()
                async for execution in env.client.list_workflows('WorkflowType = "OutgoingSmallPensionTransfer"'):
                    runs[execution.id] += 1
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
                log.close()
                await env.shutdown()

        assert len(runs) == CASES and set(runs.values()) == {1}  # one workflow, one run, per case
        accepted = Counter(entry.case_reference for entry in ledger if entry.status == "accepted")
        assert len(accepted) == CASES and set(accepted.values()) == {1}
        assert len(ledger) == CASES  # no second attempt reached the provider either
        async with admin.transaction() as session:
            booked = Counter((await session.execute(select(Payment.case_id))).scalars())
        assert len(booked) == CASES and set(booked.values()) == {1}
        print(f"database restarted after {RESTART_DATABASE_AFTER}, worker and server after {paid_at_kill} payments")
    finally:
        await admin.close()
        postgres.stop()


async def reached(event: asyncio.Event, ledger: list, what: str, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"{len(ledger)} payments {what} after {timeout:.0f} s") from None
