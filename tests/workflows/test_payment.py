"""Besluit 17e.4 on the time-skipping server, with the real activities, stubs and administration:
the steps that lead to a payment are written with it (no activity of their own), and a payment
whose answer was lost is asked again under its own key, never made anew: money moves once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle

from engine import legal_clock_offset
from models.ids import case_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.transfer import CASE_CODE_VERSION, LegalSettings, OutgoingTransferInput
from store.repository import Administration
from store.schema import Payment
from stubs.providers import create_providers_app
from tests.conftest import TEST_CONVERTER, make_case, nth_bsn, sqlite_administration
from tests.workflows.stubbed import stubbed_world
from worker import build_worker
from workflows.outgoing import OutgoingTransferWorkflow

CASE = make_case(case_id="PAY-1", bsn=nth_bsn(700), participation_end=date(2022, 3, 31))
MONDAY = date(2022, 4, 4)
TRIES_PER_DAY = 4  # workflows.steps.PAYMENT_TRIES


class LosesAnswers:
    """In front of the providers stub: the stub takes each payment, but the first `count`
    answers are lost on the way back (a gateway's 504), as after a network cut or a timeout.
    Every request's idempotency key is kept."""

    def __init__(self, app, count: int) -> None:
        self.app, self.count = app, count
        self.keys: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        self.keys.append(dict(scope["headers"]).get(b"idempotency-key", b"").decode())
        if len(self.keys) > self.count:
            return await self.app(scope, receive, send)

        async def lost(message) -> None:
            pass

        await self.app(scope, receive, lost)
        await send({"type": "http.response.start", "status": 504, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@dataclass
class PaymentWorld:
    client: Client
    admin: Administration
    gateway: LosesAnswers
    ledger: list


@asynccontextmanager
async def payment_world(tmp_path, basis, answers_lost: int) -> AsyncIterator[PaymentWorld]:
    admin = sqlite_administration(tmp_path)
    for provider in ("PF-A", "PF-B"):  # insurers: no funding ratio needed (PW 72 is for funds)
        await admin.upsert_provider(ProviderRecord(id=provider, kind="insurer"))
    await admin.add_case(CASE)
    spell = AccrualSpell.model_validate({"bsn": CASE.bsn, "provider": "PF-B", "from": "2021-06-01"})
    providers = create_providers_app({"PF-B": ProviderProfile(kind="insurer")})
    gateway = LosesAnswers(providers, answers_lost)
    async with stubbed_world(admin, [spell], gateway, basis) as world:
        async with build_worker(world.client, "payments", world.activities):
            yield PaymentWorld(world.client, admin, gateway, providers.state.ledger)
    await admin.close()


async def run_case(client: Client) -> WorkflowHandle:
    handle = await client.start_workflow(
        OutgoingTransferWorkflow.run,
        OutgoingTransferInput(
            provider="PF-A",
            case=CASE,
            legal=LegalSettings(clock_offset_s=legal_clock_offset(MONDAY)),
            code_version=CASE_CODE_VERSION,
        ),
        id=case_workflow_id("PF-A", CASE.case_id),
        task_queue="payments",
    )
    await handle.result()
    return handle


async def booked_payments(admin: Administration) -> list[tuple[str, Decimal, date]]:
    async with admin.transaction() as session:
        rows = (await session.execute(select(Payment))).scalars()
        return [(row.idempotency_key, row.amount, row.transfer_date) for row in rows]


async def test_the_steps_before_a_payment_are_written_with_it_and_every_step_reaches_the_administration(
    tmp_path, basis
):
    async with payment_world(tmp_path, basis, answers_lost=0) as world:
        handle = await run_case(world.client)
        history = await handle.fetch_history()
        audit = await world.admin.audit_trail(CASE.case_id)
        row = await world.admin.case_projection(CASE.case_id)
        statements = await world.admin.statements_for(CASE.case_id)
    steps = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    # The new case's reporting row goes with its register query; the answer and the 17e.7
    # calculation with its payment; only the close has a write of its own.
    assert steps == [
        "query_pension_register",
        "check_funding_ratios",
        "compute_transfer_value",
        "pay_transfer_value",
        "record_statutory_steps",
    ]
    assert [(step.step, step.actual) for step in audit] == [
        ("register_query", MONDAY),
        ("payment", MONDAY),
        ("closed", MONDAY),
    ]
    assert row is not None and (row.status, row.outcome) == ("closed", "transferred")
    assert [statement["transfer_date"] for statement in statements] == [MONDAY.isoformat()]


async def test_a_payment_whose_answers_were_lost_is_asked_again_under_its_key_and_moves_money_once(tmp_path, basis):
    """The provider takes the payment on Monday, but a whole day's tries get no answer back: the
    case cannot know whether money moved, so on Tuesday it sends the same payment, with the same
    key, and the provider answers with its first result. One payment, dated Monday."""
    async with payment_world(tmp_path, basis, answers_lost=TRIES_PER_DAY) as world:
        handle = await run_case(world.client)
        result = await handle.result()
        booked = await booked_payments(world.admin)
        history = await handle.fetch_history()
    assert result.outcome.value == "transferred"
    assert len(world.gateway.keys) == TRIES_PER_DAY + 1 and len(set(world.gateway.keys)) == 1
    [entry] = world.ledger
    assert (entry.status, entry.transfer_date) == ("accepted", MONDAY)
    assert booked == [(world.gateway.keys[0], entry.amount, MONDAY)]
    [payment] = [event for event in result.events if event.type.value == "payment"]
    assert (payment.date, payment.transfer_date, payment.amount) == (MONDAY, MONDAY, entry.amount)
    asked_again = [
        event.user_metadata.summary for event in history.events if event.HasField("timer_started_event_attributes")
    ]
    assert len(asked_again) == 1
    [summary] = await TEST_CONVERTER.decode([asked_again[0]], [str])
    assert summary.startswith("17e.4 ask PF-B again about the payment of 2022-04-04")
