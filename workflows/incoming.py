"""The receiving provider's side (Besluit 17e.5): book the transfer value, apply it within one
month to buy pension rights, then inform the participant within ten working days.
One workflow per incoming transfer, id `models.ids.incoming_workflow_id`."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.steps as steps  # not `from workflows import`: see workflows/outgoing.py
    from models import ids
    from models.events import CaseEvent, EventType, Outcome
    from models.ledger import LetterKind, LetterRequest, ReceiptBooking
    from models.transfer import IncomingResult, IncomingTransferInput
    from rules.calendar import LegalCalendar
    from workflows.bookkeeping import Book
    from workflows.legal_clock import LegalClock

INFORM_TERM_WORKING_DAYS = 10  # Besluit 17e.5
APPLY_TERM_MONTHS = 1  # Besluit 17e.5


@workflow.defn(name=ids.INCOMING_WORKFLOW)
class IncomingTransferWorkflow:
    @workflow.init
    def __init__(self, data: IncomingTransferInput) -> None:
        self.transfer = data.transfer
        self.clock = LegalClock(data.legal.clock_offset_s)
        self.calendar = LegalCalendar(data.legal.extra_holidays)
        self.book = Book(data.transfer.transfer_id, [])

    @workflow.query(name="status")
    def status(self) -> IncomingResult:
        return self.result()

    @workflow.run
    async def run(self, data: IncomingTransferInput) -> IncomingResult:
        transfer = self.transfer
        await self.clock.sleep_until(transfer.received, f"17e.5 receipt on {transfer.received}")
        await steps.book_incoming_transfer(
            ReceiptBooking(
                idempotency_key=ids.receipt_key(workflow.info().workflow_id),
                transfer_id=transfer.transfer_id,
                from_provider=transfer.from_provider,
                bsn=transfer.bsn,
                birth_date=transfer.birth_date,
                amount=transfer.amount,
                received=transfer.received,
            ),
            summary=f"17e.5 book the receipt of EUR {transfer.amount} from {transfer.from_provider}",
        )
        await self.record(
            CaseEvent(
                type=EventType.RECEIVED, date=transfer.received, amount=transfer.amount, provider=transfer.from_provider
            )
        )

        # Applied on the first working day from receipt, well within the month.
        apply_due = self.calendar.within_months(transfer.received, APPLY_TERM_MONTHS)
        applied_on = self.calendar.next_working_day(transfer.received)
        await self.clock.sleep_until(applied_on, f"17e.5 apply the value on {applied_on} (due {apply_due})")
        applied_on = max(applied_on, self.clock.today())  # the day it is really applied
        applied = await steps.apply_incoming_value(
            transfer.bsn,
            transfer.birth_date,
            transfer.amount,
            applied_on,
            summary=f"17e.5 apply the value, due {apply_due}",
        )
        await self.record(CaseEvent(type=EventType.VALUE_APPLIED, date=applied_on, due=apply_due, article="17e.5"))
        if applied_on > apply_due:
            await self.record(
                CaseEvent(type=EventType.DEADLINE_BREACHED, date=applied_on, due=apply_due, article="17e.5")
            )

        inform_due = self.calendar.add_working_days(applied_on, INFORM_TERM_WORKING_DAYS)
        await steps.send_letter(
            LetterRequest(
                idempotency_key=ids.incoming_letter_key(workflow.info().workflow_id),
                subject_id=transfer.transfer_id,
                kind=LetterKind.TRANSFER_APPLIED,
                due=inform_due,
                context={
                    "transfer_id": transfer.transfer_id,
                    "received": transfer.received.isoformat(),
                    "from_provider": transfer.from_provider,
                    "amount": str(transfer.amount),
                    "applied_on": applied_on.isoformat(),
                    "rights_annual_pension": str(applied.rights_annual_pension),
                    "pension_date": applied.pension_date.isoformat(),
                    "pension_date_source": applied.pension_date_source,
                    "provider": data.provider,
                },
            ),
            summary=f"17e.5 inform the participant, due {inform_due}",
        )
        informed_on = self.clock.today()  # the day the letter really went out
        await self.record(
            CaseEvent(
                type=EventType.PARTICIPANT_INFORMED,
                date=informed_on,
                due=inform_due,
                article="17e.5",
                letter=LetterKind.TRANSFER_APPLIED.value,
            )
        )
        if informed_on > inform_due:
            await self.record(
                CaseEvent(type=EventType.DEADLINE_BREACHED, date=informed_on, due=inform_due, article="17e.5")
            )
        await self.record(CaseEvent(type=EventType.CLOSED, date=informed_on, outcome=Outcome.APPLIED))
        return self.result()

    async def record(self, event: CaseEvent) -> None:
        """Each step of the receiving side reaches the audit log at once (it has few)."""
        self.book.record(event)
        await self.book.write()

    def result(self) -> IncomingResult:
        closed = any(event.type is EventType.CLOSED for event in self.book.events)
        return IncomingResult(
            transfer_id=self.transfer.transfer_id,
            outcome=Outcome.APPLIED if closed else Outcome.OPEN,
            events=self.book.events,
        )
