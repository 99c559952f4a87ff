"""A workflow that only calls the rulebook, to prove models/ and rules/ run in the sandbox.

Kept apart from the test module so the sandbox imports nothing but what a real workflow would.
"""

from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel
from temporalio import workflow

from models.case import PensionCase
from models.provider import ProviderKind
from rules.basis import ActuarialBasis
from rules.buyout import buyout_decision
from rules.calendar import LegalCalendar
from rules.eligibility import assess
from rules.regime import first_query_due, regime_for
from rules.suspension import check_transfer
from rules.thresholds import ThresholdTable
from rules.transfer_value import transfer_value

UNDERFUNDED = Decimal("0.95")


class ProbeInput(BaseModel):
    case: PensionCase
    basis: ActuarialBasis
    on: date


class ProbeResult(BaseModel):
    regime: str
    verdict: str
    first_query_due: date | None
    payment_due: date
    buyout_allowed: bool
    suspended: bool
    transfer_value: str


def probe(data: ProbeInput) -> ProbeResult:
    """The same computation, callable inside and outside the sandbox."""
    case = data.case
    failures = [date(2022 + i, 4, 1) for i in range(5)]
    return ProbeResult(
        regime=regime_for(case.participation_end).value,
        verdict=assess(case, ThresholdTable()).verdict.value,
        first_query_due=first_query_due(case.participation_end),
        payment_due=LegalCalendar([date(2022, 5, 27)]).add_working_days(data.on, 10),
        buyout_allowed=buyout_decision(case, data.on + timedelta(days=5 * 366), failures).allowed,
        suspended=not check_transfer(
            data.on, [("PF-A", ProviderKind.FUND)], lambda provider, month: UNDERFUNDED
        ).allowed,
        transfer_value=str(
            transfer_value(case.old_age_pension, case.birth_date, case.pension_date, data.on, data.basis).value
        ),
    )


@workflow.defn
class RulesProbeWorkflow:
    @workflow.run
    async def run(self, data: ProbeInput) -> ProbeResult:
        return probe(data)
