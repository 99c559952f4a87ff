"""Failed transfer attempts and when buy-out (afkoop, PW 66) may be offered (RULES.md §7).

Buy-out is never done without the participant's answer: these functions only say whether an
offer may be made, under which article, and what kind of answer it needs.
"""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel

from models.case import PensionCase
from rules.calendar import add_years
from rules.regime import Regime, regime_for

ATTEMPTS_FOR_BUYOUT = 5  # PW 66.2.c: five attempts in vain
COHORT_2018_FROM = date(2024, 1, 1)  # participation ended in 2018: five years after 2019-01-01
PW_REGIME_FROM = date(2007, 1, 1)  # PW 66.1: consent from here on, absent objection before
# Participation ended before this day: an "existing case" for buy-out (PW 220b, the WKP overview
# in law/sources): with consent from two years after it ended, once the transfer attempt failed.
EXISTING_FOR_BUYOUT_BEFORE = date(2018, 1, 1)


class BuyoutRoute(StrEnum):
    FIVE_FAILED_ATTEMPTS = "five_failed_attempts"  # PW 66.2.c
    COHORT_2018 = "cohort_2018"  # PW 66.2, participation ended during 2018
    EXISTING_AFTER_FAILED_PLAN = "existing_after_failed_plan"  # PW 220b (ended before 2018)
    PENSION_DATE = "pension_date"  # PW 66.1


class AnswerNeeded(StrEnum):
    CONSENT = "consent"  # an explicit yes
    NO_OBJECTION = "no_objection"  # PW 66.1, participation ended before 2007


ROUTE_ARTICLE = {
    BuyoutRoute.FIVE_FAILED_ATTEMPTS: "66.2.c",
    BuyoutRoute.COHORT_2018: "66.2",
    BuyoutRoute.EXISTING_AFTER_FAILED_PLAN: "220b",
    BuyoutRoute.PENSION_DATE: "66.1",
}


def counted_failures(failure_dates: Iterable[date]) -> list[date]:
    """The failed attempts that count: at most one per twelve months (project choice, RULES §7).

    A failure counts when it is the first, or at least a year after the last one that counted.
    """
    counted: list[date] = []
    for day in sorted(failure_dates):
        if not counted or day >= add_years(counted[-1], 1):
            counted.append(day)
    return counted


class BuyoutDecision(BaseModel):
    allowed: bool
    route: BuyoutRoute | None = None
    article: str | None = None
    answer_needed: AnswerNeeded | None = None
    failed_attempts: int
    explanation: str


def buyout_decision(
    case: PensionCase, on: date, failure_dates: Iterable[date], pre_2018_existing: bool = True
) -> BuyoutDecision:
    """May buy-out of `case` be offered on `on`, given the dates of its failed attempts?

    `pre_2018_existing` False is the rulebook before RULES.md §7 was corrected (2017 leavers held
    to the five-attempt rule): only for replaying cases recorded under it."""
    counted = counted_failures(day for day in failure_dates if day <= on)
    regime = regime_for(case.participation_end)
    existing = regime is Regime.EXISTING or (pre_2018_existing and case.participation_end < EXISTING_FOR_BUYOUT_BEFORE)

    def allow(route: BuyoutRoute, explanation: str, answer: AnswerNeeded = AnswerNeeded.CONSENT) -> BuyoutDecision:
        return BuyoutDecision(
            allowed=True,
            route=route,
            article=ROUTE_ARTICLE[route],
            answer_needed=answer,
            failed_attempts=len(counted),
            explanation=explanation,
        )

    if on >= case.pension_date:
        answer = AnswerNeeded.CONSENT if case.participation_end >= PW_REGIME_FROM else AnswerNeeded.NO_OBJECTION
        return allow(BuyoutRoute.PENSION_DATE, "the pension start date has arrived (PW 66.1)", answer)

    if existing:
        after_two_years = add_years(case.participation_end, 2)
        attempt = "the plan's register attempt" if regime is Regime.EXISTING else "the 56.2 register query"
        if counted and on >= after_two_years:
            return allow(
                BuyoutRoute.EXISTING_AFTER_FAILED_PLAN,
                f"{attempt} failed and two years have passed since participation ended (PW 220b)",
            )
        return BuyoutDecision(
            allowed=False,
            failed_attempts=len(counted),
            explanation=f"participation ended before 2018: needs {attempt} to fail and {after_two_years} (PW 220b)",
        )

    if len(counted) >= ATTEMPTS_FOR_BUYOUT:
        return allow(BuyoutRoute.FIVE_FAILED_ATTEMPTS, "five failed transfer attempts (PW 66.2.c)")
    if case.participation_end.year == 2018 and on >= COHORT_2018_FROM:
        return allow(BuyoutRoute.COHORT_2018, "participation ended in 2018 and five years have passed since 2019-01-01")
    return BuyoutDecision(
        allowed=False,
        failed_attempts=len(counted),
        explanation=f"{len(counted)} of {ATTEMPTS_FOR_BUYOUT} counted failed attempts (PW 66.2.c)",
    )


