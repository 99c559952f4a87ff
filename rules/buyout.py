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


class BuyoutRoute(StrEnum):
    FIVE_FAILED_ATTEMPTS = "five_failed_attempts"  # PW 66.2.c
    COHORT_2018 = "cohort_2018"  # PW 66.2, participation ended during 2018
    EXISTING_AFTER_FAILED_PLAN = "existing_after_failed_plan"  # PW 220b
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


def buyout_decision(case: PensionCase, on: date, failure_dates: Iterable[date]) -> BuyoutDecision:
    """May buy-out of `case` be offered on `on`, given the dates of its failed attempts?"""
    counted = counted_failures(day for day in failure_dates if day <= on)
    regime = regime_for(case.participation_end)

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

    if regime is Regime.EXISTING:
        after_two_years = add_years(case.participation_end, 2)
        if counted and on >= after_two_years:
            return allow(
                BuyoutRoute.EXISTING_AFTER_FAILED_PLAN,
                "the plan's register attempt failed and two years have passed since participation ended (PW 220b)",
            )
        return BuyoutDecision(
            allowed=False,
            failed_attempts=len(counted),
            explanation=f"existing small pension: needs a failed plan attempt and {after_two_years} (PW 220b)",
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

    if regime is Regime.EXISTING:
        add(
            BuyoutRoute.EXISTING_AFTER_FAILED_PLAN,
            add_years(case.participation_end, 2),
            "the plan's register attempt failed; with consent",
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
