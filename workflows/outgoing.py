"""The transferring provider's case: automatic transfer of one small pension (Besluit 17e/17f/56,
PW 55.6/66/70a/72). One workflow per case, id `models.ids.case_workflow_id`.

The yearly cycle: query the register (17e.1/17e.2); if it names a provider and no fund is
under-funded (PW 72), pay the transfer value within ten working days (17e.4) and close;
otherwise count a failed attempt, offer buy-out when the rules allow it (PW 66), and sleep until
next year's query. Every few cycles the case continues-as-new so that a history stays small.

This module holds the law's steps only: recording them, and what operators see of the case,
is `workflows.bookkeeping`; every activity call is a typed function in `workflows.steps`.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models import ids
    from models.events import CaseEvent, EventType, Outcome
    from models.ledger import AuditStep, LetterKind, LetterRequest
    from models.register import RegisterAnswer, RegisterAnswerKind
    from models.transfer import (
        CaseResult,
        CaseState,
        CaseStatus,
        ConsentAnswer,
        OutgoingTransferInput,
        Phase,
        WavePlanned,
    )
    from rules.buyout import buyout_decision
    from rules.calendar import LegalCalendar, add_years
    from rules.eligibility import Verdict, assess
    from rules.regime import Regime, first_query_article, first_query_due, regime_for
    from rules.suspension import SuspensionCheck
    from rules.thresholds import MissingThreshold, ThresholdTable
    from rules.transfer_value import TransferValueStatement
    from workflows import steps
    from workflows.bookkeeping import CaseBook
    from workflows.legal_clock import LegalClock

PAYMENT_TERM_WORKING_DAYS = 10  # Besluit 17e.4

# Continue-as-new between yearly cycles, after this many (or sooner when Temporal suggests it),
# so that a case's history stays small over its decades: a run holds some 60 events at most.
# Continuing after every single cycle measured a quarter slower (bench/simulate_scenario.py).
CYCLES_PER_RUN = 4

# A case waiting for operator data looks again when told, and by itself at least this often.
OPERATOR_RECHECK = timedelta(days=7)


@workflow.defn(name="OutgoingSmallPensionTransfer")
class OutgoingTransferWorkflow:
    @workflow.init
    def __init__(self, data: OutgoingTransferInput) -> None:
        self.data = data
        self.case = data.case
        self.clock = LegalClock(data.legal.clock_offset_s)
        self.calendar = LegalCalendar(data.legal.extra_holidays)
        self.regime = regime_for(data.case.participation_end)
        self.state = data.carry or CaseState()
        self.book = CaseBook(data, self.state, self.regime, self.clock)
        # Within one run only: the latest 17e.7 calculation, an open buy-out offer's answer, an
        # operator's word that data was recorded, and a plan wave naming the case (17f.3).
        self.statement: TransferValueStatement | None = None
        self.offer_open = False
        self.consent: bool | None = None
        self.recheck = False
        self.planned: WavePlanned | None = None

    # -- what operators can ask and say ----------------------------------------------------

    @workflow.query(name="status")
    def status(self) -> CaseStatus:
        return CaseStatus(
            case_id=self.case.case_id,
            phase=self.state.phase,
            failed_attempts=self.book.failed_attempts(),
            next_due=self.state.next_due,
            next_due_article=self.state.next_due_article,
            outcome=self.state.outcome,
            events=self.state.events,
            waiting_for=self.state.waiting_for,
        )

    @workflow.query(name="transfer_value_statement")
    def transfer_value_statement(self) -> TransferValueStatement | None:
        """The latest calculation of the transfer value (Besluit 17e.7)."""
        return self.statement

    @workflow.update(name="consent")
    async def give_consent(self, answer: ConsentAnswer) -> str:
        self.consent = answer.consent
        # For the audit trail (PW 66: never without consent); not a FORMAT.md case event.
        self.book.note(
            AuditStep(
                idempotency_key=ids.consent_key(workflow.info().workflow_id),
                subject_id=self.case.case_id,
                step="consent_given" if answer.consent else "consent_refused",
                article="66",
                due=self.state.next_due,
                actual=self.clock.today(),
                details={"consent": answer.consent},
            )
        )
        return "consent recorded" if answer.consent else "refusal recorded: the pension stays"

    @workflow.signal(name="operator_data_recorded")
    def operator_data_recorded(self) -> None:
        """An operator recorded a threshold, provider or funding ratio: a waiting case looks again now."""
        self.recheck = True

    @workflow.signal(name="plan_wave")
    def plan_wave(self, planned: WavePlanned) -> None:
        """A plan wave names this case (Besluit 17f.3): its register query date."""
        self.planned = planned

    @give_consent.validator
    def validate_consent(self, answer: ConsentAnswer) -> None:
        if not self.offer_open:
            raise ValueError("consent: no buy-out offer is open for this case")

    # -- the case --------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: OutgoingTransferInput) -> CaseResult:
        state = self.state
        if data.carry is None:
            # Operators' gauge (README, Metrics); the SDK skips it while replaying.
            workflow.metric_meter().create_counter("wkp_cases_started", "cases started").add(1)
            if await self.begin() is not None:
                return self.result()
            await self.book.flush(with_projection=True)  # a new case is visible in reports at once
        for _cycle in range(CYCLES_PER_RUN):
            assert state.next_query and state.next_query_due and state.next_query_article
            state.set_due(state.next_query_due, state.next_query_article)
            summary = f"{state.next_query_article} register query due {state.next_query_due}"
            if await self.wait_for(state.next_query, summary) is not None:
                return self.result()
            if await self.attempt(state.next_query_due, state.next_query_article) is not None:
                return self.result()
            if self.regime is Regime.EXISTING and workflow.patched("17f-no-yearly-requery"):
                # 17f.3 applies 17e.3-7, not the yearly re-query of 17e.2 (RULES.md §7): the case
                # waits for buy-out, its pension date, death or a later plan wave naming it.
                wave_date = await self.await_plan_wave(Phase.AWAITING_PLAN, after=self.last_query())
                if wave_date is None:
                    return self.result()
                state.plan_query(wave_date, wave_date, "17f.3")
                continue
            # 17e.2: query again at least yearly while the transfer has not happened.
            state.phase = Phase.AWAITING_QUERY
            next_year = add_years(self.last_query(), 1)
            state.plan_query(next_year, next_year, "17e.2")
            state.set_due(next_year, "17e.2")
            await self.book.flush(with_projection=True)
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(self.data.model_copy(update={"carry": state}))

    async def begin(self) -> Outcome | None:
        """Eligibility (PW 55.6, 70a), the letters due first, and the first query's date.
        Returns the outcome when the case closes at once."""
        ended = self.case.participation_end + timedelta(days=1)
        if self.clock.today() < ended and workflow.patched("assess-after-participation-end"):
            # A case is assessed once its participation has ended, never before (FORMAT.md).
            if workflow.patched("visible-before-participation-end"):
                # In reports at once, and settled: a wave does not count it as busy meanwhile.
                self.state.next_query = ended
                await self.book.flush(with_projection=True)
            await self.clock.sleep_until(ended, f"participation ends {self.case.participation_end}")
        thresholds = dict(self.data.legal.thresholds)
        try:
            verdict = assess(self.case, ThresholdTable(thresholds))
        except MissingThreshold as missing:
            # Never a guess, never a failure: the case waits until an operator records it.
            thresholds[missing.year] = await self.await_threshold(missing.year)
            verdict = assess(self.case, ThresholdTable(thresholds))
        today = self.clock.today()
        if verdict.verdict is Verdict.LAPSED:
            self.book.record(CaseEvent(type=EventType.LAPSED, date=today, article="55.6"))
            return await self.close(Outcome.LAPSED)
        if verdict.verdict is Verdict.NOT_ELIGIBLE:
            assert verdict.reason is not None
            self.book.record(
                CaseEvent(type=EventType.NOT_ELIGIBLE, date=today, reason=verdict.reason.value, article="70a")
            )
            return await self.close(Outcome.NOT_ELIGIBLE)

        article = first_query_article(self.regime)
        if self.regime is Regime.EXISTING:
            wave_date = self.data.wave_date or await self.await_plan_wave(Phase.AWAITING_WAVE_DATE)
            if wave_date is None:
                return self.state.outcome
            due = query_on = wave_date
            await self.inform(LetterKind.INTENDED_TRANSFER, "17f.1.c", None, {"wave_date": due.isoformat()})
        else:
            statutory_due = first_query_due(self.case.participation_end)
            assert statutory_due is not None  # only 17f has no statutory first date
            due = statutory_due
            query_on = max(self.case.participation_end + timedelta(days=1), today)
            if self.regime is Regime.TRANSITIONAL:
                await self.inform(LetterKind.ART56_NOTICE, "56.1", None, {"query_due": due.isoformat()})
        self.state.plan_query(query_on, due, article)
        self.state.set_due(due, article)
        return None

    async def wait_for(self, day: date, summary: str) -> Outcome | None:
        """Sleep until `day`; the outcome when death or the pension date ended the case first."""
        await self.book.flush_if_pending()
        end_date, ending = self.ending()
        if end_date <= day:
            await self.clock.sleep_until(end_date, f"case ends: {ending.value.replace('_', ' ')} on {end_date}")
            return await self.close(ending)
        await self.clock.sleep_until(day, summary)
        return None

    async def attempt(self, due: date, article: str) -> Outcome | None:
        """One attempt: a register query and, when it names a provider, the payment. While a fund
        is under-funded (PW 72) the attempt is suspended and re-checked monthly. Returns the outcome
        when the case closed, None when the attempt failed and the case goes on."""
        while True:
            self.state.phase = Phase.AWAITING_QUERY
            await self.book.flush()
            answer = await steps.query_pension_register(
                self.case.case_id,
                self.case.bsn,
                self.clock.today(),
                self.data.legal.clock_offset_s,
                summary=f"{article} register query due {due}",
            )
            # Dated the day the answer arrived: after an outage or a used-up daily quota, later.
            today = self.clock.today()
            self.book.record(
                CaseEvent(
                    type=EventType.REGISTER_QUERY,
                    date=today,
                    due=due,
                    article=article,
                    answer=answer.answer.value,
                    provider=answer.provider,
                )
            )
            self.breach_if_late(today, due, article)
            if answer.answer is RegisterAnswerKind.NOT_ACCRUING or answer.provider is None:
                return await self.failed(today, "not_accruing", None)
            if answer.provider == self.data.provider:
                return await self.failed(today, "accruing_here", answer.provider)

            check = await self.funding_check(today, answer.provider)
            self.state.receiving_provider = answer.provider
            if check.allowed:
                return await self.pay(today, answer, answer.provider)
            today = self.clock.today()
            recheck_on = self.suspend(today, check)
            ended = await self.wait_for(recheck_on, f"23a funding ratio re-check on {recheck_on}")
            if ended is not None:
                return ended
            due, article = recheck_on, "17e.2"

    def suspend(self, today: date, check: SuspensionCheck) -> date:
        """PW 72 / Besluit 23a: no transfer while a fund is under 100%; re-query on the first of
        next month, when the ratio is determined again."""
        self.state.phase = Phase.SUSPENDED
        self.book.record(
            CaseEvent(
                type=EventType.SUSPENDED,
                date=today,
                until=check.recheck_on,
                provider=check.blocking_provider,
                article="72",
            )
        )
        assert check.recheck_on is not None  # a suspension always names its re-check day
        self.state.set_due(check.recheck_on, "23a")
        return check.recheck_on

    async def pay(self, answer_date: date, answer: RegisterAnswer, provider: str) -> Outcome | None:
        """Besluit 17e.4: pay within ten working days after the register's answer; the transfer
        date is the payment date (17e.6), so the value is computed as of that day."""
        self.state.phase = Phase.AWAITING_PAYMENT
        due = self.calendar.add_working_days(answer_date, PAYMENT_TERM_WORKING_DAYS)
        self.state.set_due(due, "17e.4")
        pay_on = self.calendar.next_working_day(self.clock.today())
        self.book.publish()  # operators see the case awaiting its payment while it waits for the day
        while True:
            await self.clock.sleep_until(pay_on, f"17e.4 pay {provider} on {pay_on} (due {due})")
            # The transfer date is the day the payment is really made (17e.6), even when the
            # worker or the cluster was down when it was planned.
            pay_on = max(pay_on, self.clock.today())
            statement = self.statement = await steps.compute_transfer_value(
                self.case, pay_on, summary=f"17e.6 transfer value as of {pay_on}"
            )
            self.state.payment_tries += 1
            await self.book.flush()
            try:
                outcome = await steps.pay_transfer_value(
                    self.state.payment_tries,
                    case_id=self.case.case_id,
                    from_provider=self.data.provider,
                    receiving_provider=provider,
                    client_number=answer.client_number or "",
                    bsn=self.case.bsn,
                    birth_date=self.case.birth_date,
                    amount=statement.value,
                    transfer_date=pay_on,
                    summary=f"17e.4 pay {provider} EUR {statement.value} by {due}",
                )
            except ActivityError:
                # The receiving provider is unreachable: try again on the next working day, with
                # a new transfer date and value (and so a new idempotency key).
                pay_on = self.calendar.add_working_days(pay_on, 1)
                continue
            break
        if not outcome.accepted:
            return await self.failed(pay_on, "refused", provider, attempt_date=answer_date)
        self.book.record(
            CaseEvent(
                type=EventType.PAYMENT,
                date=pay_on,
                due=due,
                article="17e.4",
                provider=provider,
                amount=statement.value,
                transfer_date=pay_on,
            )
        )
        self.breach_if_late(pay_on, due, "17e.4")
        return await self.close(Outcome.TRANSFERRED)

    async def failed(
        self, today: date, reason: str, provider: str | None, attempt_date: date | None = None
    ) -> Outcome | None:
        """A failed attempt; then buy-out where the law allows it (PW 66), else the case goes on.

        An attempt is dated by its register query (RULES.md §7: a query plus the transfer), so
        a refusal a few days after the answer does not push next year's attempt out of the
        twelve-month count."""
        self.book.record(CaseEvent(type=EventType.TRANSFER_FAILED, date=today, reason=reason, provider=provider))
        self.state.failure_dates.append(attempt_date or today)
        decision = buyout_decision(self.case, today, self.state.failure_dates)
        if decision.allowed and not self.state.buyout_offered and decision.article:
            return await self.offer_buyout(today, decision.failed_attempts, decision.article)
        return None

    async def offer_buyout(self, today: date, failed_attempts: int, route_article: str) -> Outcome | None:
        """Never without consent: refusal or silence keeps the pension (RULES.md §7)."""
        self.state.buyout_offered = True
        self.state.phase = Phase.AWAITING_CONSENT
        self.statement = await steps.compute_transfer_value(
            self.case, today, summary=f"{route_article} buy-out value as of {today}"
        )
        self.offer_open = True
        self.book.record(
            CaseEvent(type=EventType.BUYOUT_OFFERED, date=today, failed_attempts=failed_attempts, article=route_article)
        )
        answer_by = today + timedelta(days=self.data.legal.consent_window_days)
        self.state.set_due(answer_by, "66")
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
        await self.book.flush(with_projection=True)
        answered = await self.clock.wait_condition_until(
            lambda: self.consent is not None, answer_by, f"66 consent to buy-out awaited until {answer_by}"
        )
        self.offer_open = False
        if not (answered and self.consent):
            return None
        paid_on = self.calendar.next_working_day(self.clock.today())
        await self.clock.sleep_until(paid_on, f"66 pay the buy-out on {paid_on}")
        paid_on = max(paid_on, self.clock.today())
        value = (
            await steps.compute_transfer_value(self.case, paid_on, summary=f"66 buy-out value as of {paid_on}")
        ).value
        await steps.pay_buyout(self.case.case_id, value, paid_on, summary=f"66 pay the buy-out EUR {value}")
        self.book.record(CaseEvent(type=EventType.BUYOUT_PAID, date=paid_on, amount=value, article="66"))
        return await self.close(Outcome.BOUGHT_OFF)

    # -- waiting for what an operator supplies: never failed for it ---------------------------

    async def await_threshold(self, year: int) -> Decimal:
        """PW 66: the threshold of a year the case's settings lack, from the administration; while
        nobody has recorded it, the case waits in its own phase and looks again when told."""
        awaited = False
        while True:
            answer = await steps.look_up_threshold(
                year, self.data.legal.clock_offset_s, summary=f"66 small-pension threshold for {year}"
            )
            if answer.amount is not None:
                self.done_waiting()
                return answer.amount
            if not awaited:
                self.book.record(CaseEvent(type=EventType.THRESHOLD_AWAITED, date=self.clock.today(), year=year))
                awaited = True
            await self.wait_for_operator(
                Phase.AWAITING_THRESHOLD, f"threshold for {year} (PW 66): wkp admin threshold set {year}"
            )

    async def funding_check(self, on: date, receiving_provider: str) -> SuspensionCheck:
        """PW 72 / Besluit 23a, waiting for a provider or funding ratio nobody has recorded."""
        while True:
            check = await steps.check_funding_ratios(
                on, self.data.provider, receiving_provider, summary=f"72 funding ratios of {receiving_provider}"
            )
            if check.missing is None:
                self.done_waiting()
                return check
            phase = Phase.AWAITING_PROVIDER if check.missing_kind == "provider" else Phase.AWAITING_FUNDING_RATIO
            await self.wait_for_operator(phase, check.missing)
            on = self.clock.today()

    async def wait_for_operator(self, phase: Phase, reason: str) -> None:
        """Show what the case waits for, then wait until an operator says it was recorded
        (`operator_data_recorded`, sent by every `wkp admin` recording) or, at the latest, a week
        on: the safety net for a recording nobody announced, kept weekly so that a long wait
        does not fill the history."""
        self.state.phase, self.state.waiting_for = phase, reason
        await self.book.flush(with_projection=True)
        self.recheck = False
        next_look = self.clock.today() + OPERATOR_RECHECK
        await self.clock.wait_condition_until(lambda: self.recheck, next_look, f"waiting for {reason}")

    def done_waiting(self) -> None:
        if self.state.waiting_for is not None:
            self.state.phase, self.state.waiting_for = Phase.AWAITING_QUERY, None

    async def await_plan_wave(self, phase: Phase, after: date | None = None) -> date | None:
        """Besluit 17f.3: an existing small pension is queried on the date of a plan wave naming
        it. Started without one, or after the plan's attempt failed, the case waits for a wave
        (dated after `after`); None when the pension date or death ended the case first."""
        self.state.phase = phase
        self.state.waiting_for = "a plan wave naming the case (Besluit 17f.3): wkp wave start --plan"
        self.state.set_due(None, None)
        await self.book.flush(with_projection=True)
        end_date, ending = self.ending()

        def planned() -> bool:
            return self.planned is not None and (after is None or self.planned.wave_date > after)

        if not await self.clock.wait_condition_until(planned, end_date, "17f.3 waiting for a plan wave"):
            await self.close(ending)
            return None
        assert self.planned is not None
        self.state.phase, self.state.waiting_for = Phase.AWAITING_QUERY, None
        return self.planned.wave_date

    def ending(self) -> tuple[date, Outcome]:
        """The day the case ends by itself: the pension date, or death when known."""
        endings = [(self.case.pension_date, Outcome.PENSION_STARTED)]
        if self.case.death_date:
            endings.append((self.case.death_date, Outcome.DECEASED))
        return min(endings)

    # -- steps shared by the paths ---------------------------------------------------------

    def breach_if_late(self, today: date, due: date, article: str) -> None:
        """Besluit 24: a missed term is recorded and never held against the participant."""
        if today > due:
            self.book.record(CaseEvent(type=EventType.DEADLINE_BREACHED, date=today, due=due, article=article))

    async def inform(self, kind: LetterKind, article: str, due: date | None, context: dict[str, Any]) -> None:
        """A letter to the participant, citing its article."""
        today = self.clock.today()
        await steps.send_letter(
            LetterRequest(
                idempotency_key=ids.letter_key(workflow.info().workflow_id, kind.value),
                subject_id=self.case.case_id,
                kind=kind,
                due=due,
                context={
                    "case_id": self.case.case_id,
                    "provider": self.data.provider,
                    "participation_end": self.case.participation_end.isoformat(),
                    "old_age_pension": str(self.case.old_age_pension),
                    "pension_date": self.case.pension_date.isoformat(),
                    **context,
                },
            ),
            summary=f"{article} letter {kind.value}" + (f" due {due}" if due else ""),
        )
        self.book.record(
            CaseEvent(type=EventType.PARTICIPANT_INFORMED, date=today, letter=kind.value, article=article, due=due)
        )

    async def close(self, outcome: Outcome) -> Outcome:
        self.state.outcome, self.state.phase = outcome, Phase.CLOSED
        self.state.set_due(None, None)
        self.book.record(CaseEvent(type=EventType.CLOSED, date=self.clock.today(), outcome=outcome))
        await self.book.flush(with_projection=True)
        return outcome

    def last_query(self) -> date:
        return max(event.date for event in self.state.events if event.type is EventType.REGISTER_QUERY)

    def result(self) -> CaseResult:
        return CaseResult(
            case_id=self.case.case_id, outcome=self.state.outcome or Outcome.OPEN, events=self.state.events
        )