def buyout_opens(case: PensionCase, failure_dates: list[date], after: date) -> date | None:
    """The first day from `after` on when a buy-out route before the pension date opens, with the
    failed attempts known now (a new failure is judged when it happens): the 2018 cohort's
    2024-01-01, or two years after participation ended for an existing case (PW 220b)."""
    candidates = {after}
    if case.participation_end.year == 2018:
        candidates.add(COHORT_2018_FROM)
    if case.participation_end < EXISTING_FOR_BUYOUT_BEFORE:
        candidates.add(add_years(case.participation_end, 2))
    for day in sorted(day for day in candidates if after <= day < case.pension_date):
        decision = buyout_decision(case, day, failure_dates)
        if decision.allowed and decision.route is not BuyoutRoute.PENSION_DATE:
            return day
    return None


class BuyoutOption(BaseModel):
    """A way this case could be bought off, for explaining a case before anything happened."""

    route: BuyoutRoute
    article: str
    from_date: date | None
    condition: str


def buyout_options(case: PensionCase) -> list[BuyoutOption]:
    """Every route to buy-out open to `case`, with its earliest date where the law fixes one."""
    regime = regime_for(case.participation_end)
    options: list[BuyoutOption] = []

    def add(route: BuyoutRoute, from_date: date | None, condition: str) -> None:
        if from_date is None or from_date < case.pension_date:
            options.append(
                BuyoutOption(route=route, article=ROUTE_ARTICLE[route], from_date=from_date, condition=condition)
            )

    if regime is Regime.EXISTING or case.participation_end < EXISTING_FOR_BUYOUT_BEFORE:
        attempt = "the plan's register attempt" if regime is Regime.EXISTING else "the 56.2 register query"
        add(
            BuyoutRoute.EXISTING_AFTER_FAILED_PLAN,
            add_years(case.participation_end, 2),
            f"{attempt} failed; with consent (participation ended before 2018)",
        )
    else:
        add(
            BuyoutRoute.FIVE_FAILED_ATTEMPTS,
            None,
            "five failed transfer attempts, at most one counted per twelve months; with consent",
        )
        if case.participation_end.year == 2018:
            add(BuyoutRoute.COHORT_2018, COHORT_2018_FROM, "participation ended in 2018; with consent")
    answer = "consent" if case.participation_end >= PW_REGIME_FROM else "absent objection"
    options.append(
        BuyoutOption(
            route=BuyoutRoute.PENSION_DATE,
            article=ROUTE_ARTICLE[BuyoutRoute.PENSION_DATE],
            from_date=case.pension_date,
            condition=f"at the pension start date, with {answer}",
        )
    )
    return options


def earliest_buyout_date(case: PensionCase) -> date | None:
    dated = [option.from_date for option in buyout_options(case) if option.from_date is not None]
    return min(dated) if dated else None
