"""The receiving provider's side (Besluit 17e.5): book the transfer value, apply it within one
month to buy pension rights, then inform the participant within ten working days.
One workflow per incoming transfer, id `wkp-in-{provider}-{transfer_id}`."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.events import CaseEvent, EventType, Outcome
    from models.ledger import AuditStep, LetterKind, LetterRequest, ReceiptBooking
    from models.steps import (
        APPLY_INCOMING_VALUE,
        BOOK_INCOMING_TRANSFER,
        RECORD_STATUTORY_STEPS,
        SEND_LETTER,
        AppliedValue,
        ApplyIncomingInput,
        CaseProgress,
    )
    from models.transfer import IncomingResult, IncomingTransferInput
    from rules.calendar import LegalCalendar
    from workflows.legal_clock import LegalClock
    from workflows.outgoing import PATIENT, STEP_TIMEOUT

INFORM_TERM_WORKING_DAYS = 10  # Besluit 17e.5
APPLY_TERM_MONTHS = 1  # Besluit 17e.5


@workflow.defn(name="IncomingSmallPensionTransfer")
class IncomingTransferWorkflow:
    def __init__(self) -> None:
        self.events: list[CaseEvent] = []

    @workflow.query(name="status")
    def status(self) -> IncomingResult:
        closed = any(event.type is EventType.CLOSED for event in self.events)
        return IncomingResult(
            transfer_id=self.transfer_id, outcome=Outcome.APPLIED if closed else Outcome.OPEN, events=self.events
        )

    @workflow.run
    async def run(self, data: IncomingTransferInput) -> IncomingResult:
        transfer = data.transfer
        self.transfer_id = transfer.transfer_id
        clock = LegalClock(data.legal.clock_offset_s)
        calendar = LegalCalendar(data.legal.extra_holidays)
        key = workflow.info().workflow_id

        await clock.sleep_until(transfer.received)
        await self.run_activity(
            BOOK_INCOMING_TRANSFER,
            ReceiptBooking(
                idempotency_key=f"{key}/receipt",
                transfer_id=transfer.transfer_id,
                from_provider=transfer.from_provider,
                bsn=transfer.bsn,
                birth_date=transfer.birth_date,
                amount=transfer.amount,
                received=transfer.received,
            ),
        )
        await self.record(
            key,
            CaseEvent(
                type=EventType.RECEIVED, date=transfer.received, amount=transfer.amount, provider=transfer.from_provider
            ),
        )

        # Applied on the first working day from receipt, well within the month.
        apply_due = calendar.within_months(transfer.received, APPLY_TERM_MONTHS)
        applied_on = calendar.next_working_day(transfer.received)
        await clock.sleep_until(applied_on)
        applied: AppliedValue = await self.run_activity(
            APPLY_INCOMING_VALUE,
            ApplyIncomingInput(
                idempotency_key=f"{key}/receipt",
                birth_date=transfer.birth_date,
                amount=transfer.amount,
                applied_on=applied_on,
            ),
            result_type=AppliedValue,
        )
        await self.record(key, CaseEvent(type=EventType.VALUE_APPLIED, date=applied_on, due=apply_due, article="17e.5"))
        if applied_on > apply_due:
            await self.record(
                key, CaseEvent(type=EventType.DEADLINE_BREACHED, date=applied_on, due=apply_due, article="17e.5")
            )

        inform_due = calendar.add_working_days(applied_on, INFORM_TERM_WORKING_DAYS)
        await self.run_activity(
            SEND_LETTER,
            LetterRequest(
                idempotency_key=f"{key}/letter",
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
                    "provider": data.provider,
                },
            ),
        )
        await self.record(
            key,
            CaseEvent(
                type=EventType.PARTICIPANT_INFORMED,
                date=applied_on,
                due=inform_due,
                article="17e.5",
                letter=LetterKind.TRANSFER_APPLIED.value,
            ),
        )
        await self.record(key, CaseEvent(type=EventType.CLOSED, date=applied_on, outcome=Outcome.APPLIED))
        return IncomingResult(transfer_id=transfer.transfer_id, outcome=Outcome.APPLIED, events=self.events)

    async def run_activity(self, name: str, argument, result_type=None):
        return await workflow.execute_activity(
            name, argument, result_type=result_type, start_to_close_timeout=STEP_TIMEOUT, retry_policy=PATIENT
        )

    async def record(self, key: str, event: CaseEvent) -> None:
        self.events.append(event)
        await self.run_activity(
            RECORD_STATUTORY_STEPS,
            CaseProgress(
                steps=[
                    AuditStep(
                        idempotency_key=f"{key}/event/{len(self.events)}",
                        subject_id=self.transfer_id,
                        step=event.type.value,
                        article=event.article or "",
                        due=event.due,
                        actual=event.date,
                        details=event.model_dump(
                            mode="json", exclude_none=True, exclude={"type", "date", "due", "article"}
                        ),
                    )
                ]
            ),
        )
