"""Taking in a transfer another provider pays to the engine's provider (Besluit 17e.4/17e.5): the
delivery is stored once per sender and idempotency key, the receipt booked once, and the
incoming case started once. A repeat gets the first answer and starts nothing; the same key for
another transfer is refused. Every step is idempotent, so a repeat after a crash half-way (stored,
not yet started) completes what the first delivery began."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from models.ids import incoming_workflow_id, receipt_key
from models.inbound import DeliveryAnswer, TransferPayment
from models.ledger import ReceiptBooking
from models.scenario import IncomingTransfer
from store.repository import Administration

StartCase = Callable[[IncomingTransfer], Awaitable[None]]


class KeyReused(Exception):
    """The sender used an idempotency key before for another transfer."""


@dataclass
class Receiver:
    admin: Administration
    provider: str  # the engine's own provider id: the receiving side
    start_case: StartCase  # starts the incoming workflow; one already started is no error
    today: Callable[[], date]  # the legal date (a test cluster's may be offset)

    @staticmethod
    def transfer_id(sender: str, key: str) -> str:
        """The engine's id for a delivery: readable sender, and a digest of its key (any text)."""
        return f"IN-{sender}-{hashlib.sha256(f'{sender}/{key}'.encode()).hexdigest()[:16]}"

    def fingerprint(self, payment: TransferPayment) -> str:
        """What makes a delivery the same one, with the BSN as the administration's keyed lookup
        (a plain digest of nine digits could be reversed)."""
        body = payment.model_dump(mode="json")
        body["bsn"] = self.admin.protector.lookup(payment.bsn)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    async def receive(self, sender: str, key: str, payment: TransferPayment) -> tuple[bool, DeliveryAnswer]:
        """Whether this call is the first delivery, and the answer (the first one, for a repeat)."""
        answer = DeliveryAnswer(status="accepted", transfer_id=self.transfer_id(sender, key), received=self.today())
        fingerprint = self.fingerprint(payment)
        created, stored_fingerprint, stored = await self.admin.record_delivery(
            sender, key, answer.transfer_id, fingerprint, answer.model_dump(mode="json")
        )
        if stored_fingerprint != fingerprint:
            raise KeyReused("Idempotency-Key: was used before for another transfer")
        first = DeliveryAnswer.model_validate(stored)
        transfer = IncomingTransfer(
            transfer_id=first.transfer_id,
            from_provider=sender,
            bsn=payment.bsn,
            birth_date=payment.birth_date,
            amount=payment.amount,
            received=first.received,
        )
        workflow_id = incoming_workflow_id(self.provider, transfer.transfer_id)
        # The incoming case books with the same key: one receipt.
        await self.admin.book_receipt(ReceiptBooking(idempotency_key=receipt_key(workflow_id), **transfer.model_dump()))
        await self.start_case(transfer)
        return created, first
