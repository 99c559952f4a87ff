"""`wkp demo`: a generated portfolio of former participants, loaded into the administration and
the register stub, their cases started on the embedded stack, and a report of what happened.

The demo runs on today's date, as a provider installing wkp would (on a weekend or public holiday,
on the next working day: payments are made on working days only): its portfolio holds leavers of
2017 to this year. Those whose year has no threshold yet (the engine ships up to 2025 and never
guesses one) wait in `awaiting_threshold` until an operator records it (`wkp admin threshold set`),
then go on by themselves. `--legal-date` runs the cases' clock from another day (tests only)."""

import asyncio
import json
import random
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from backoffice.stack import DEFAULT_PROVIDERS
from config.settings import Settings
from engine import legal_settings, temporal_client
from models.bsn import bsn_problem
from models.case import PensionCase
from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.transfer import CASE_CODE_VERSION, LegalSettings, OutgoingTransferInput
from rules.calendar import add_months
from rules.suspension import ratio_month
from store.factory import administration
from stubs.register import bank_account
from workflows.outgoing import OutgoingTransferWorkflow

PROGRESS_LIMIT_S = 120
FIRST_LEAVERS = 2017  # the art. 56 cohort onwards; 17f cases need a plan (wkp wave plan)


def demo_bsn(n: int) -> str:
    prefix = 40_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def portfolio(count: int, today: date, seed: int = 2024) -> tuple[list[PensionCase], list[dict]]:
    """Former participants whose participation ended from 2017 until last month, and where they
    accrue now."""
    chance = random.Random(seed)
    last_month = today.replace(day=1) - timedelta(days=1)
    cases, spells = [], []
    for i in range(count):
        birth = date(1960 + chance.randrange(40), 1 + chance.randrange(12), 1 + chance.randrange(28))
        roll = chance.random()
        amount = (
            Decimal(chance.choice(["1.50", "2.00"]))
            if roll < 0.04
            else (
                Decimal(chance.randrange(600_00, 900_00)) / 100
                if roll < 0.12
                else Decimal(chance.randrange(3_00, 590_00)) / 100
            )
        )
        case = PensionCase(
            case_id=f"D-{i:04d}",
            bsn=demo_bsn(i),
            birth_date=birth,
            participation_end=ended_in(chance, last_month),
            pension_date=date(birth.year + 68, birth.month, birth.day),
            old_age_pension=amount,
            net_pension=0.12 <= roll < 0.15,
        )
        where = chance.random()
        if i == 0:
            # The example the report points at: a leaver of 2024 found at a fund, transferred.
            case = case.model_copy(update={"participation_end": date(2024, 6, 30), "net_pension": False})
            where, case = 0.0, case.model_copy(update={"old_age_pension": Decimal("312.40")})
        cases.append(case)
        provider = (
            "PF-B"
            if where < 0.35
            else "PF-C"
            if where < 0.5
            else "PF-D"
            if where < 0.6
            else "PF-R"
            if where < 0.65
            else None
        )
        if provider:
            spells.append({"bsn": case.bsn, "provider": provider, "from": "2017-01-01", "to": None})
    return cases, spells


def ended_in(chance: random.Random, last_month: date) -> date:
    """A month-end from 2017 to `last_month`, the later years more often (newer leavers)."""
    year = min(FIRST_LEAVERS + int((last_month.year - FIRST_LEAVERS + 1) * chance.random() ** 0.7), last_month.year)
    month = 1 + chance.randrange(12 if year < last_month.year else last_month.month)
    return add_months(date(year, month, 1), 1) - timedelta(days=1)


def write_world(settings: Settings, spells: list[dict]) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "register-spells.json").write_text(json.dumps(spells))
    (settings.home / "providers.json").write_text(json.dumps(DEFAULT_PROVIDERS, indent=1))


async def load_administration(settings: Settings, cases: list[PensionCase], legal_date: date) -> None:
    async with administration(settings) as admin:
        await admin.upsert_provider(
            ProviderRecord(id=settings.provider, kind="fund", bank_account=bank_account(settings.provider))
        )
        for provider_id, profile in DEFAULT_PROVIDERS.items():
            await admin.upsert_provider(
                ProviderRecord(id=provider_id, kind=profile["kind"], bank_account=bank_account(provider_id))
            )
        funds = [settings.provider] + [p for p, profile in DEFAULT_PROVIDERS.items() if profile["kind"] == "fund"]
        for fund in funds:  # this month's and the next (for cases that wait a while first)
            for month in {ratio_month(legal_date), ratio_month(add_months(legal_date, 1))}:
                await admin.set_funding_ratio(fund, month, Decimal("1.12"), source="demo")
        for case in cases:
            await admin.add_case(case)


async def start_cases(settings: Settings, cases: list[PensionCase], legal_date: date | None) -> int:
    async with administration(settings) as admin:
        legal = await legal_settings(settings, admin, legal_date)
    async with temporal_client(settings) as client:
        return await start_all(client, settings, cases, legal)


async def start_all(client: Client, settings: Settings, cases: list[PensionCase], legal: LegalSettings) -> int:
    started = 0
    for case in cases:
        try:
            await client.start_workflow(
                OutgoingTransferWorkflow.run,
                OutgoingTransferInput(
                    provider=settings.provider, case=case, legal=legal, code_version=CASE_CODE_VERSION
                ),
                id=case_workflow_id(settings.provider, case.case_id),
                task_queue=settings.task_queue,
                # A closed case (transferred, bought off) must never start again; a failed one may.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
            started += 1
        except WorkflowAlreadyStartedError:
            pass  # starting an existing case again is a no-op
    return started


async def progress_of(settings: Settings, case_ids: list[str]) -> int:
    """Cases whose first step concluded: paid or otherwise closed, failed, suspended, or waiting
    for a threshold."""
    async with administration(settings) as admin:
        steps = await admin.audit_steps_of(
            case_ids, steps=["closed", "transfer_failed", "suspended", "threshold_awaited", "payment"]
        )
    return len({step.subject_id for step in steps})


async def wait_for_first_steps(settings: Settings, case_ids: list[str], show: bool) -> int:
    deadline = time.monotonic() + PROGRESS_LIMIT_S
    with Progress(
        TextColumn("cases through their first attempt"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(case_ids))
        done = 0
        while done < len(case_ids) and time.monotonic() < deadline:
            done = await progress_of(settings, case_ids)
            bar.update(task, completed=done)
            await asyncio.sleep(0.5)  # the progress bar's refresh, bounded by the deadline
    return done


async def summary(settings: Settings, case_ids: list[str]) -> dict[str, Any]:
    async with administration(settings) as admin:
        rows = await admin.case_projections(case_ids)
        payments = await admin.payments_for_cases(case_ids)
        refusals = await admin.audit_steps_of(case_ids, steps=["transfer_failed", "not_eligible"])
    return {
        "states": dict(Counter(row.outcome or row.status for row in rows)),
        "reasons": dict(Counter(step.details.get("reason") for step in refusals)),
        "waiting": dict(Counter(row.waiting_for for row in rows if row.waiting_for)),
        "payments": len(payments),
        "paid": sum((p.amount for p in payments), Decimal("0")),
        "to": dict(Counter(p.counterparty for p in payments)),
        "next_queries": sorted({str(row.next_due) for row in rows if row.status == "awaiting_query" and row.next_due})[
            :1
        ],
    }
