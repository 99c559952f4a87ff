"""The transferring provider's case: automatic transfer of one small pension (Besluit 17e/17f/56,
PW 55.6/66/70a/72). One workflow per case, id `wkp-out-{provider}-{case_id}`.

The yearly cycle: query the register (17e.1/17e.2); if it names a provider and no fund is
under-funded (PW 72), pay the transfer value within ten working days (17e.4) and close;
otherwise count a failed attempt, offer buy-out when the rules allow it (PW 66), and sleep until
next year's query. Each cycle ends with continue-as-new so that a history stays small.
"""

from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.events import CaseEvent, EventType, Outcome
    from models.ledger import AuditStep, CaseProjection, LetterKind, LetterRequest
    from models.register import RegisterAnswer, RegisterAnswerKind
    from models.steps import (
        CHECK_FUNDING_RATIOS,
        COMPUTE_TRANSFER_VALUE,
        PAY_BUYOUT,
        PAY_TRANSFER_VALUE,
        QUERY_PENSION_REGISTER,
        RECORD_STATUTORY_STEPS,
        SEND_LETTER,
        CaseProgress,
        FundingCheckInput,
        PayBuyoutInput,
        PaymentOutcome,
        PayTransferInput,
        RegisterQueryInput,
        TransferValueInput,
        register_task_queue,
    )
    from models.transfer import Carry, CaseResult, CaseStatus, ConsentAnswer, OutgoingTransferInput, Phase
    from rules.buyout import buyout_decision, counted_failures
    from rules.calendar import LegalCalendar, add_years
    from rules.eligibility import Verdict, assess
    from rules.regime import Regime, first_query_article, first_query_due, regime_for
    from rules.suspension import SuspensionCheck
    from rules.thresholds import MissingThreshold, ThresholdTable
    from rules.transfer_value import TransferValueStatement
    from workflows import search_attributes as sa
    from workflows.legal_clock import LegalClock

PAYMENT_TERM_WORKING_DAYS = 10  # Besluit 17e.4

# Continue-as-new between yearly cycles, after this many (or sooner when Temporal suggests it),
# so that a case's history stays small over its decades: a run holds some 60 events at most.
# Continuing after every single cycle measured a quarter slower (bench/simulate_scenario.py).
CYCLES_PER_RUN = 4

# How long one try of a step may take before another worker tries again (after a crash, too).
STEP_TIMEOUT = timedelta(seconds=10)
PAYMENT_TIMEOUT = timedelta(seconds=20)

# Ordinary steps: retry for as long as it takes (a register outage delays cases, loses none).
PATIENT = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)
# Paying a provider that is down: a few tries, then the workflow picks a new payment date.
PAYMENT_TRIES = RetryPolicy(
    initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=1), maximum_attempts=4
)


