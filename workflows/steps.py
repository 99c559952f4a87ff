"""Every activity a workflow calls, as one typed function each: the activity's name, its input and
result types, its timeout and retry policy, and its idempotency key, in one place. Workflows call
activities only through these functions, by name (DESIGN.md: never importing an implementation).

Each call carries a one-line summary naming the step and its article: the Temporal UI shows it on
the event, so an operator reads the law in a case's timeline.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import ids
    from models.afkoopvoet import AfkoopvoetAnswer
    from models.bsn import Bsn
    from models.case import PensionCase
    from models.dates import LegalDate
    from models.ledger import LetterRequest, ReceiptBooking
    from models.money import Money
    from models.register import RegisterAnswer
    from models.steps import (
        APPLY_INCOMING_VALUE,
        BOOK_INCOMING_TRANSFER,
        CHECK_FUNDING_RATIOS,
        COMPUTE_TRANSFER_VALUE,
        LOOK_UP_AFKOOPVOET,
        LOOK_UP_THRESHOLD,
        PAY_BUYOUT,
        PAY_TRANSFER_VALUE,
        PAYMENT_REJECTED,
        PROVIDER_UNAVAILABLE,
        QUERY_PENSION_REGISTER,
        RECORD_STATUTORY_STEPS,
        SEND_LETTER,
        AfkoopvoetLookup,
        AppliedValue,
        ApplyIncomingInput,
        CaseProgress,
        FundingCheckInput,
        PayBuyoutInput,
        PaymentOutcome,
        PayTransferInput,
        RegisterQueryInput,
        ThresholdAnswer,
        ThresholdLookup,
        TransferValueInput,
    )
    from models.wave import (
        COUNT_SETTLED_CASES,
        FILL_WAVE,
        LOAD_WAVE_PAGE,
        START_WAVE_CASES,
        SettledCount,
        WaveFill,
        WaveFilled,
        WaveInput,
        WavePage,
        WavePageInput,
        WaveStarted,
        WaveStartInput,
    )
    from rules.suspension import SuspensionCheck
    from rules.transfer_value import TransferValueStatement

# How long one try of a step may take before another worker tries again (after a crash, too).
STEP_TIMEOUT = timedelta(seconds=10)
PAYMENT_TIMEOUT = timedelta(seconds=20)
PAGE_TIMEOUT = timedelta(seconds=60)

# The failure types of pay_transfer_value that mean the provider did not take the payment.
PAYMENT_NOT_TAKEN = frozenset({PROVIDER_UNAVAILABLE, PAYMENT_REJECTED})

# Ordinary steps: retry for as long as it takes (a register outage delays cases, loses none).
PATIENT = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)
# Paying a provider that is down: a few tries, then the workflow picks a new payment date.
PAYMENT_TRIES = RetryPolicy(
    initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=1), maximum_attempts=4
)


def _workflow_id() -> str:
    return workflow.info().workflow_id


# -- the transferring side (Besluit 17e, PW 66, PW 72) ---------------------------------------


async def query_pension_register(
    case_id: str, bsn: Bsn, as_of: LegalDate, clock_offset_s: float, progress: CaseProgress | None, summary: str
) -> RegisterAnswer:
    """17e.1/17e.2/56.2/17f.3, on the register's own task queue (its agreed rate holds there).
    Each try asks as of its own legal day (an outage or a used-up quota delays the query).
    `progress`: the case's bookkeeping, written first."""
    return await workflow.execute_activity(
        QUERY_PENSION_REGISTER,
        RegisterQueryInput(case_id=case_id, bsn=bsn, as_of=as_of, clock_offset_s=clock_offset_s, progress=progress),
        task_queue=ids.register_task_queue(workflow.info().task_queue),
        # Time to wait for a turn under the register's rate limit is not counted as failing.
        schedule_to_start_timeout=None,
        result_type=RegisterAnswer,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


async def check_funding_ratios(
    on: LegalDate, transferring_provider: str, receiving_provider: str, summary: str
) -> SuspensionCheck:
    """PW 72 / Besluit 23a. A ratio or provider nobody recorded is named in the answer."""
    return await workflow.execute_activity(
        CHECK_FUNDING_RATIOS,
        FundingCheckInput(on=on, transferring_provider=transferring_provider, receiving_provider=receiving_provider),
        result_type=SuspensionCheck,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


async def look_up_threshold(year: int, clock_offset_s: float, summary: str) -> ThresholdAnswer:
    """PW 66: a threshold an operator recorded (None in the answer while nobody has)."""
    return await workflow.execute_activity(
        LOOK_UP_THRESHOLD,
        ThresholdLookup(year=year, clock_offset_s=clock_offset_s),
        result_type=ThresholdAnswer,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


async def compute_transfer_value(case: PensionCase, transfer_date: LegalDate, summary: str) -> TransferValueStatement:
    """Besluit 25 and 17e.6: the value as of the transfer (payment) date."""
    return await workflow.execute_activity(
        COMPUTE_TRANSFER_VALUE,
        TransferValueInput(case=case, transfer_date=transfer_date),
        result_type=TransferValueStatement,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


async def pay_transfer_value(
    try_number: int,
    case_id: str,
    from_provider: str,
    receiving_provider: str,
    client_number: str,
    bsn: Bsn,
    birth_date: LegalDate,
    amount: Money,
    transfer_date: LegalDate,
    summary: str,
    progress: CaseProgress | None = None,
) -> PaymentOutcome:
    """17e.4. A few tries only: a provider that stays down makes the workflow pick the next
    working day, with a new value and so a new idempotency key (one per try); a payment whose
    answer was lost is sent again under its own key (`payment_not_taken`). `progress`: the
    case's bookkeeping, written with the provider's answer (with the booking when it accepts)."""
    return await workflow.execute_activity(
        PAY_TRANSFER_VALUE,
        PayTransferInput(
            idempotency_key=ids.transfer_key(_workflow_id(), try_number),
            case_id=case_id,
            from_provider=from_provider,
            receiving_provider=receiving_provider,
            client_number=client_number,
            bsn=bsn,
            birth_date=birth_date,
            amount=amount,
            transfer_date=transfer_date,
            progress=progress,
        ),
        result_type=PaymentOutcome,
        start_to_close_timeout=PAYMENT_TIMEOUT,
        retry_policy=PAYMENT_TRIES,
        summary=summary,
    )


def payment_not_taken(error: ActivityError) -> bool:
    """Whether a payment's last try ended in an answer that the provider did not take it (down,
    busy, or refusing the request itself). Anything else (a timeout, a transport error after the
    request went out, a failure after the provider's answer) leaves open that it did."""
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type in PAYMENT_NOT_TAKEN


async def look_up_afkoopvoet(on: LegalDate, age: int, summary: str) -> AfkoopvoetAnswer:
    """Besluit 16: the provider's buy-out factor in force on a payment date (None while no period
    covers it: the buy-out waits)."""
    return await workflow.execute_activity(
        LOOK_UP_AFKOOPVOET,
        AfkoopvoetLookup(on=on, age=age),
        result_type=AfkoopvoetAnswer,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


async def pay_buyout(case_id: str, amount: Money, paid_on: LegalDate, summary: str) -> None:
    """PW 66: the lump sum to the participant, once per case."""
    await workflow.execute_activity(
        PAY_BUYOUT,
        PayBuyoutInput(idempotency_key=ids.buyout_key(_workflow_id()), case_id=case_id, amount=amount, paid_on=paid_on),
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


# -- shared by both sides --------------------------------------------------------------------


async def record_statutory_steps(progress: CaseProgress) -> None:
    """The audit log and the case's reporting row, in one transaction (idempotent per step)."""
    await workflow.execute_activity(
        RECORD_STATUTORY_STEPS,
        progress,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=f"record {len(progress.steps)} statutory step(s) in the administration",
    )


async def send_letter(request: LetterRequest, summary: str) -> None:
    await workflow.execute_activity(
        SEND_LETTER, request, start_to_close_timeout=STEP_TIMEOUT, retry_policy=PATIENT, summary=summary
    )


# -- the receiving side (Besluit 17e.5) ------------------------------------------------------


async def book_incoming_transfer(booking: ReceiptBooking, summary: str) -> None:
    await workflow.execute_activity(
        BOOK_INCOMING_TRANSFER, booking, start_to_close_timeout=STEP_TIMEOUT, retry_policy=PATIENT, summary=summary
    )


async def apply_incoming_value(
    bsn: str, birth_date: LegalDate, amount: Money, applied_on: LegalDate, summary: str
) -> AppliedValue:
    return await workflow.execute_activity(
        APPLY_INCOMING_VALUE,
        ApplyIncomingInput(
            idempotency_key=ids.receipt_key(_workflow_id()),
            bsn=bsn,
            birth_date=birth_date,
            amount=amount,
            applied_on=applied_on,
        ),
        result_type=AppliedValue,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=summary,
    )


# -- waves -----------------------------------------------------------------------------------


# A wave's own steps run on its own task queue: never behind the case activities it started.


async def load_wave_page(wave_id: str, after: str | None, limit: int) -> WavePage:
    """The next page of the wave's cases, in one query."""
    return await workflow.execute_activity(
        LOAD_WAVE_PAGE,
        WavePageInput(wave_id=wave_id, after=after, limit=limit),
        task_queue=ids.wave_task_queue(workflow.info().task_queue),
        result_type=WavePage,
        start_to_close_timeout=PAGE_TIMEOUT,
        retry_policy=PATIENT,
        summary=f"load up to {limit} cases of wave {wave_id}" + (f" after {after}" if after else ""),
    )


async def start_wave_cases(wave: WaveInput, limit: int) -> WaveStarted:
    """Start the wave's next `limit` cases after its cursor, in one step: read from the
    administration in one query and started through the client on the case's task queue. Never
    a case twice: an id that runs already is counted, not started (and told its plan date)."""
    return await workflow.execute_activity(
        START_WAVE_CASES,
        WaveStartInput(
            provider=wave.provider,
            wave_id=wave.wave_id,
            legal=wave.legal,
            task_queue=workflow.info().task_queue,
            after=wave.cursor,
            limit=limit,
        ),
        task_queue=ids.wave_task_queue(workflow.info().task_queue),
        result_type=WaveStarted,
        start_to_close_timeout=PAGE_TIMEOUT,
        retry_policy=PATIENT,
        summary=f"start up to {limit} cases of wave {wave.wave_id}" + (f" after {wave.cursor}" if wave.cursor else ""),
    )


async def fill_wave(wave: WaveInput) -> WaveFilled:
    """Count the wave's busy cases and start as many of its next cases as fit under its bound (at
    most a window), in one step: read from the administration and started through the client on
    the case's task queue. Never a case twice (`start_wave_cases`)."""
    return await workflow.execute_activity(
        FILL_WAVE,
        WaveFill(
            provider=wave.provider,
            wave_id=wave.wave_id,
            legal=wave.legal,
            task_queue=workflow.info().task_queue,
            after=wave.cursor,
            window=wave.window,
            max_busy=wave.max_busy,
        ),
        task_queue=ids.wave_task_queue(workflow.info().task_queue),
        result_type=WaveFilled,
        start_to_close_timeout=PAGE_TIMEOUT,
        retry_policy=PATIENT,
        summary=f"start the cases of wave {wave.wave_id} that fit under {wave.max_busy} busy"
        + (f", after {wave.cursor}" if wave.cursor else ""),
    )


async def count_settled_cases(wave_id: str, through: str, handled: int | None) -> int:
    """How many of the wave's `handled` cases (up to `through`) are settled (a long wait, or closed);
    without `handled`, every case up to `through` is read (models.wave.SettledCount)."""
    return await workflow.execute_activity(
        COUNT_SETTLED_CASES,
        SettledCount(wave_id=wave_id, through=through, handled=handled),
        task_queue=ids.wave_task_queue(workflow.info().task_queue),
        result_type=int,
        start_to_close_timeout=STEP_TIMEOUT,
        retry_policy=PATIENT,
        summary=f"count the settled cases of wave {wave_id}",
    )
