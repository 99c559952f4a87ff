"""Every side effect of the transfer workflows: the register, the other providers, the
administration and letters. All idempotent: a retried activity repeats its key and so changes
nothing twice.

Failures are sorted for the retry policy: an outage (register 429/5xx, provider 503, timeouts)
is retryable, honouring Retry-After; a refusal of the request itself is not.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.wave_starts import start_cases
from config.logging import get_logger
from letters.render import render_letter
from models.afkoopvoet import AfkoopvoetAnswer, AfkoopvoetPeriod
from models.bsn import mask_bsn
from models.case import PensionCase
from models.ledger import (
    ApplyIncoming,
    AuditStep,
    LetterRequest,
    PaymentBooking,
    PaymentKind,
    ReceiptBooking,
)
from models.money import CENT
from models.provider import ProviderKind
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
    PAYMENT_UNANSWERED,
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
    WavePage,
    WavePageInput,
    WaveStarted,
    WaveStartInput,
)
from register_client.client import RegisterClient, RegisterRejected, RegisterUnavailable
from register_client.http import JsonHttpClient, NoAnswer, NotSent
from rules import afkoopvoet
from rules.basis import ActuarialBasis
from rules.calendar import add_years
from rules.legal_time import amsterdam_date, amsterdam_midnight
from rules.suspension import SuspensionCheck, check_transfer, ratio_month
from rules.transfer_value import TransferValueStatement, transfer_value
from store.repository import Administration, NotFound

# Project choice: pension rights bought with an incoming value start at the participant's 68th
# birthday (the receiving scheme's own pension date is not in the transfer data).
RECEIVING_PENSION_AGE = 68

LetterHook = Callable[[LetterRequest], Awaitable[None]]


async def no_hook(_letter: LetterRequest) -> None:
    return None


def wall_clock() -> datetime:
    return datetime.now(UTC)


# While the day's register queries are used up, a query looks again this often (and at the
# latest when the register's day turns), so a raised quota is noticed without a restart.
QUOTA_RECHECK = timedelta(minutes=15)


class TransferActivities:
    def __init__(
        self,
        admin: Administration,
        register: RegisterClient,
        providers_url: str,
        basis: ActuarialBasis,
        default_funding_ratio: Decimal | None = None,
        after_letter: LetterHook = no_hook,
        register_queries_per_day: int | None = None,
        clock: Callable[[], datetime] = wall_clock,
        quota_recheck: timedelta = QUOTA_RECHECK,
        configured_afkoopvoet: list[AfkoopvoetPeriod] | None = None,
    ) -> None:
        self.admin = admin
        self.register = register
        self.providers = JsonHttpClient(providers_url, timeout_s=30)
        self.basis = basis
        self.default_funding_ratio = default_funding_ratio
        self.after_letter = after_letter
        self.register_queries_per_day = register_queries_per_day
        self.clock = clock
        self.quota_recheck = quota_recheck
        # Where no operator recorded a period: the configured afkoopvoet (the illustrative table
        # by default, config.settings), never a guess.
        self.configured_afkoopvoet = configured_afkoopvoet or []

    async def aclose(self) -> None:
        """Close the connections to the providers (the register client's owner closes that one);
        `contextlib.aclosing(activities)` does it at the end of a block."""
        await self.providers.close()

    def all(self) -> list:
        return [
            self.query_pension_register,
            self.check_funding_ratios,
            self.look_up_threshold,
            self.compute_transfer_value,
            self.look_up_afkoopvoet,
            self.pay_transfer_value,
            self.pay_buyout,
            self.record_statutory_steps,
            self.send_letter_to_participant,
            self.book_incoming_transfer,
            self.apply_incoming_transfer_value,
            self.load_wave_page,
            self.start_wave_cases,
            self.count_settled_cases,
            self.fill_wave,
        ]

    def wave_steps(self) -> list:
        """The wave's own activities, served on its own task queue (models.ids.wave_task_queue)."""
        return [self.load_wave_page, self.start_wave_cases, self.count_settled_cases, self.fill_wave]

    @activity.defn(name=QUERY_PENSION_REGISTER)
    async def query_pension_register(self, query: RegisterQueryInput) -> RegisterAnswer:
        """Besluit 17e.1/17e.2: where does the former participant accrue pension? The case's
        bookkeeping that rides along is written first, on every try: a query that waits for the
        register's day to turn still leaves the case in the administration's reports."""
        if query.progress is not None:
            await self.write_progress(query.progress)
        await self.claim_register_query()
        as_of = query.as_of
        if query.clock_offset_s is not None:
            tried_at = activity.info().started_time  # this try, on the server clock
            as_of = amsterdam_date(tried_at + timedelta(seconds=query.clock_offset_s))
        try:
            answer = await self.register.query(query.bsn, as_of)
        except RegisterUnavailable as error:
            metrics.register_query("unavailable")
            delay = timedelta(seconds=error.retry_after) if error.retry_after else None
            raise ApplicationError(str(error), type="RegisterUnavailable", next_retry_delay=delay) from None
        except RegisterRejected as error:
            metrics.register_query("rejected")
            raise ApplicationError(str(error), type="RegisterRejected", non_retryable=True) from None
        metrics.register_query("answered")
        return answer

    async def claim_register_query(self) -> None:
        """The per-day capacity agreed with the register (17f.2 plan). Every request sent counts,
        retries included, because that is what the register counts. When the day's queries are
        used, the query waits (a retry, never a failed case) until the register's day turns."""
        if self.register_queries_per_day is None:
            return
        now = self.clock()
        day = amsterdam_date(now)
        if await self.admin.take_register_query(day, self.register_queries_per_day):
            return
        next_day = amsterdam_midnight(day + timedelta(days=1))
        wait = min(next_day - now, self.quota_recheck)
        raise ApplicationError(
            f"register: the {self.register_queries_per_day} queries agreed for {day} are used; "
            f"next from {amsterdam_date(next_day)}",
            type="RegisterDailyQuotaUsed",
            next_retry_delay=max(wait, timedelta(seconds=1)),
        )

    @activity.defn(name=CHECK_FUNDING_RATIOS)
    async def check_funding_ratios(self, check: FundingCheckInput) -> SuspensionCheck:
        """PW 72 / Besluit 23a: is either fund below 100%? A provider or a ratio nobody recorded
        is never guessed: the answer names it, and the case waits for an operator to record it."""
        month = ratio_month(check.on)
        provider_ids = (check.transferring_provider, check.receiving_provider)
        known, recorded = await self.admin.funding_parties(provider_ids, month)
        parties = []
        for provider_id in provider_ids:
            if provider_id not in known:
                missing = f"provider {provider_id}: not in the administration (wkp admin provider add)"
                return self.missing(check, month, missing, "provider")
            parties.append((provider_id, ProviderKind(known[provider_id].kind)))
        funds = [provider_id for provider_id, kind in parties if kind is ProviderKind.FUND]
        ratios = {(provider_id, month): recorded.get(provider_id) for provider_id in funds}
        try:
            return check_transfer(check.on, parties, lambda p, m: ratios.get((p, m)), self.default_funding_ratio)
        except LookupError:
            fund = next(p for p, kind in parties if kind is ProviderKind.FUND and ratios[(p, month)] is None)
            missing = f"funding ratio of {fund} for {month} (PW 72; wkp admin funding-ratio set)"
            return self.missing(check, month, missing, "funding_ratio")

    @staticmethod
    def missing(check: FundingCheckInput, month: str, missing: str, kind: str) -> SuspensionCheck:
        get_logger(article="72").warning("operator data missing", detail=missing)
        return SuspensionCheck(allowed=False, ratio_month=month, missing=missing, missing_kind=kind)

    @activity.defn(name=LOOK_UP_THRESHOLD)
    async def look_up_threshold(self, lookup: ThresholdLookup) -> ThresholdAnswer:
        """PW 66: a year's threshold as an operator recorded it, known on the legal date of this
        try (a recording counts from its day on); None when nobody has recorded it yet."""
        tried_at = activity.info().started_time  # this try, on the server clock
        today = amsterdam_date(tried_at + timedelta(seconds=lookup.clock_offset_s))
        known = {record.year: record.amount for record in await self.admin.thresholds(known_on=today)}
        return ThresholdAnswer(year=lookup.year, amount=known.get(lookup.year))

    @activity.defn(name=COMPUTE_TRANSFER_VALUE)
    async def compute_transfer_value(self, request: TransferValueInput) -> TransferValueStatement:
        """Besluit 25 and 17e.6: the value as of the transfer (payment) date."""
        case = request.case
        try:
            statement = transfer_value(
                case.old_age_pension, case.birth_date, case.pension_date, request.transfer_date, self.basis
            )
        except (LookupError, ValueError) as error:
            raise ApplicationError(str(error), type="TransferValueUnavailable", non_retryable=True) from None
        # Kept in the administration (17e.7) by the case's next bookkeeping write, not here: this
        # step stays a calculation, without a transaction of its own (issue 14).
        return statement

    @activity.defn(name=LOOK_UP_AFKOOPVOET)
    async def look_up_afkoopvoet(self, lookup: AfkoopvoetLookup) -> AfkoopvoetAnswer:
        """Besluit 16: a period an operator recorded for the date wins over the configured table
        (whole, never mixed with it age by age)."""
        recorded = await self.admin.afkoopvoet_periods()
        periods = recorded if afkoopvoet.covering(recorded, lookup.on) else self.configured_afkoopvoet
        return afkoopvoet.look_up(periods, lookup.on, lookup.age)

    @activity.defn(name=PAY_TRANSFER_VALUE)
    async def pay_transfer_value(self, payment: PayTransferInput) -> PaymentOutcome:
        """Besluit 17e.4: pay the receiving provider, with BSN, birth date and client number.
        The provider answers a repeated key with its first result, and the administration books
        a repeated key once, so a retry after a crash moves no money twice."""
        log = get_logger(case_id=payment.case_id, article="17e.4", bsn=mask_bsn(payment.bsn))
        body = payment.model_dump(
            mode="json", include={"from_provider", "client_number", "bsn", "birth_date", "amount", "transfer_date"}
        )
        body["case_reference"] = payment.case_id
        try:
            response = await self.providers.post(
                f"/v1/providers/{payment.receiving_provider}/transfers",
                body,
                headers={"Idempotency-Key": payment.idempotency_key},
            )
        except NotSent as error:
            # The request never left: the provider cannot have taken it.
            raise ApplicationError(f"provider unreachable: {error}", type=PROVIDER_UNAVAILABLE) from None
        except NoAnswer as error:
            # Sent, but the answer was lost: the provider may have taken it (the case asks again
            # under the same key, workflows.outgoing.send_payment).
            raise ApplicationError(f"provider did not answer: {error}", type=PAYMENT_UNANSWERED) from None
        if response.status in (429, 503):
            raise ApplicationError(
                f"{payment.receiving_provider} answered {response.status}", type=PROVIDER_UNAVAILABLE
            )
        if response.status >= 500:  # a gateway's 502/504 or a 500 says nothing of the payment
            raise ApplicationError(f"{payment.receiving_provider} answered {response.status}", type=PAYMENT_UNANSWERED)
        if response.status >= 400:
            raise ApplicationError(
                # Never the body: a remote answer can echo personal data into logs and histories.
                f"{payment.receiving_provider} refused the request ({response.status})",
                type=PAYMENT_REJECTED,
                non_retryable=True,
            )
        result = response.json()
        # The case's steps that led here (its register answer, the 17e.7 calculation) are written
        # with the answer: with the booking in one transaction, or alone after a refusal. A try
        # that fails leaves them with the case, which writes them with its next step.
        progress = payment.progress or CaseProgress(steps=[])
        if result["status"] != "accepted":
            await self.write_progress(progress)
            log.info("transfer refused by receiving provider", provider=payment.receiving_provider)
            metrics.payment("transfer", "refused")
            return PaymentOutcome(accepted=False, reason=result.get("reason"))
        booked = await self.admin.book_payment(
            PaymentBooking(
                idempotency_key=payment.idempotency_key,
                case_id=payment.case_id,
                kind=PaymentKind.TRANSFER,
                counterparty=payment.receiving_provider,
                amount=payment.amount,
                transfer_date=payment.transfer_date,
            ),
            progress.steps,
            kept_statements(progress),
        )
        steps_recorded(progress.steps)
        log.info(
            "transfer value paid",
            provider=payment.receiving_provider,
            amount=str(payment.amount),
            repeat=not booked.created,
        )
        metrics.payment("transfer", "accepted")
        return PaymentOutcome(accepted=True, receipt_id=result.get("receipt_id"))

    @activity.defn(name=PAY_BUYOUT)
    async def pay_buyout(self, payment: PayBuyoutInput) -> None:
        """PW 66: the lump sum to the participant, booked once."""
        await self.admin.book_payment(
            PaymentBooking(
                idempotency_key=payment.idempotency_key,
                case_id=payment.case_id,
                kind=PaymentKind.BUYOUT,
                counterparty="participant",
                amount=payment.amount,
                transfer_date=payment.paid_on,
            )
        )
        metrics.payment("buyout", "booked")

    @activity.defn(name=RECORD_STATUTORY_STEPS)
    async def record_statutory_steps(self, progress: CaseProgress) -> None:
        """The audit log and the case's reporting row, in one transaction; repeats change nothing."""
        await self.write_progress(progress)

    async def write_progress(self, progress: CaseProgress) -> None:
        """A case's bookkeeping, by its own step or riding along with an outside call."""
        await self.admin.record_progress(progress.steps, progress.projection, kept_statements(progress))
        steps_recorded(progress.steps)

    @activity.defn(name=SEND_LETTER)
    async def send_letter_to_participant(self, letter: LetterRequest) -> None:
        # Rendered here, by the step that sends it (strict templates: a missing value fails).
        await self.admin.queue_letter(letter, render_letter(letter.kind, letter.context))
        await self.after_letter(letter)

    @activity.defn(name=BOOK_INCOMING_TRANSFER)
    async def book_incoming_transfer(self, receipt: ReceiptBooking) -> None:
        await self.admin.book_receipt(receipt)

    @activity.defn(name=APPLY_INCOMING_VALUE)
    async def apply_incoming_transfer_value(self, request: ApplyIncomingInput) -> AppliedValue:
        """Besluit 17e.5 and 28: buy pension rights with the value, at the standard tariff, from
        the person's pension date in the administration; a person the engine does not know gets
        the default pension age, and the letter says so."""
        known = await self.admin.pension_date_for(request.bsn) if request.bsn else None
        if known is not None and known > request.applied_on:
            pension_date, source = known, "administration"
        else:  # unknown here (or a date already past): the default age, said so in the letter
            pension_date = add_years(request.birth_date, RECEIVING_PENSION_AGE)
            source = f"default: age {RECEIVING_PENSION_AGE}"
        factor = transfer_value(
            Decimal("1.00"), request.birth_date, pension_date, request.applied_on, self.basis
        ).factor
        rights = (request.amount / factor).quantize(CENT, ROUND_HALF_UP)
        await self.admin.apply_incoming(
            ApplyIncoming(
                idempotency_key=request.idempotency_key, applied_on=request.applied_on, rights_annual_pension=rights
            )
        )
        return AppliedValue(rights_annual_pension=rights, pension_date=pension_date, pension_date_source=source)

    @activity.defn(name=LOAD_WAVE_PAGE)
    async def load_wave_page(self, request: WavePageInput) -> WavePage:
        """The next page of a wave's cases, from the administration (waves recorded before
        they started their cases in one step, `start_wave_cases`, still call it)."""
        wave_date, cases = await self.wave_page(request.wave_id, request.after, request.limit)
        return WavePage(wave_date=wave_date, cases=cases)

    @activity.defn(name=START_WAVE_CASES)
    async def start_wave_cases(self, request: WaveStartInput) -> WaveStarted:
        """The wave's next window of cases, read in one query and started (activities.wave_starts)."""
        wave_date, cases = await self.wave_page(request.wave_id, request.after, request.limit)
        return await start_cases(activity.client(), self.admin, request, wave_date, cases)

    async def wave_page(self, wave_id: str, after: str | None, limit: int) -> tuple[date | None, list[PensionCase]]:
        try:
            return await self.admin.wave_page(wave_id, after, limit)
        except NotFound as error:
            raise ApplicationError(str(error), type="UnknownWave", non_retryable=True) from None

    @activity.defn(name=FILL_WAVE)
    async def fill_wave(self, request: WaveFill) -> WaveFilled:
        """A wave's back-pressure and starts in one step: count its busy cases up to its cursor,
        then start as many of the next cases as fit under its bound (activities.wave_starts).

        A retry after a lost try counts up to the same cursor, which only fewer cases are busy
        behind since, so it reads at least the cases the lost try started and finds them its own
        (`started_by_earlier_try`); cases past the cursor never enter the count."""
        busy = await self.admin.wave_busy(request.wave_id, request.after) if request.after else 0
        room = min(request.window, request.max_busy - busy)
        if room <= 0:
            return WaveFilled(busy=busy, started=0, already_running=0, cursor=request.after, exhausted=False)
        starts = WaveStartInput(
            provider=request.provider,
            wave_id=request.wave_id,
            legal=request.legal,
            task_queue=request.task_queue,
            after=request.after,
            limit=room,
        )
        wave_date, cases = await self.wave_page(request.wave_id, request.after, room)
        started = await start_cases(activity.client(), self.admin, starts, wave_date, cases)
        return WaveFilled(busy=busy, **started.model_dump())

    @activity.defn(name=COUNT_SETTLED_CASES)
    async def count_settled_cases(self, request: SettledCount) -> int:
        """A wave's back-pressure: how many of the cases it handled are settled. Every case the
        wave starts has its reporting row from its start (`start_wave_cases`), so the handled
        less the busy ones are the settled ones, and only the busy ones are read."""
        if request.handled is None:
            return await self.admin.wave_settled(request.wave_id, request.through)
        return max(0, request.handled - await self.admin.wave_busy(request.wave_id, request.through))


def kept_statements(progress: CaseProgress) -> list[tuple[str, date, dict[str, Any]]]:
    return [(kept.case_id, kept.transfer_date, kept.statement) for kept in progress.statements]


def steps_recorded(steps: list[AuditStep]) -> None:
    """Counted and logged once written (a repeat is counted again, as Prometheus counts tries)."""
    metrics.statutory_steps_recorded(steps)
    for step in steps:
        get_logger(subject=step.subject_id, article=step.article).info(
            step.step, due=str(step.due), actual=str(step.actual)
        )