@workflow.defn(name="OutgoingSmallPensionTransfer")
class OutgoingTransferWorkflow:
    def __init__(self) -> None:
        self.events: list[CaseEvent] = []
        self.phase = Phase.AWAITING_QUERY
        self.failures: list[date] = []
        self.next_due: date | None = None
        self.next_due_article: str | None = None
        self.outcome: Outcome | None = None
        self.statement: TransferValueStatement | None = None
        self.offer_open = False
        self.consent: bool | None = None
        self.case_id = ""
        self.unrecorded: list[AuditStep] = []
        self.receiving_provider: str | None = None
        self.published: dict[str, Any] = {}

    # -- what operators can ask and say ----------------------------------------------------

    @workflow.query(name="status")
    def status(self) -> CaseStatus:
        return CaseStatus(
            case_id=self.case_id,
            phase=self.phase,
            failed_attempts=len(counted_failures(self.failures)),
            next_due=self.next_due,
            next_due_article=self.next_due_article,
            outcome=self.outcome,
            events=self.events,
        )

    @workflow.query(name="transfer_value_statement")
    def transfer_value_statement(self) -> TransferValueStatement | None:
        """The latest calculation of the transfer value (Besluit 17e.7)."""
        return self.statement

    @workflow.update(name="consent")
    async def give_consent(self, answer: ConsentAnswer) -> str:
        self.consent = answer.consent
        # For the audit trail (PW 66: never without consent); not a FORMAT.md case event.
        self.unrecorded.append(
            AuditStep(
                idempotency_key=f"{workflow.info().workflow_id}/consent",
                subject_id=self.case_id,
                step="consent_given" if answer.consent else "consent_refused",
                article="66",
                due=self.next_due,
                actual=self.clock.today(),
                details={"consent": answer.consent},
            )
        )
        return "consent recorded" if answer.consent else "refusal recorded: the pension stays"

    @give_consent.validator
    def validate_consent(self, answer: ConsentAnswer) -> None:
        if not self.offer_open:
            raise ValueError("consent: no buy-out offer is open for this case")

    # -- the case --------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: OutgoingTransferInput) -> CaseResult:
        self.data = data
        self.case = data.case
        self.case_id = data.case.case_id
        self.clock = LegalClock(data.legal.clock_offset_s)
        self.calendar = LegalCalendar(data.legal.extra_holidays)
        self.regime = regime_for(self.case.participation_end)
        carry = data.carry or await self.begin()
        if carry is None:
            return self.result()
        if data.carry is None:
            self.set_due(carry.next_query_due, carry.next_query_article)
            await self.flush(with_projection=True)  # a new case is visible in reports at once
        self.events, self.failures = list(carry.events), list(carry.failure_dates)
        self.payment_tries, self.buyout_offered = carry.payment_tries, carry.buyout_offered
        query_on, due, article = carry.next_query, carry.next_query_due, carry.next_query_article
        for _cycle in range(CYCLES_PER_RUN):
            self.set_due(due, article)
            if await self.wait_for(query_on):
                return self.result()
            transferred = await self.attempt(due, article)
            if transferred or self.outcome is not None:
                return self.result()
            # 17e.2: query again at least yearly while the transfer has not happened.
            self.phase = Phase.AWAITING_QUERY
            query_on = due = add_years(self.last_query(), 1)
            article = "17e.2"
            self.set_due(due, article)
            await self.flush(with_projection=True)
            if workflow.info().is_continue_as_new_suggested():
                break
        carry = Carry(
            events=self.events,
            failure_dates=self.failures,
            next_query=query_on,
            next_query_due=due,
            next_query_article=article,
            payment_tries=self.payment_tries,
            buyout_offered=self.buyout_offered,
        )
        workflow.continue_as_new(self.data.model_copy(update={"carry": carry}))

    def last_query(self) -> date:
        return max(event.date for event in self.events if event.type is EventType.REGISTER_QUERY)

    async def begin(self) -> Carry | None:
        """Eligibility (PW 55.6, 70a), the letters due first, and the first query's date."""
        try:
            verdict = assess(self.case, ThresholdTable(self.data.legal.thresholds))
        except MissingThreshold as missing:
            # Never a guess: the case fails with the reason, for an operator to see and mend.
            raise ApplicationError(str(missing), type="MissingThreshold", non_retryable=True) from None
        today = self.clock.today()
        if verdict.verdict is Verdict.LAPSED:
            await self.record(CaseEvent(type=EventType.LAPSED, date=today, article="55.6"))
            await self.close(Outcome.LAPSED)
            return None
        if verdict.verdict is Verdict.NOT_ELIGIBLE:
            await self.record(
                CaseEvent(type=EventType.NOT_ELIGIBLE, date=today, reason=verdict.reason.value, article="70a")
            )
            await self.close(Outcome.NOT_ELIGIBLE)
            return None

        article = first_query_article(self.regime)
        if self.regime is Regime.EXISTING:
            if self.data.wave_date is None:
                raise ApplicationError(
                    "wave_date: an existing small pension (Besluit 17f) needs its wave date from the plan",
                    type="MissingWaveDate",
                    non_retryable=True,
                )
            due = query_on = self.data.wave_date
            await self.inform(LetterKind.INTENDED_TRANSFER, "17f.1.c", None, {"wave_date": due.isoformat()})
        else:
            due = first_query_due(self.case.participation_end)
            query_on = max(self.case.participation_end + timedelta(days=1), today)
            if self.regime is Regime.TRANSITIONAL:
                await self.inform(LetterKind.ART56_NOTICE, "56.1", None, {"query_due": due.isoformat()})
        return Carry(events=self.events, next_query=query_on, next_query_due=due, next_query_article=article)

    async def wait_for(self, day: date) -> bool:
        """Sleep until `day`; True when death or the pension date ended the case first."""
        self.publish()
        if self.unrecorded:
            await self.flush(with_projection=True)
        ending = min(
            [(self.case.pension_date, Outcome.PENSION_STARTED)]
            + ([(self.case.death_date, Outcome.DECEASED)] if self.case.death_date else []),
        )
        if ending[0] <= day:
            await self.clock.sleep_until(ending[0])
            await self.close(ending[1])
            return True
        await self.clock.sleep_until(day)
        return False

    async def attempt(self, due: date, article: str) -> bool:
        """One attempt: a register query and, when it names a provider, the payment. True when paid."""
        self.phase = Phase.AWAITING_QUERY
        await self.flush()
        today = self.clock.today()
        answer: RegisterAnswer = await workflow.execute_activity(
            QUERY_PENSION_REGISTER,
            RegisterQueryInput(case_id=self.case_id, bsn=self.case.bsn, as_of=today),
            task_queue=register_task_queue(workflow.info().task_queue),
            # Time to wait for a turn under the register's rate limit is not counted as failing.
            schedule_to_start_timeout=None,
            result_type=RegisterAnswer,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )
        await self.record(
            CaseEvent(
                type=EventType.REGISTER_QUERY,
                date=today,
                due=due,
                article=article,
                answer=answer.answer.value,
                provider=answer.provider,
            )
        )
        await self.breach_if_late(today, due, article)
        if answer.answer is RegisterAnswerKind.NOT_ACCRUING:
            return await self.failed(today, "not_accruing", None)
        if answer.provider == self.data.provider:
            return await self.failed(today, "accruing_here", answer.provider)

        check: SuspensionCheck = await workflow.execute_activity(
            CHECK_FUNDING_RATIOS,
            FundingCheckInput(on=today, transferring_provider=self.data.provider, receiving_provider=answer.provider),
            result_type=SuspensionCheck,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )
        self.receiving_provider = answer.provider
        if not check.allowed:
            return await self.suspend(today, check)
        return await self.pay(today, answer)

    async def suspend(self, today: date, check: SuspensionCheck) -> bool:
        """PW 72 / Besluit 23a: no transfer while a fund is under 100%; re-query on the first of
        next month, when the ratio is determined again."""
        self.phase = Phase.SUSPENDED
        await self.record(
            CaseEvent(
                type=EventType.SUSPENDED,
                date=today,
                until=check.recheck_on,
                provider=check.blocking_provider,
                article="72",
            )
        )
        self.set_due(check.recheck_on, "23a")
        if await self.wait_for(check.recheck_on):
            return False
        return await self.attempt(check.recheck_on, "17e.2")

    async def pay(self, answer_date: date, answer: RegisterAnswer) -> bool:
        """Besluit 17e.4: pay within ten working days after the register's answer; the transfer
        date is the payment date (17e.6), so the value is computed as of that day."""
        self.phase = Phase.AWAITING_PAYMENT
        due = self.calendar.add_working_days(answer_date, PAYMENT_TERM_WORKING_DAYS)
        self.set_due(due, "17e.4")
        pay_on = self.calendar.next_working_day(answer_date)
        self.publish()  # operators see the case awaiting its payment while it waits for the day
        while True:
            await self.clock.sleep_until(pay_on)
            self.statement = await self.transfer_value(pay_on)
            self.payment_tries += 1
            await self.flush()
            try:
                outcome: PaymentOutcome = await workflow.execute_activity(
                    PAY_TRANSFER_VALUE,
                    PayTransferInput(
                        idempotency_key=f"{workflow.info().workflow_id}/transfer/{self.payment_tries}",
                        case_id=self.case_id,
                        from_provider=self.data.provider,
                        receiving_provider=answer.provider,
                        client_number=answer.client_number,
                        bsn=self.case.bsn,
                        birth_date=self.case.birth_date,
                        amount=self.statement.value,
                        transfer_date=pay_on,
                    ),
                    result_type=PaymentOutcome,
                    start_to_close_timeout=PAYMENT_TIMEOUT,
                    retry_policy=PAYMENT_TRIES,
                )
            except ActivityError:
                # The receiving provider is unreachable: try again on the next working day, with
                # a new transfer date and value (and so a new idempotency key).
                pay_on = self.calendar.add_working_days(pay_on, 1)
                continue
            break
        if not outcome.accepted:
            return await self.failed(pay_on, "refused", answer.provider, attempt_date=answer_date)
        await self.record(
            CaseEvent(
                type=EventType.PAYMENT,
                date=pay_on,
                due=due,
                article="17e.4",
                provider=answer.provider,
                amount=self.statement.value,
                transfer_date=pay_on,
            )
        )
        await self.breach_if_late(pay_on, due, "17e.4")
        await self.close(Outcome.TRANSFERRED)
        return True

    async def transfer_value(self, on: date) -> TransferValueStatement:
        return await workflow.execute_activity(
            COMPUTE_TRANSFER_VALUE,
            TransferValueInput(case=self.case, transfer_date=on),
            result_type=TransferValueStatement,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )

    async def failed(self, today: date, reason: str, provider: str | None, attempt_date: date | None = None) -> bool:
        """A failed attempt; then buy-out where the law allows it (PW 66), else wait a year.

        An attempt is dated by its register query (RULES.md §7: a query plus the transfer), so
        a refusal a few days after the answer does not push next year's attempt out of the
        twelve-month count."""
        await self.record(CaseEvent(type=EventType.TRANSFER_FAILED, date=today, reason=reason, provider=provider))
        self.failures.append(attempt_date or today)
        decision = buyout_decision(self.case, today, self.failures)
        if decision.allowed and not self.buyout_offered:
            return await self.offer_buyout(today, decision.failed_attempts, decision.article)
        return False

    async def offer_buyout(self, today: date, failed_attempts: int, route_article: str) -> bool:
        """Never without consent: refusal or silence keeps the pension (RULES.md §7)."""
        self.buyout_offered = True
        self.phase = Phase.AWAITING_CONSENT
        self.statement = await self.transfer_value(today)
        self.offer_open = True
        await self.record(
            CaseEvent(type=EventType.BUYOUT_OFFERED, date=today, failed_attempts=failed_attempts, article=route_article)
        )
        answer_by = today + timedelta(days=self.data.legal.consent_window_days)
        self.set_due(answer_by, "66")
        await self.inform(
            LetterKind.BUYOUT_OFFER,
            "66",
            answer_by,
            {
                "reason": f"Wij hebben {failed_attempts} keer tevergeefs geprobeerd uw pensioen over te dragen.",
                "amount": str(self.statement.value),
                "route_article": route_article,
            },
        )
        await self.flush(with_projection=True)
        answered = await self.clock.wait_condition_until(lambda: self.consent is not None, answer_by)
        self.offer_open = False
        if not (answered and self.consent):
            return False
        paid_on = self.calendar.next_working_day(self.clock.today())
        await self.clock.sleep_until(paid_on)
        value = (await self.transfer_value(paid_on)).value
        await workflow.execute_activity(
            PAY_BUYOUT,
            PayBuyoutInput(
                idempotency_key=f"{workflow.info().workflow_id}/buyout",
                case_id=self.case_id,
                amount=value,
                paid_on=paid_on,
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )
        await self.record(CaseEvent(type=EventType.BUYOUT_PAID, date=paid_on, amount=value, article="66"))
        await self.close(Outcome.BOUGHT_OFF)
        return True

    # -- recording -------------------------------------------------------------------------

    def set_due(self, due: date | None, article: str | None) -> None:
        self.next_due, self.next_due_article = due, article

    async def breach_if_late(self, today: date, due: date, article: str) -> None:
        """Besluit 24: a missed term is recorded and never held against the participant."""
        if today > due:
            await self.record(CaseEvent(type=EventType.DEADLINE_BREACHED, date=today, due=due, article=article))

    async def record(self, event: CaseEvent) -> None:
        """Add a statutory step to the case's record; it reaches the audit log at the next flush
        (before any call to the outside world, and at the end of every cycle)."""
        self.events.append(event)
        details: dict[str, Any] = event.model_dump(
            mode="json", exclude_none=True, exclude={"type", "date", "due", "article"}
        )
        self.unrecorded.append(
            AuditStep(
                idempotency_key=f"{workflow.info().workflow_id}/event/{len(self.events)}",
                subject_id=self.case_id,
                step=event.type.value,
                article=event.article or "",
                due=event.due,
                actual=event.date,
                details=details,
            )
        )

    def publish(self) -> None:
        """Upsert the search attributes and memo that changed since last time (operators find
        cases by them in the UI); called at every flush, so at every change of phase or term."""
        breached = sorted(
            {event.article for event in self.events if event.type is EventType.DEADLINE_BREACHED and event.article}
        )
        failed = len(counted_failures(self.failures))
        values = {
            sa.PHASE: self.phase.value,
            sa.REGIME: self.regime.value,
            sa.PROVIDER: self.data.provider,
            sa.RECEIVING_PROVIDER: self.receiving_provider,
            sa.WAVE_ID: self.data.wave_id,
            sa.FAILED_ATTEMPTS: failed,
            sa.NEXT_DUE: self.next_due.isoformat() if self.next_due else None,
            sa.NEXT_DUE_ARTICLE: self.next_due_article,
            sa.DEADLINE_BREACHED: bool(breached),
            sa.BREACHED_ARTICLES: breached or None,
            sa.OUTCOME: self.outcome.value if self.outcome else None,
        }
        updates = [
            key.value_set(value) if value is not None else key.value_unset()
            for key, value in values.items()
            if self.published.get(key.name, "unset") != value
        ]
        if updates:
            workflow.upsert_search_attributes(updates)
            self.published.update({key.name: value for key, value in values.items()})
        summary = self.summary(failed)
        if self.published.get("summary") != summary:
            workflow.upsert_memo({"summary": summary})
            self.published["summary"] = summary

    def summary(self, failed: int) -> str:
        """One line for a person: where the case stands and what is due next."""
        parts = [f"case {self.case_id}", f"regime {self.regime.value}", self.phase.value.replace("_", " ")]
        if self.outcome:
            parts.append(f"outcome {self.outcome.value}")
        if self.next_due:
            parts.append(f"next: {self.next_due_article} due {self.next_due.isoformat()}")
        if failed:
            parts.append(f"{failed} failed attempt{'s' if failed != 1 else ''}")
        if self.receiving_provider:
            parts.append(f"receiving provider {self.receiving_provider}")
        return " · ".join(parts)

    async def flush(self, with_projection: bool = False) -> None:
        """Write buffered steps (and the reporting row) to the administration in one activity."""
        self.publish()
        if not self.unrecorded and not with_projection:
            return
        projection = None
        if with_projection:
            projection = CaseProjection(
                case_id=self.case_id,
                regime=self.regime.value,
                status=self.phase.value,
                failed_attempts=len(counted_failures(self.failures)),
                next_due=self.next_due,
                next_due_article=self.next_due_article,
                outcome=self.outcome.value if self.outcome else None,
            )
        steps, self.unrecorded = self.unrecorded, []
        await workflow.execute_activity(
            RECORD_STATUTORY_STEPS,
            CaseProgress(steps=steps, projection=projection),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )

    async def inform(self, kind: LetterKind, article: str, due: date | None, context: dict[str, Any]) -> None:
        today = self.clock.today()
        await workflow.execute_activity(
            SEND_LETTER,
            LetterRequest(
                idempotency_key=f"{workflow.info().workflow_id}/letter/{kind.value}",
                subject_id=self.case_id,
                kind=kind,
                due=due,
                context={
                    "case_id": self.case_id,
                    "provider": self.data.provider,
                    "participation_end": self.case.participation_end.isoformat(),
                    "old_age_pension": str(self.case.old_age_pension),
                    "pension_date": self.case.pension_date.isoformat(),
                    **context,
                },
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=PATIENT,
        )
        await self.record(
            CaseEvent(type=EventType.PARTICIPANT_INFORMED, date=today, letter=kind.value, article=article, due=due)
        )

    async def close(self, outcome: Outcome) -> None:
        self.outcome, self.phase = outcome, Phase.CLOSED
        self.set_due(None, None)
        await self.record(CaseEvent(type=EventType.CLOSED, date=self.clock.today(), outcome=outcome))
        await self.flush(with_projection=True)

    def result(self) -> CaseResult:
        return CaseResult(case_id=self.case_id, outcome=self.outcome or Outcome.OPEN, events=self.events)
