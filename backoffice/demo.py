"""`wkp demo`: a generated portfolio of former participants, loaded into the administration and
the register stub, their cases started on the embedded stack, and a report of what happened.

The demo runs on a legal date in 2024 (a fixed clock offset, as a simulation would): the
rulebook's statutory thresholds end with 2024, and the engine never guesses a threshold. With
WKP_THRESHOLDS set for later years, `--legal-date` can be any day."""

import asyncio
import json
import random
import time
from collections import Counter
from datetime import date
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
from models.transfer import OutgoingTransferInput
from rules.suspension import ratio_month
from store.factory import administration
from stubs.register import bank_account
from workflows.outgoing import OutgoingTransferWorkflow

DEMO_LEGAL_DATE = date(2024, 12, 2)  # a Monday
PROGRESS_LIMIT_S = 120


def demo_bsn(n: int) -> str:
    prefix = 40_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def portfolio(count: int, seed: int = 2024) -> tuple[list[PensionCase], list[dict]]:
    """Former participants whose participation ended during 2024, and where they accrue now."""
    chance = random.Random(seed)
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
            participation_end=date(2024, 1 + chance.randrange(11), 28),
            pension_date=date(birth.year + 68, birth.month, birth.day),
            old_age_pension=amount,
            net_pension=0.12 <= roll < 0.15,
        )
        cases.append(case)
        where = chance.random()
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
            spells.append({"bsn": case.bsn, "provider": provider, "from": "2024-01-01", "to": None})
    return cases, spells


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
        for fund in [settings.provider] + [p for p, profile in DEFAULT_PROVIDERS.items() if profile["kind"] == "fund"]:
            await admin.set_funding_ratio(fund, ratio_month(legal_date), Decimal("1.12"))
        for case in cases:
            await admin.add_case(case)


async def start_cases(settings: Settings, cases: list[PensionCase], legal_date: date) -> int:
    async with temporal_client(settings) as client:
        return await start_all(client, settings, cases, legal_date)


async def start_all(client: Client, settings: Settings, cases: list[PensionCase], legal_date: date) -> int:
    legal = legal_settings(settings, legal_date)
    started = 0
    for case in cases:
        try:
            await client.start_workflow(
                OutgoingTransferWorkflow.run,
                OutgoingTransferInput(provider=settings.provider, case=case, legal=legal),
                id=case_workflow_id(settings.provider, case.case_id),
                task_queue=settings.task_queue,
                # A closed case (transferred, bought off) must never start again.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            started += 1
        except WorkflowAlreadyStartedError:
            pass  # starting an existing case again is a no-op
    return started


async def progress_of(settings: Settings, case_ids: list[str]) -> int:
    """Cases whose first attempt concluded: paid or otherwise closed, failed, or suspended."""
    async with administration(settings) as admin:
        steps = await admin.audit_steps_of(case_ids, steps=["closed", "transfer_failed", "suspended"])
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
        "payments": len(payments),
        "paid": sum((p.amount for p in payments), Decimal("0")),
        "to": dict(Counter(p.counterparty for p in payments)),
        "next_queries": sorted({str(row.next_due) for row in rows if row.status == "awaiting_query" and row.next_due})[
            :1
        ],
    }
