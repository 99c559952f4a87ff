"""The scenario's `incoming` transfers reach the engine as in production: the sending provider
delivers each at the inbound door (inbound/), on its `received` day, with its own token and an
idempotency key; the door books the receipt and starts the receiving side's case."""

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle

from inbound.app import create_inbound_app
from inbound.cases import start_incoming_case
from inbound.receive import Receiver
from models.ids import incoming_workflow_id
from models.inbound import DeliveryAnswer, TransferPayment
from models.scenario import IncomingTransfer, Scenario
from models.transfer import LegalSettings
from store.repository import Administration
from stubs.serve import serving


@dataclass
class Senders:
    """The other providers of a scenario, each with its token at the door."""

    http: httpx.AsyncClient
    client: Client
    provider: str
    tokens: dict[str, str]

    async def deliver(self, transfer: IncomingTransfer) -> WorkflowHandle[Any, Any]:
        """Deliver one transfer as its sender would; the handle of the case the door started."""
        payment = TransferPayment(
            from_provider=transfer.from_provider,
            case_reference=transfer.transfer_id,
            bsn=transfer.bsn,
            birth_date=transfer.birth_date,
            client_number=transfer.transfer_id,
            amount=transfer.amount,
            transfer_date=transfer.received,
        )
        answer = await self.http.post(
            "/v1/transfers",
            json=payment.model_dump(mode="json"),
            headers={
                "Authorization": f"Bearer {self.tokens[transfer.from_provider]}",
                "Idempotency-Key": f"sim-{transfer.transfer_id}",
            },
        )
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"incoming {transfer.transfer_id}: the door answered {answer.status_code}")
        delivered = DeliveryAnswer.model_validate(answer.json())
        return self.client.get_workflow_handle(incoming_workflow_id(self.provider, delivered.transfer_id))


@asynccontextmanager
async def inbound_door(
    client: Client,
    admin: Administration,
    scenario: Scenario,
    task_queue: str,
    legal: LegalSettings,
    today: Callable[[], date],
) -> AsyncIterator[Senders | None]:
    """The door served for this run, and the senders that deliver at it (None: the scenario has
    no incoming transfers, and no door is needed)."""
    if not scenario.incoming:
        yield None
        return
    tokens = {provider: secrets.token_urlsafe(24) for provider in scenario.providers}

    async def start_case(transfer: IncomingTransfer) -> None:
        await start_incoming_case(client, task_queue, scenario.provider, transfer, legal)

    receiver = Receiver(admin=admin, provider=scenario.provider, start_case=start_case, today=today)
    async with (
        serving(create_inbound_app(receiver, tokens)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield Senders(http=http, client=client, provider=scenario.provider, tokens=tokens)
