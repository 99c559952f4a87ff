"""The transferring provider's case: automatic transfer of one small pension (Besluit 17e/17f/56,
PW 55.6/66/70a/72). One workflow per case, id `models.ids.case_workflow_id`.

The yearly cycle: query the register (17e.1/17e.2); if it names a provider and no fund is
under-funded (PW 72), pay the transfer value within ten working days (17e.4) and close;
otherwise count a failed attempt, offer buy-out when the rules allow it (PW 66), and sleep until
next year's query. Every few cycles the case continues-as-new so that a history stays small.

This module holds the law's steps only: recording them, and what operators see of the case,
is `workflows.bookkeeping`; every activity call is a typed function in `workflows.steps`.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import workflows.steps as steps  # not `from workflows import`: the sandbox would load it anew each run
    from models import ids
    from models.afkoopvoet import AfkoopvoetAnswer
    from models.case import PensionCase
    from models.events import CaseEvent, EventType, Outcome
    from models.ledger import AuditStep, LetterKind, LetterRequest
    from models.register import RegisterAnswer, RegisterAnswerKind
    from models.reports import CaseReport, ReportKind, RequestKind
    from models.steps import PaymentOrder, PaymentOutcome
    from models.transfer import (
        CASE_CODE_VERSION,
        CaseResult,
        CaseState,
        CaseStatus,
        ConsentAnswer,
        OutgoingTransferInput,
        Phase,
        WavePlanned,
    )
    from rules.afkoopvoet import afkoopwaarde
    from rules.buyout import PW_REGIME_FROM, buyout_decision, buyout_opens
    from rules.calendar import LegalCalendar, add_months, add_years
    from rules.eligibility import Verdict, assess
    from rules.regime import Regime, first_query_article, first_query_due, regime_for
    from rules.suspension import SuspensionCheck
    from rules.thresholds import MissingThreshold, ThresholdTable
    from rules.transfer_value import TransferValueStatement
    from workflows.bookkeeping import CaseBook
    from workflows.legal_clock import LegalClock

PAYMENT_TERM_WORKING_DAYS = 10  # Besluit 17e.4


# Continue-as-new between yearly cycles, after this many (or sooner when Temporal suggests it),
# so that a case's history stays small over its decades: a run holds some 60 events at most.
# Continuing after every single cycle measured a quarter slower (bench/simulate_scenario.py).
CYCLES_PER_RUN = 4

# A case waiting for operator data looks again when told, and by itself at least this often.
OPERATOR_RECHECK = timedelta(days=7)

# PW 66.1 (RULES.md §7): the buy-out offer goes out this many months before the pension date.
PENSION_OFFER_MONTHS = 3

# Cases that listen (RULES.md §8): reports reach a running case, every wait wakes for them, PW 66.1
# is offered, 2017 leavers are existing cases for buy-out (PW 220b) and buy-out pays the afkoopvoet.
# Histories recorded before this change replay along the old path.
LISTENING = "cases-listen"

# Search attributes and memo are published before the case waits (and when it begins and
# closes), no longer at each step of a run that goes straight on: a case paid on the day of its
# answer changed them five times in seconds, and those upserts were a third of the dev server's
# work per case (issue 14). Histories recorded before replay the old path.
PUBLISH_BEFORE_WAITS = "publish-before-waits"

# The case's bookkeeping rides along with its outside calls: the register query writes what came
# before it (a new case's reporting row included, when the query is made at once) and the payment
# writes the answer and the 17e.7 calculation in the booking's transaction, where each had been an
# activity of its own (issue 14: two activities, six history events and two transactions per
# case). A payment whose answer was lost (a timeout, a crash between the provider's yes and the
# booking) is asked again with its own key, never made anew with a new one.
PROGRESS_WITH_CALLS = "progress-with-calls"

# A closing case writes its last steps first and publishes its closed view after, in the task
# that completes it: Temporal records the search attributes with the close in one visibility
# write, where publishing them before the write cost a visibility write of its own (issue 14:
# 2.0 visibility writes per case against a bare workflow's 1.0). Meanwhile operators still see
# the case's last open phase, as the administration's reporting row does until the write.
PUBLISH_AT_CLOSE = "publish-at-close"

# The newest patch implies every older one. A run whose input carries a code version
# (models.transfer.CASE_CODE_VERSION) takes each patch from the version it came with without
# checking a marker; the patches from before versions were carried came with version 1. A new
# patch gets the next version here, and CASE_CODE_VERSION follows.
PATCH_VERSIONS = {PUBLISH_BEFORE_WAITS: 1, PROGRESS_WITH_CALLS: 2, PUBLISH_AT_CLOSE: 3}
NEWEST_PATCH = PUBLISH_AT_CLOSE

REPORT_ARTICLE = {ReportKind.DEATH_DATE: "8", ReportKind.PENSION_DATE: "8", ReportKind.REQUEST: "8"}


class TransferRightEnds(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised out of a wait when the case's transfer right ends first: a death (reported, or
    known at import), or its pension date come near. Caught once, in `run`."""

    def __init__(self, ending: Outcome) -> None:
        super().__init__(ending.value)
        self.ending = ending


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
        # Set by `run` (a patch): False while replaying a history recorded before cases listened.
        self.listens = False
        self.version = 0  # set by `run`: the newest patch version this run takes (PATCH_VERSIONS)
        self.news = False  # a report arrived: a listening wait wakes and plans again
        self.offer_article = "66"

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
            pension_date=self.pension_date(),
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
                article=self.offer_article,
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

    @workflow.update(name="report")
    async def report(self, report: CaseReport) -> str:
        """What the administration learned (RULES.md §8), on the day the case hears it: a death
        closes the case today, a changed pension date moves its end, a request is answered now."""
        today = self.clock.today()
        key = report.key(today)
        if key in self.state.reports_seen:
            return "already recorded: nothing changes"
        self.state.reports_seen.append(key)
        self.book.note(
            AuditStep(
                idempotency_key=ids.report_key(workflow.info().workflow_id, key),
                subject_id=self.case.case_id,
                step=f"reported_{report.kind.value}",
                article=REPORT_ARTICLE[report.kind],
                due=None,
                actual=today,
                details={
                    "value": report.value,
                    "reported_by": report.reported_by,
                    "learned_on": (report.learned_on or today).isoformat(),
                },
            )
        )
        self.news = True
        if report.death_date is not None:
            self.state.death_learned_on = today
            return f"death recorded: the case closes on {today}, with no query or payment after it"
        if report.pension_date is not None:
            self.state.pension_date = report.pension_date
            return f"pension date {report.pension_date} recorded: the transfer right ends then"
        if report.request is RequestKind.INDIVIDUAL_TRANSFER:
            # PW 71: automatic transfer takes precedence; answered, and no quote is made.
            await self.inform(LetterKind.AUTOMATIC_TRANSFER_APPLIES, "71", None, {}, occasion=key)
            await self.book.flush()
            return "answered: automatic transfer applies (PW 71), no quote is made"
        statement = self.statement = await steps.compute_transfer_value(
            self.current_case(), today, summary=f"17e.7 calculation as of {today}, on request"
        )
        self.book.keep(statement)
        await self.inform(
            LetterKind.CALCULATION_STATEMENT,
            "17e.7",
            None,
            {"statement": statement.model_dump(mode="json")},
            occasion=key,
        )
        await self.book.flush()
        return f"calculation statement as of {today} sent (Besluit 17e.7): EUR {statement.value}"

    @report.validator
    def validate_report(self, report: CaseReport) -> None:
        """Refused with the field and the reason, before anything is recorded."""
        today = self.clock.today()
        if self.state.phase is Phase.CLOSED:
            outcome = self.state.outcome.value if self.state.outcome else "closed"
            raise ValueError(f"case: is closed ({outcome}); a report no longer applies")
        if report.learned_on is not None and report.learned_on > today:
            raise ValueError(f"learned_on: is after today ({today})")
        if report.death_date is not None:
            if report.death_date > today:
                raise ValueError(f"death_date: is in the future (today is {today})")
            if report.death_date < self.case.participation_end:
                raise ValueError("death_date: is before participation_end")
        if report.pension_date is not None and report.pension_date <= self.case.participation_end:
            raise ValueError("pension_date: must be after participation_end")

    # -- the case --------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: OutgoingTransferInput) -> CaseResult:
        # No patch check for a case started on the current code: each recorded patch also upserts
        # Temporal's own TemporalChangeVersion search attribute, a visibility write per case. A
        # case started without a version checks the newest patch, which implies the ones before
        # it; older histories replay along the paths they took.
        self.version = self.version_taken()
        self.book.lazy = self.since(PUBLISH_BEFORE_WAITS)
        if self.book.lazy:
            self.book.adopt_opening_view()  # a wave's start, or the run before continue-as-new
        self.listens = self.since(LISTENING)
        if not self.listens:
            return await self.lifecycle(data)
        try:
            await self.lifecycle(data)
        except TransferRightEnds as end:
            try:
                if end.ending is Outcome.DECEASED:
                    await self.close(Outcome.DECEASED)
                else:
                    await self.at_pension_date()
            except TransferRightEnds:  # a death reported during the PW 66.1 offer
                await self.close(Outcome.DECEASED)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.result()

    def version_taken(self) -> int:
        """The newest patch version this run takes: the code version its input carries, or a
        newer patch's when its marker says so (a replay) or it runs it first (a new run started
        without a version records the newest patch's marker, and only that one). Each patch
        implies the ones before it."""
        for patch, version in sorted(PATCH_VERSIONS.items(), key=lambda item: -item[1]):
            if version <= self.data.code_version:
                break
            if workflow.patched(patch):
                return version
        return self.data.code_version

    def since(self, patch: str) -> bool:
        """Whether this run takes the path a patch introduced: without a marker when the run's
        version has it (patches from before versions were carried came with version 1), else as
        the recorded history says."""
        return self.version >= PATCH_VERSIONS.get(patch, 1) or workflow.patched(patch)

    async def lifecycle(self, data: OutgoingTransferInput) -> CaseResult:
        state = self.state
        if data.carry is None:
            # Operators' gauge (README, Metrics); the SDK skips it while replaying.
            workflow.metric_meter().create_counter("wkp_cases_started", "cases started").add(1)
            if await self.begin() is not None:
                return self.result()
            await self.make_visible()
        for _cycle in range(CYCLES_PER_RUN):
            assert state.next_query and state.next_query_due and state.next_query_article
            state.set_due(state.next_query_due, state.next_query_article)
            summary = f"{state.next_query_article} register query due {state.next_query_due}"
            if await self.wait_for(state.next_query, summary) is not None:
                return self.result()
            if await self.attempt(state.next_query_due, state.next_query_article) is not None:
                return self.result()
            if self.regime is Regime.EXISTING and self.since("17f-no-yearly-requery"):
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
        if self.listens:
            await workflow.wait_condition(workflow.all_handlers_finished)
        # The next run is a new history: it takes the newest paths, as a patch check there would.
        workflow.continue_as_new(self.data.model_copy(update={"carry": state, "code_version": CASE_CODE_VERSION}))

    async def make_visible(self) -> None:
        """A new case is in the administration's reports at once: its reporting row goes with its
        first write, which is its first register query when that is made now, else before it
        waits."""
        if self.since(PROGRESS_WITH_CALLS):
            self.book.publish()
            self.book.owe_projection()
        else:
            await self.book.flush(with_projection=True)

    async def begin(self) -> Outcome | None:
        """Eligibility (PW 55.6, 70a), the letters due first, and the first query's date.
        Returns the outcome when the case closes at once."""
        ended = self.case.participation_end + timedelta(days=1)
        if self.clock.today() < ended and self.since("assess-after-participation-end"):
            # A case is assessed once its participation has ended, never before (FORMAT.md).
            if self.since("visible-before-participation-end"):
                # In reports at once, and settled: a wave does not count it as busy meanwhile.
                self.state.next_query = ended
                await self.book.flush(with_projection=True)
            await self.sleep_until(ended, f"participation ends {self.case.participation_end}")
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
        """Sleep until `day`; the outcome when death or the pension date ended the case first, or
        a buy-out that opened meanwhile (the 2018 cohort, PW 220b) was taken."""
        if self.listens:
            while True:
                opens = None
                if not self.state.buyout_offered:
                    opens = buyout_opens(self.current_case(), self.state.failure_dates, self.clock.today())
                if opens is None or opens >= day:
                    await self.nap(day, summary)
                    return None
                await self.nap(opens, f"buy-out possible from {opens}")
                decision = buyout_decision(self.current_case(), self.clock.today(), self.state.failure_dates)
                if decision.allowed and decision.article:
                    outcome = await self.offer_buyout(self.clock.today(), decision.failed_attempts, decision.article)
                    if outcome is not None:
                        return outcome
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
            progress = None
            if self.since(PROGRESS_WITH_CALLS):
                self.book.publish()
                progress = self.book.pending()
            else:
                await self.book.flush()
            answer = await steps.query_pension_register(
                self.case.case_id,
                self.case.bsn,
                self.clock.today(),
                self.data.legal.clock_offset_s,
                progress,
                summary=f"{article} register query due {due}",
            )
            self.book.written(progress)
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
        if not self.book.lazy:
            self.book.publish()  # operators see the case awaiting its payment (now: once it waits)
        while True:
            await self.sleep_until(pay_on, f"17e.4 pay {provider} on {pay_on} (due {due})")
            # The transfer date is the day the payment is really made (17e.6), even when the
            # worker or the cluster was down when it was planned.
            pay_on = max(pay_on, self.clock.today())
            statement = self.statement = await steps.compute_transfer_value(
                self.current_case(), pay_on, summary=f"17e.6 transfer value as of {pay_on}"
            )
            self.book.keep(statement)
            self.state.payment_tries += 1
            paid = await self.send_payment(
                PaymentOrder(
                    receiving_provider=provider,
                    client_number=answer.client_number or "",
                    amount=statement.value,
                    transfer_date=pay_on,
                    due=due,
                )
            )
            if paid is not None:
                outcome = paid
                break
            # The receiving provider did not take it (down, or busy): try again on the next
            # working day, with a new transfer date and value (and so a new idempotency key).
            pay_on = self.calendar.add_working_days(pay_on, 1)
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

    async def send_payment(self, order: PaymentOrder) -> PaymentOutcome | None:
        """One payment under one idempotency key, carrying the steps that led to it (written
        with the provider's answer). None when the provider did not take it. When its answer was
        lost on the way (a timeout, a crash between its yes and the booking, the administration
        down) it may have taken it: the same payment is sent again, with the same key, on the next
        working day, until the provider answers (it answers a repeated key with its first result).
        So money never moves twice."""
        rides_along = self.since(PROGRESS_WITH_CALLS)
        if not rides_along:
            await self.book.flush(publish=not self.book.lazy)
        while True:
            progress = self.book.pending() if rides_along else None
            try:
                outcome = await steps.pay_transfer_value(
                    self.state.payment_tries,
                    case_id=self.case.case_id,
                    from_provider=self.data.provider,
                    receiving_provider=order.receiving_provider,
                    client_number=order.client_number,
                    bsn=self.case.bsn,
                    birth_date=self.case.birth_date,
                    amount=order.amount,
                    transfer_date=order.transfer_date,
                    progress=progress,
                    summary=f"17e.4 pay {order.receiving_provider} EUR {order.amount} by {order.due}",
                )
            except ActivityError as error:
                if not rides_along or steps.payment_not_taken(error):
                    return None
                ask_on = self.calendar.add_working_days(self.clock.today(), 1)
                await self.clock.sleep_until(
                    ask_on, f"17e.4 ask {order.receiving_provider} again about the payment of {order.transfer_date}"
                )
                continue
            self.book.written(progress)
            return outcome

    async def failed(
        self, today: date, reason: str, provider: str | None, attempt_date: date | None = None
    ) -> Outcome | None:
        """A failed attempt; then buy-out where the law allows it (PW 66), else the case goes on.

        An attempt is dated by its register query (RULES.md §7: a query plus the transfer), so
        a refusal a few days after the answer does not push next year's attempt out of the
        twelve-month count."""
        self.book.record(CaseEvent(type=EventType.TRANSFER_FAILED, date=today, reason=reason, provider=provider))
        self.state.failure_dates.append(attempt_date or today)
        decision = buyout_decision(self.current_case(), today, self.state.failure_dates, self.listens)
        if decision.allowed and not self.state.buyout_offered and decision.article:
            return await self.offer_buyout(today, decision.failed_attempts, decision.article)
        return None

    async def offer_buyout(self, today: date, failed_attempts: int, route_article: str) -> Outcome | None:
        """Never without consent: refusal or silence keeps the pension (RULES.md §7)."""
        if self.listens:
            return await self.offer_lump_sum(failed_attempts, route_article)
        self.state.buyout_offered = True
        self.state.phase = Phase.AWAITING_CONSENT
        self.statement = await steps.compute_transfer_value(
            self.case, today, summary=f"{route_article} buy-out value as of {today}"
        )
        self.book.keep(self.statement)
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

    async def offer_lump_sum(self, failed_attempts: int, route_article: str) -> Outcome | None:
        """PW 66.2.c, 66.2 (2018 cohort) and 220b: the offer quotes the afkoopvoet of the planned
        payment day (Besluit 16); with consent the lump sum is paid on the next working day at the
        afkoopvoet of the day it is paid. Refusal or silence keeps the pension."""
        self.state.buyout_offered = True
        self.state.phase = Phase.AWAITING_CONSENT
        quote, amount = await self.afkoopvoet_value(self.calendar.next_working_day(self.clock.today()), "66")
        today = self.clock.today()
        answer_by = today + timedelta(days=self.data.legal.consent_window_days)
        self.book.record(
            CaseEvent(type=EventType.BUYOUT_OFFERED, date=today, failed_attempts=failed_attempts, article=route_article)
        )
        self.state.set_due(answer_by, "66")
        reason = (
            f"Wij hebben {failed_attempts} keer tevergeefs geprobeerd uw pensioen over te dragen."
            if route_article == "66.2.c"
            else "Wij hebben tevergeefs geprobeerd uw pensioen over te dragen."
        )
        # Open before the letter goes: an answer may come while it is being sent.
        self.offer_article, self.consent, self.offer_open = "66", None, True
        await self.inform(
            LetterKind.BUYOUT_OFFER,
            "66",
            answer_by,
            {"reason": reason, "route_article": route_article, **self.quote_context(quote, amount)},
        )
        await self.book.flush(with_projection=True)
        answered = await self.nap(
            answer_by, f"66 consent to buy-out awaited until {answer_by}", done=lambda: self.consent is not None
        )
        self.offer_open = False
        if not (answered and self.consent):
            return None
        return await self.pay_lump_sum("66", self.calendar.next_working_day(self.clock.today()), None)

    async def at_pension_date(self) -> None:
        """PW 66.1 as RULES.md §7 chooses: the offer goes out three months before the pension date
        and the answer is awaited until then (a month at least, when the offer went out later);
        consent, or no objection when participation ended before 2007, buys the pension off on
        the pension date (within a month of a later answer); otherwise the pension starts."""
        self.offer_open, self.consent = False, None
        self.state.pension_offer_made = True  # from here on only a death ends the case early
        pension_date = self.pension_date()
        no_objection = self.case.participation_end < PW_REGIME_FROM
        today = self.clock.today()
        offered = today < pension_date
        answered_on: date | None = None
        answer_by = pension_date
        if offered:
            self.state.phase = Phase.AWAITING_CONSENT
            quote, amount = await self.afkoopvoet_value(self.calendar.next_working_day(pension_date), "66.1")
            today = self.clock.today()
            answer_by = max(pension_date, add_months(today, 1))
            self.book.record(
                CaseEvent(
                    type=EventType.BUYOUT_OFFERED,
                    date=today,
                    due=answer_by,
                    failed_attempts=self.book.failed_attempts(),
                    article="66.1",
                )
            )
            self.state.set_due(answer_by, "66.1")
            answer = "tenzij u bezwaar maakt" if no_objection else "als u daarmee instemt"
            self.offer_article, self.offer_open = "66.1", True
            await self.inform(
                LetterKind.BUYOUT_OFFER,
                "66.1",
                answer_by,
                {
                    "reason": f"Uw pensioen gaat in op {pension_date.isoformat()}; wij kopen het dan af {answer}.",
                    "route_article": "66.1",
                    **self.quote_context(quote, amount),
                },
                occasion="66.1",
            )
            await self.book.flush(with_projection=True)
            if await self.nap(
                answer_by,
                f"66.1 answer to the buy-out offer awaited until {answer_by}",
                done=lambda: self.consent is not None,
            ):
                answered_on = self.clock.today()
            self.offer_open = False
        if not (offered and (self.consent is True or (self.consent is None and no_objection))):
            await self.nap(pension_date, f"pension starts on {pension_date}")
            await self.close(Outcome.PENSION_STARTED)
            return
        if answered_on is None or answered_on < pension_date:
            pay_on = due = self.calendar.next_working_day(pension_date)
        else:
            pay_on = self.calendar.next_working_day(answered_on)
            due = self.calendar.next_working_day(add_months(answered_on, 1))
        await self.pay_lump_sum("66.1", pay_on, due)

    async def pay_lump_sum(self, article: str, pay_on: date, due: date | None) -> Outcome:
        """The buy-out: afkoopvoet of the payment day x the annual pension, paid exactly once
        (one idempotency key per case, the administration books it once)."""
        await self.nap(pay_on, f"{article} pay the buy-out on {pay_on}")
        quote, value = await self.afkoopvoet_value(max(pay_on, self.clock.today()), article)
        paid_on = quote.on
        await steps.pay_buyout(
            self.case.case_id,
            value,
            paid_on,
            summary=f"{article} pay the buy-out EUR {value} (afkoopvoet {quote.factor})",
        )
        self.book.record(
            CaseEvent(
                type=EventType.BUYOUT_PAID, date=paid_on, due=due, amount=value, article=article, factor=quote.factor
            ),
            factor_source=quote.source,
            factor_period_from=quote.valid_from.isoformat() if quote.valid_from else None,
            factor_illustrative="yes" if quote.illustrative else None,
        )
        if due is not None:
            self.breach_if_late(paid_on, due, article)
        return await self.close(Outcome.BOUGHT_OFF)

    async def afkoopvoet_value(self, on: date, article: str) -> tuple[AfkoopvoetAnswer, Decimal]:
        """Besluit 16: the afkoopvoet in force on `on` and the afkoopwaarde it gives. While no
        period covers the day, the case waits for an operator to record one (never a guess), then
        looks again on the next working day."""
        while True:
            quote = await steps.look_up_afkoopvoet(
                on, self.case.age_on(on), summary=f"{article} afkoopvoet (Besluit 16) in force on {on}"
            )
            if quote.factor is not None:
                self.done_waiting(Phase.AWAITING_CONSENT)
                return quote, afkoopwaarde(self.case.old_age_pension, quote.factor)
            await self.wait_for_operator(
                Phase.AWAITING_AFKOOPVOET, f"an afkoopvoet covering {on} (Besluit 16): wkp admin afkoopvoet set"
            )
            on = self.calendar.next_working_day(self.clock.today())
            await self.nap(on, f"{article} afkoopvoet looked up again on {on}")

    @staticmethod
    def quote_context(quote: AfkoopvoetAnswer, amount: Decimal) -> dict[str, Any]:
        """What an offer letter says of the amount: the factor and its source (Besluit 16)."""
        return {
            "amount": str(amount),
            "factor": str(quote.factor),
            "factor_source": quote.source or "",
            "factor_illustrative": quote.illustrative,
        }

    # -- waiting, and hearing what the administration learns (RULES.md §8) --------------------

    async def nap(self, day: date, summary: str, done: Callable[[], bool] | None = None) -> bool:
        """Wait until the legal day `day` begins (False) or `done()` holds (True), waking for
        every report to plan again. Raises TransferRightEnds when a death or the pension date
        ends the transfer right first, on the day the case learns it, never earlier."""
        condition = done or (lambda: False)
        while True:
            if not self.book.lazy:
                await self.book.flush_if_pending()
            end_date, ending = self.ending()
            today = self.clock.today()
            if end_date <= today:
                raise TransferRightEnds(ending)
            if condition():
                return True
            if today >= day:
                return False
            if self.book.lazy and await self.book.flush_if_pending():
                continue  # a report may have come in while the steps were written: look again
            self.news = False
            wake, text = (day, summary) if day <= end_date else (end_date, self.ending_summary(end_date, ending))
            if wake == date.max:  # only a report or `done` can end this wait
                await workflow.wait_condition(lambda: self.news or condition())
            else:
                await self.clock.wait_condition_until(lambda: self.news or condition(), wake, text)

    async def sleep_until(self, day: date, summary: str) -> None:
        if self.listens:
            await self.nap(day, summary)
        else:
            await self.clock.sleep_until(day, summary)

    def ending_summary(self, end_date: date, ending: Outcome) -> str:
        if ending is Outcome.PENSION_STARTED:
            return f"66.1 buy-out offer before the pension date {self.pension_date()}, on {end_date}"
        return f"case ends: {ending.value.replace('_', ' ')} on {end_date}"

    def pension_date(self) -> date:
        return self.state.pension_date or self.case.pension_date

    def current_case(self) -> PensionCase:
        """The case as known today: with a reported pension date, when there is one."""
        if self.state.pension_date is None:
            return self.case
        return self.case.model_copy(update={"pension_date": self.state.pension_date})

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
        if self.listens:
            await self.nap(next_look, f"waiting for {reason}", done=lambda: self.recheck)
        else:
            await self.clock.wait_condition_until(lambda: self.recheck, next_look, f"waiting for {reason}")

    def done_waiting(self, phase: Phase = Phase.AWAITING_QUERY) -> None:
        if self.state.waiting_for is not None:
            self.state.phase, self.state.waiting_for = phase, None

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

        if self.listens:
            await self.nap(date.max, "17f.3 waiting for a plan wave", done=planned)
        elif not await self.clock.wait_condition_until(planned, end_date, "17f.3 waiting for a plan wave"):
            await self.close(ending)
            return None
        assert self.planned is not None
        self.state.phase, self.state.waiting_for = Phase.AWAITING_QUERY, None
        return self.planned.wave_date

    def ending(self) -> tuple[date, Outcome]:
        """The day the transfer right ends: a death (known at import, or the day a report of it
        was learned), or the pension date (listening: the day of the PW 66.1 offer before it)."""
        endings = [(self.case.pension_date, Outcome.PENSION_STARTED)]
        if self.listens:
            offer_day = add_months(self.pension_date(), -PENSION_OFFER_MONTHS)
            endings = [] if self.state.pension_offer_made else [(offer_day, Outcome.PENSION_STARTED)]
        if self.state.death_learned_on:
            # Also a run on the code from before cases listened (its histories hold no report, so
            # this replays): it closes at its next step, with no query or payment after.
            endings.append((self.state.death_learned_on, Outcome.DECEASED))
        if self.case.death_date:
            endings.append((self.case.death_date, Outcome.DECEASED))
        return min(endings, default=(date.max, Outcome.OPEN))

    # -- steps shared by the paths ---------------------------------------------------------

    def breach_if_late(self, today: date, due: date, article: str) -> None:
        """Besluit 24: a missed term is recorded and never held against the participant."""
        if today > due:
            self.book.record(CaseEvent(type=EventType.DEADLINE_BREACHED, date=today, due=due, article=article))

    async def inform(
        self, kind: LetterKind, article: str, due: date | None, context: dict[str, Any], occasion: str | None = None
    ) -> None:
        """A letter to the participant, citing its article (one of a kind, or one per occasion)."""
        today = self.clock.today()
        await steps.send_letter(
            LetterRequest(
                idempotency_key=ids.letter_key(workflow.info().workflow_id, kind.value, occasion),
                subject_id=self.case.case_id,
                kind=kind,
                due=due,
                context={
                    "case_id": self.case.case_id,
                    "provider": self.data.provider,
                    "participation_end": self.case.participation_end.isoformat(),
                    "old_age_pension": str(self.case.old_age_pension),
                    "pension_date": self.pension_date().isoformat(),
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
        if self.since(PUBLISH_AT_CLOSE):
            await self.book.flush(with_projection=True, publish=False)
            self.book.publish()
        else:
            await self.book.flush(with_projection=True)
        return outcome

    def last_query(self) -> date:
        return max(event.date for event in self.state.events if event.type is EventType.REGISTER_QUERY)

    def result(self) -> CaseResult:
        return CaseResult(
            case_id=self.case.case_id, outcome=self.state.outcome or Outcome.OPEN, events=self.state.events
        )
