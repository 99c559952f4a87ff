"""Everything the rulebook says about one case, for `wkp rules explain` and for auditors."""

from datetime import date

from pydantic import BaseModel

from models.case import PensionCase
from models.money import Money
from rules.basis import ActuarialBasis
from rules.buyout import BuyoutOption, buyout_options, earliest_buyout_date
from rules.eligibility import IneligibleReason, Verdict, assess
from rules.regime import Regime, first_query_article, first_query_due, regime_for
from rules.thresholds import ThresholdTable
from rules.transfer_value import TransferValueStatement, transfer_value

# Letters the participant gets before the first query, by regime.
NOTICES = {
    Regime.NEW: [],
    Regime.TRANSITIONAL: ["56.1", "56.3"],
    Regime.EXISTING: ["17f.1.c"],
}


class CaseExplanation(BaseModel):
    case_id: str
    on: date
    regime: Regime
    outcome: Verdict
    reason: IneligibleReason | None
    article: str
    threshold: Money
    threshold_year: int
    first_query_due: date | None
    first_query_article: str | None
    notices: list[str]
    earliest_buyout_date: date | None
    buyout_options: list[BuyoutOption]
    transfer_value: TransferValueStatement | None
    transfer_value_note: str | None = None


def explain_case(case: PensionCase, on: date, thresholds: ThresholdTable, basis: ActuarialBasis) -> CaseExplanation:
    regime = regime_for(case.participation_end)
    eligibility = assess(case, thresholds)
    eligible = eligibility.verdict is Verdict.ELIGIBLE

    statement, note = None, None
    if not eligible:
        note = "no transfer value: the case is not eligible for transfer"
    elif not case.birth_date < on < case.pension_date:
        note = f"no transfer value on {on}: a transfer date lies before the pension date {case.pension_date}"
    else:
        statement = transfer_value(case.old_age_pension, case.birth_date, case.pension_date, on, basis)

    return CaseExplanation(
        case_id=case.case_id,
        on=on,
        regime=regime,
        outcome=eligibility.verdict,
        reason=eligibility.reason,
        article=eligibility.article,
        threshold=eligibility.threshold,
        threshold_year=eligibility.threshold_year,
        first_query_due=first_query_due(case.participation_end) if eligible else None,
        first_query_article=first_query_article(regime) if eligible else None,
        notices=NOTICES[regime] if eligible else [],
        earliest_buyout_date=earliest_buyout_date(case) if eligible else None,
        buyout_options=buyout_options(case) if eligible else [],
        transfer_value=statement,
        transfer_value_note=note,
    )
